package state_test

import (
	"strconv"
	"testing"

	"cel.dev/cel-go/cel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

type fixture struct {
	t    *testing.T
	res  *compiler.Result
	m    *tables.Model
	s    *state.Store
	prop *tables.Property
	op   state.Op
}

func newFixture(t *testing.T) *fixture {
	res, err := compiler.CompileDir("../../specs/openstack")
	require.NoError(t, err)
	p := res.Spec.Property("no_bypass")
	require.NotNil(t, p)
	m := res.Spec.Models[p.Model]
	return &fixture{t: t, res: res, m: m, s: state.New(res.Spec, p.Model), prop: p}
}

// do applies an event with string parameters given by name.
func (f *fixture) do(event string, params map[string]string) state.Outcome {
	f.t.Helper()
	f.set(event, params)
	out, err := f.s.Apply(&f.op)
	require.NoError(f.t, err)
	return out
}

func (f *fixture) set(event string, params map[string]string) *state.Op {
	f.t.Helper()
	ev := f.m.EventIndex(event)
	require.GreaterOrEqual(f.t, ev, int32(0), event)
	f.op.Reset(ev, len(f.m.Events[ev].Params))
	for name, v := range params {
		i := f.m.Events[ev].ParamIndex(name)
		require.GreaterOrEqual(f.t, i, int32(0), name)
		f.op.Set(int(i), state.Str(f.s.Names.Intern(v)))
	}
	return &f.op
}

func (f *fixture) sym(s string) state.Sym { return f.s.Names.Intern(s) }

func (f *fixture) n(tenant string) int32 {
	slots := f.s.FactSlots(f.prop)
	return f.prop.N(f.s.Mask(slots, f.prop.Scope, f.sym(tenant)))
}

func (f *fixture) example4Setup() {
	f.do("create_domain", map[string]string{"domain_id": "d1"})
	f.do("create_tenant", map[string]string{"tenant_id": "t1", "domain_id": "d1"})
	assert.Equal(f.t, int32(5), f.n("t1"))
	f.do("create_network", map[string]string{"network_id": "n1", "tenant_id": "t1"})
	assert.Equal(f.t, int32(4), f.n("t1"))
	f.do("create_subnet", map[string]string{"subnet_id": "s1", "network_id": "n1"})
	assert.Equal(f.t, int32(3), f.n("t1"))
}

func TestConfigurationFollowsExample4(t *testing.T) {
	f := newFixture(t)
	f.example4Setup()
	assert.Equal(t, state.Created, f.do("create_port", map[string]string{"port_id": "port1187", "subnet_id": "s1", "tenant_id": "t1"}))
	assert.Equal(t, int32(2), f.n("t1"))
	assert.Equal(t, state.Linked, f.do("create_vm", map[string]string{"port_id": "port1187", "vm_id": "vm127", "device_owner": "compute:nova"}))
	assert.Equal(t, int32(1), f.n("t1"))

	vm := f.m.EntityIndex("vm")
	row, ok := f.s.Row(vm, f.sym("vm127"))
	require.True(t, ok, "create_vm creates the VM it attaches")
	assert.Equal(t, "t1", f.s.Names.String(f.s.Parent(vm, row, 0)), "the VM takes the port's tenant")
	assert.Contains(t, f.s.Changed(), state.ScopeRef{Entity: f.prop.Scope, ID: f.sym("t1")})

	f.do("delete_vm", map[string]string{"vm_id": "vm127"})
	assert.Equal(t, int32(2), f.n("t1"), "deleting the VM unlinks the port")
	f.do("create_vm", map[string]string{"port_id": "port1187", "vm_id": "vm127", "device_owner": "compute:nova"})
	assert.Equal(t, int32(1), f.n("t1"))
	f.do("detach_port", map[string]string{"port_id": "port1187"})
	assert.Equal(t, int32(2), f.n("t1"))
}

func TestFillInReadsCurrentAttribute(t *testing.T) {
	f := newFixture(t)
	f.example4Setup()
	f.do("create_port", map[string]string{"port_id": "p1", "subnet_id": "s1", "tenant_id": "t1", "device_owner": "compute:nova"})
	op := f.set("update_port", map[string]string{"port_id": "p1"})
	owner := f.m.Events[op.Event].ParamIndex("device_owner")
	assert.Equal(t, "compute:nova", f.s.Names.String(f.s.Param(op, int(owner)).Sym()), "absent parameter reads the port's value")
	op = f.set("update_port", map[string]string{"port_id": "p1", "device_owner": "network:dhcp"})
	assert.Equal(t, "network:dhcp", f.s.Names.String(f.s.Param(op, int(owner)).Sym()))
}

func TestScopeOfCreateUsesTheRecordsOwnTenant(t *testing.T) {
	f := newFixture(t)
	f.example4Setup()
	f.do("create_tenant", map[string]string{"tenant_id": "t2", "domain_id": "d1"})
	// t2's port on t1's (shared) network belongs to t2.
	op := f.set("create_port", map[string]string{"port_id": "p2", "subnet_id": "s1", "tenant_id": "t2"})
	assert.Equal(t, "t2", f.s.Names.String(f.s.ScopeOf(op, f.prop.Scope, -1)))
	f.do("create_port", map[string]string{"port_id": "p2", "subnet_id": "s1", "tenant_id": "t2"})
	op = f.set("update_port", map[string]string{"port_id": "p2"})
	assert.Equal(t, "t2", f.s.Names.String(f.s.ScopeOf(op, f.prop.Scope, -1)))
	assert.Equal(t, []int32{0}, f.s.Members(f.m.EntityIndex("port"), f.prop.Scope, f.sym("t2")))
}

func TestMalformedAndUnknown(t *testing.T) {
	f := newFixture(t)
	f.set("create_port", map[string]string{"subnet_id": "s1"})
	_, err := f.s.Apply(&f.op)
	var me *state.MalformedError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "port_id", me.Param)
	f.set("create_vm", map[string]string{"port_id": "p1"})
	_, err = f.s.Apply(&f.op)
	require.ErrorAs(t, err, &me, "an association needs both ends")
	assert.Equal(t, state.UnknownEntity, f.do("update_port", map[string]string{"port_id": "nope"}))
	assert.Equal(t, 0, f.s.Len(f.m.EntityIndex("port")), "nothing half-applied")
	assert.Equal(t, state.Created, f.do("create_port", map[string]string{"port_id": "p0", "tenant_id": "t9"}), "a port without a subnet is recorded with an unknown subnet")
}

func TestCELOverTheView(t *testing.T) {
	f := newFixture(t)
	f.example4Setup()
	f.do("create_port", map[string]string{"port_id": "port1187", "subnet_id": "s1", "tenant_id": "t1"})
	f.do("create_vm", map[string]string{"port_id": "port1187", "vm_id": "vm127", "device_owner": "compute:nova"})
	env := f.res.Envs[f.prop.Model]
	view := state.NewView(f.s, env)

	inv := f.prop.Invariant
	assert.True(t, evalBool(t, env, inv, view, nil), "attached compute port keeps the invariant")
	f.do("update_port", map[string]string{"port_id": "port1187", "device_owner": "network:dhcp"})
	assert.False(t, evalBool(t, env, inv, view, nil), "the OSSA-2015-018 state breaks it")

	op := f.set("update_port", map[string]string{"port_id": "port1187"})
	cr := f.prop.Criticals[0]
	assert.True(t, evalBool(t, env, cr.When, view, op), "fill-in: the port is network-owned now")
	byID, err := env.For(tables.Vars{Event: -1, Elem: -1, Scope: -1}, tables.ElemType{}, nil)
	require.NoError(t, err)
	ast, iss := byID.Compile(`cloud.vm_by_id["vm127"].tenant == "t1" && cloud.vm_by_id["nope"].tenant == "" && size(cloud.ports) == 1`)
	require.NoError(t, iss.Err())
	assert.True(t, run(t, byID, ast, map[string]any{"cloud": view.Cloud()}))
}

func evalBool(t *testing.T, env interface {
	For(tables.Vars, tables.ElemType, []celenv.LetDecl) (*cel.Env, error)
}, x *tables.Expr, view *state.View, op *state.Op) bool {
	t.Helper()
	e, err := env.For(x.Vars, tables.ElemType{}, nil)
	require.NoError(t, err)
	ast, iss := e.Compile(x.Src)
	require.NoError(t, iss.Err())
	act := map[string]any{"cloud": view.Cloud()}
	if op != nil {
		act["op"] = view.Op(op)
	}
	return run(t, e, ast, act)
}

func run(t *testing.T, env *cel.Env, ast *cel.Ast, act map[string]any) bool {
	t.Helper()
	prg, err := env.Program(ast)
	require.NoError(t, err)
	out, _, err := prg.Eval(act)
	require.NoError(t, err)
	b, ok := out.Value().(bool)
	require.True(t, ok, "result %v", out)
	return b
}

// TestAncestorsAreFixedWhenCreated: deleting a port's subnet and network leaves
// the port's ids in place, as Neutron ports keep their network_id.
func TestAncestorsAreFixedWhenCreated(t *testing.T) {
	f := newFixture(t)
	f.example4Setup()
	f.do("create_port", map[string]string{"port_id": "p1", "subnet_id": "s1", "tenant_id": "t1"})
	port := f.m.EntityIndex("port")
	row, ok := f.s.Row(port, f.sym("p1"))
	require.True(t, ok)
	network := f.m.EntityIndex("network")
	assert.Equal(t, "n1", f.s.Names.String(f.s.Ancestor(port, row, network)))
	f.do("delete_subnet", map[string]string{"subnet_id": "s1"})
	f.do("delete_network", map[string]string{"network_id": "n1"})
	assert.Equal(t, "n1", f.s.Names.String(f.s.Ancestor(port, row, network)), "the ancestor stays")
	assert.Equal(t, "t1", f.s.Names.String(f.s.Ancestor(port, row, f.prop.Scope)))
}

// TestRecreateFillsUnknownParents: a port first known without its tenant is
// counted in no scope; a later create naming the tenant moves it there.
func TestRecreateFillsUnknownParents(t *testing.T) {
	f := newFixture(t)
	f.do("create_port", map[string]string{"port_id": "p1"})
	port := f.m.EntityIndex("port")
	assert.Empty(t, f.s.Members(port, f.prop.Scope, f.sym("t7")))
	f.do("create_port", map[string]string{"port_id": "p1", "tenant_id": "t7"})
	assert.Len(t, f.s.Members(port, f.prop.Scope, f.sym("t7")), 1)
	assert.Equal(t, int32(4), f.n("t7"), "a port alone (its subnet unknown) is four steps away: network, subnet, the plug, the update")
	f.do("create_port", map[string]string{"port_id": "p1", "tenant_id": "t8"})
	assert.Len(t, f.s.Members(port, f.prop.Scope, f.sym("t7")), 1, "a known parent is never replaced")
}

// Comprehensions over cloud.<plural> and cloud.<entity>_ids fold the rows
// once (Get(i) for each i listed every row each time: O(n²), minutes at
// paper scale); they see every record, in order, and stop early.
func TestComprehensionsFoldEveryRecordOnce(t *testing.T) {
	f := newFixture(t)
	f.example4Setup()
	for _, id := range []string{"pa", "pb", "pc"} {
		f.do("create_port", map[string]string{"port_id": id, "subnet_id": "s1", "tenant_id": "t1"})
	}
	env, err := f.res.Envs[f.prop.Model].For(tables.Vars{Event: -1, Elem: -1, Scope: -1}, tables.ElemType{}, nil)
	require.NoError(t, err)
	view := state.NewView(f.s, f.res.Envs[f.prop.Model])
	for _, src := range []string{
		`cloud.ports.map(p, p.id) == ["pa", "pb", "pc"]`,
		`cloud.port_ids.map(p, p) == ["pa", "pb", "pc"]`,
		`cloud.ports.filter(p, p.id != "pb").map(p, p.id) == ["pa", "pc"]`,
		`cloud.ports.exists(p, p.id == "pb") && !cloud.port_ids.exists(p, p == "zz")`,
		`cloud.ports.all(p, p.tenant == "t1") && cloud.port_ids.all(p, p.startsWith("p"))`,
		`cloud.ports.exists_one(p, p.id == "pc")`,
	} {
		ast, iss := env.Compile(src)
		require.NoError(t, iss.Err(), src)
		assert.True(t, run(t, env, ast, map[string]any{"cloud": view.Cloud()}), src)
	}
}

func BenchmarkFilterOverTenThousandPorts(b *testing.B) {
	res, err := compiler.CompileDir("../../specs/openstack")
	require.NoError(b, err)
	p := res.Spec.Property("no_bypass")
	m := res.Spec.Models[p.Model]
	s := state.New(res.Spec, p.Model)
	var op state.Op
	do := func(event string, params map[string]string) {
		ev := m.EventIndex(event)
		op.Reset(ev, len(m.Events[ev].Params))
		for name, v := range params {
			op.Set(int(m.Events[ev].ParamIndex(name)), state.Str(s.Names.Intern(v)))
		}
		_, err := s.Apply(&op)
		require.NoError(b, err)
	}
	do("create_domain", map[string]string{"domain_id": "d1"})
	do("create_tenant", map[string]string{"tenant_id": "t1", "domain_id": "d1"})
	for i := range 10_000 {
		do("create_port", map[string]string{"port_id": "p" + strconv.Itoa(i), "tenant_id": "t1"})
	}
	env, err := res.Envs[p.Model].For(tables.Vars{Event: -1, Elem: -1, Scope: -1}, tables.ElemType{}, nil)
	require.NoError(b, err)
	ast, iss := env.Compile(`size(cloud.ports.filter(p, p.id == "p9999")) == 1`)
	require.NoError(b, iss.Err())
	prg, err := env.Program(ast)
	require.NoError(b, err)
	act := map[string]any{"cloud": state.NewView(s, res.Envs[p.Model]).Cloud()}
	b.ReportAllocs()
	for b.Loop() {
		if out, _, err := prg.Eval(act); err != nil || out.Value() != true {
			b.Fatal(out, err)
		}
	}
}
