package state_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// TestIndexFollowsTheCloud drives random events through a store and checks,
// after every one, that each index lists exactly the records a scan finds:
// an ancestor field (vm.tenant), an attribute (vm.host), a list attribute
// (tenant.avoid) and a link set by associations (port.vm).
func TestIndexFollowsTheCloud(t *testing.T) {
	f := newFixture(t)
	type ix struct {
		entity string
		field  string
	}
	var fields []tables.CloudField
	for _, x := range []ix{{"vm", "tenant"}, {"vm", "host"}, {"tenant", "avoid"}, {"port", "vm"}} {
		e := f.m.EntityIndex(x.entity)
		fi := slices.Index(f.m.FieldNames(e), x.field)
		require.GreaterOrEqual(t, fi, 1, x)
		fields = append(fields, tables.CloudField{Entity: e, Field: fi})
	}
	// One index exists before any record, one is asked for later: both must hold.
	for _, x := range fields[:3] {
		f.s.Index(x.Entity, x.Field)
	}
	ids := []string{"", "a", "b", "c", "d"}
	r := rand.New(rand.NewPCG(7, 11))
	pick := func() string { return ids[r.IntN(len(ids))] }
	for step := 0; step < 3000; step++ {
		if step == 1500 {
			f.s.Index(fields[3].Entity, fields[3].Field)
		}
		f.randomEvent(r, pick)
		for i, x := range fields {
			if i == 3 && step < 1500 {
				continue
			}
			for _, k := range ids {
				got, ok := f.s.Indexed(x.Entity, x.Field, f.sym(k))
				require.True(t, ok)
				require.Equal(t, f.scan(x, k), sorted(got), "step %d, %s by %s = %q", step,
					f.m.Entities[x.Entity].Name, f.m.FieldNames(x.Entity)[x.Field], k)
			}
		}
	}
	_, ok := f.s.Indexed(f.m.EntityIndex("port"), 1, f.sym("a"))
	require.False(t, ok, "a field nobody asked to index has no index")
}

func (f *fixture) randomEvent(r *rand.Rand, pick func() string) {
	avoid := func() state.Value {
		var l []int64
		for range r.IntN(3) {
			l = append(l, int64(f.sym(pick())))
		}
		return state.Value{L: l}
	}
	switch r.IntN(9) {
	case 0:
		f.set("create_tenant", map[string]string{"tenant_id": pick()})
		f.setList("avoid", avoid())
	case 1:
		f.set("update_tenant", map[string]string{"tenant_id": pick()})
		f.setList("avoid", avoid())
	case 2:
		f.set("delete_tenant", map[string]string{"tenant_id": pick()})
	case 3:
		f.set("boot_vm", map[string]string{"vm_id": pick(), "tenant_id": pick(), "host": pick()})
	case 4:
		f.set("migrate_vm", map[string]string{"vm_id": pick(), "host": pick()})
	case 5:
		f.set("delete_vm", map[string]string{"vm_id": pick()})
	case 6:
		f.set("create_port", map[string]string{"port_id": pick(), "tenant_id": pick(), "subnet_id": pick()})
	case 7:
		f.set("create_vm", map[string]string{"port_id": pick(), "vm_id": pick(), "device_owner": "compute:nova"})
	default:
		f.set("detach_port", map[string]string{"port_id": pick()})
	}
	if f.s.Check(&f.op) == nil {
		_, err := f.s.Apply(&f.op)
		require.NoError(f.t, err)
	}
}

func (f *fixture) setList(param string, v state.Value) {
	f.op.Set(int(f.m.Events[f.op.Event].ParamIndex(param)), v)
}

// scan is what the index must hold: the rows whose field holds k.
func (f *fixture) scan(x tables.CloudField, k string) []int32 {
	var out []int32
	list := f.m.FieldType(x.Entity, x.Field).Kind == tables.TList
	f.s.Each(x.Entity, func(row int32) bool {
		v := f.s.Field(x.Entity, row, x.Field)
		if list && v.Contains(int64(f.sym(k))) || !list && v.Sym() == f.sym(k) {
			out = append(out, row) // once, even when its list names k twice
		}
		return true
	})
	return sorted(out)
}

func sorted(rows []int32) []int32 {
	out := append([]int32{}, rows...)
	slices.Sort(out)
	if out == nil {
		out = []int32{}
	}
	return out
}

// TestIndexesInCEL: cloud.<plural>_by_<field> reads the same records with and
// without the store's index (the scan is the fallback for a field nobody
// registered), and flatten joins the lists.
func TestIndexesInCEL(t *testing.T) {
	srcs := []string{
		`cloud.ports_by_tenant["t1"].map(p, p.id) == ["pa", "pb"]`,
		`cloud.ports_by_tenant["t9"].size() == 0 && !("t9" in cloud.ports_by_tenant) && "t2" in cloud.ports_by_tenant`,
		`cloud.vms_by_host["h1"].map(v, v.id) == ["v1"] && cloud.vms_by_host[""].size() == 0`,
		`cloud.tenants_by_avoid["t2"].map(u, u.id) == ["t1"] && cloud.tenants_by_avoid["t1"].size() == 0`,
		`[cloud.ports_by_tenant["t1"], cloud.ports_by_tenant["t2"]].flatten().map(p, p.id) == ["pa", "pb", "pc"]`,
		`cloud.ports_by_tenant["t1"][1].id == "pb" && cloud.ports_by_tenant["t1"].exists(p, p.id == "pa")`,
	}
	for _, indexed := range []bool{false, true} {
		f := newFixture(t)
		if indexed {
			for _, x := range f.m.CloudFields() {
				if x.Kind == tables.CloudIndex {
					f.s.Index(x.Entity, x.Field)
				}
			}
		}
		f.do("create_tenant", map[string]string{"tenant_id": "t2"})
		f.set("create_tenant", map[string]string{"tenant_id": "t1"})
		f.setList("avoid", state.Value{L: []int64{int64(f.sym("t2")), int64(f.sym("t2"))}})
		_, err := f.s.Apply(&f.op)
		require.NoError(t, err)
		for _, id := range []string{"pa", "pb"} {
			f.do("create_port", map[string]string{"port_id": id, "tenant_id": "t1"})
		}
		f.do("create_port", map[string]string{"port_id": "pc", "tenant_id": "t2"})
		f.do("boot_vm", map[string]string{"vm_id": "v1", "tenant_id": "t1", "host": "h1"})
		env, err := f.res.Envs[f.prop.Model].For(tables.Vars{Event: -1, Elem: -1, Scope: -1}, tables.ElemType{}, nil)
		require.NoError(t, err)
		view := state.NewView(f.s, f.res.Envs[f.prop.Model])
		for _, src := range srcs {
			ast, iss := env.Compile(src)
			require.NoError(t, iss.Err(), src)
			require.True(t, run(t, env, ast, map[string]any{"cloud": view.Cloud()}), "indexed %v: %s", indexed, src)
		}
	}
}
