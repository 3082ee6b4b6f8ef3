package symcel

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// fakeCloud is a constant cloud: records by entity, fields as strings.
type fakeCloud struct {
	b    *sym.B
	m    *tables.Model
	recs map[int32][]map[string]string // id and string fields by name
}

func (c *fakeCloud) Records(e int32) *sym.List {
	var es []*sym.Elem
	for i := range c.recs[e] {
		es = append(es, &sym.Elem{G: c.b.T, V: sym.Val{K: sym.KRec, E: e, R: &sym.Rec{E: e, Alts: []sym.RecAlt{{Slot: int32(i), L: c.b.T}}}}})
	}
	return sym.NewList(es)
}

func (c *fakeCloud) IDs(e int32) *sym.List {
	var keys []int64
	for _, r := range c.recs[e] {
		keys = append(keys, c.b.Dom.Key(r["id"]))
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	ls := make([]sym.Lit, len(keys))
	for i := range ls {
		ls[i] = c.b.T
	}
	return c.b.NewSet(sym.KStr, keys, ls)
}

func (c *fakeCloud) Lookup(e int32, id sym.Scalar) *sym.Rec {
	r := &sym.Rec{E: e}
	for i, rec := range c.recs[e] {
		if l := c.b.Is(id, c.b.Dom.Key(rec["id"])); l != c.b.F {
			r.Alts = append(r.Alts, sym.RecAlt{Slot: int32(i), L: l})
		}
	}
	return r
}

func (c *fakeCloud) Field(e, slot int32, f int) sym.Val {
	t := c.m.FieldType(e, f)
	v := c.recs[e][slot][c.m.FieldNames(e)[f]]
	if t.Kind == tables.TList {
		var keys []int64
		if v != "" {
			keys = append(keys, c.b.Dom.Key(v))
		}
		ls := make([]sym.Lit, len(keys))
		for i := range ls {
			ls[i] = c.b.T
		}
		return sym.ListOf(c.b.NewSet(sym.KStr, keys, ls))
	}
	return sym.Str(c.b.Const(c.b.Dom.Key(v)))
}

func TestEvaluatorOnAConstantCloud(t *testing.T) {
	r, err := compiler.CompileDir("../testdata/proven")
	require.NoError(t, err)
	m := r.Spec.Models[0]
	env, err := celenv.New(m)
	require.NoError(t, err)
	p := r.Spec.Property("no_bypass")
	comp, err := NewCompiler(env, p)
	require.NoError(t, err)
	b := sym.New(sym.NewDom())
	cloud := &fakeCloud{b: b, m: m, recs: map[int32][]map[string]string{
		m.EntityIndex("port"): {
			{"id": "p1", "device_owner": "compute:nova", "device_id": "vm1", "tenant": "t1"},
			{"id": "p2", "device_owner": "network:dhcp", "device_id": "dhcp", "tenant": "t1"},
			{"id": "p3", "device_owner": "network:router", "device_id": "", "tenant": "t2"},
		},
		m.EntityIndex("vm"):     {{"id": "vm1", "tenant": "t1"}},
		m.EntityIndex("tenant"): {{"id": "t1", "avoid": "t2"}, {"id": "t2"}},
	}}
	for src, want := range map[string]bool{
		p.Invariant.Src: true,
		`cloud.ports.exists(x, x.device_id in cloud.vm_ids && x.device_owner.startsWith("compute:"))`:             true,
		`cloud.ports.filter(x, x.device_owner.startsWith("network:")).size() == 2`:                                true,
		`cloud.ports.map(x, x.tenant).exists_one(t, t == "t2")`:                                                   true,
		`cloud.ports.all(x, x.tenant == "t1")`:                                                                    false,
		`cloud.port_by_id["nope"].device_owner == ""`:                                                             true,
		`cloud.vm_by_id[cloud.port_by_id["p1"].device_id].tenant == "t1"`:                                         true,
		`"p2" in cloud.port_by_id && !("p9" in cloud.port_ids)`:                                                   true,
		`["t1", "t2"] in [["t0", "t1"], ["t1", "t2"]]`:                                                            true,
		`{"a": 1, "b": 2}["b"] > 1 && "a" in {"a": 1}`:                                                            true,
		`size("network:") == 8 && "net" < "network" && "b".endsWith("b") && "abc".contains("bc")`:                 true,
		`(cloud.ports.size() > 2 ? "t2" : "t1") in cloud.tenant_by_id["t1"].avoid`:                                true,
		`cloud.tenants.filter(u, "t2" in u.avoid).map(u, u.id) + ["x"] == ["t1", "x"]`:                            true,
		`cloud.ports_by_tenant["t1"].size() == 2 && cloud.ports_by_tenant["t9"].size() == 0`:                      true,
		`"t2" in cloud.ports_by_tenant && !("t9" in cloud.ports_by_tenant)`:                                       true,
		`cloud.tenants_by_avoid["t2"].map(u, u.id) == ["t1"]`:                                                     true,
		`cloud.ports_by_device_owner["network:dhcp"].all(p, p.id == "p2")`:                                        true,
		`[cloud.ports_by_tenant["t2"], cloud.ports_by_tenant["t1"]].flatten().map(p, p.id) == ["p3", "p1", "p2"]`: true,
	} {
		prog, err := comp.Compile(&tables.Expr{Src: src, Vars: tables.Vars{Event: -1, Elem: -1, Scope: -1}}, "test")
		require.NoError(t, err, src)
		got, err := prog.EvalBool(&Env{B: b, Names: NewNames(m), Cloud: cloud})
		require.NoError(t, err, src)
		assert.Equal(t, map[bool]sym.Lit{true: b.T, false: b.F}[want], got, src)
	}
}

func TestUnsupportedConstructsNameTheExpression(t *testing.T) {
	r, err := compiler.CompileDir("../testdata/proven")
	require.NoError(t, err)
	env, err := celenv.New(r.Spec.Models[0])
	require.NoError(t, err)
	comp, err := NewCompiler(env, r.Spec.Property("no_bypass"))
	require.NoError(t, err)
	for src, msg := range map[string]string{
		`cloud.ports.all(p, p.device_owner.matches("x"))`: "function matches is not supported",
		`cloud.ports.all(p, has(p.device_owner))`:         "has() is supported on op parameters only",
		`cloud.ports.all(p, double(1) > 0.5)`:             "not supported",
	} {
		_, err := comp.Compile(&tables.Expr{Src: src, Vars: tables.Vars{Event: -1, Elem: -1, Scope: -1}}, "invariant")
		require.Error(t, err, src)
		assert.Contains(t, err.Error(), "property no_bypass, invariant", src)
		assert.Contains(t, err.Error(), msg, src)
	}
}
