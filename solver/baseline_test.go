package solver

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/compiler/tables"
)

// infra builds records of the infrastructure model by entity and field name.
type infra struct {
	m   *tables.Model
	src *MemSource
}

func newInfra(t testing.TB, spec *tables.Spec) *infra {
	return &infra{m: spec.Models[0], src: NewMemSource(spec.Models[0])}
}

func (x *infra) put(entity, id string, parents []string, attrs map[string]Value) {
	e := x.m.EntityIndex(entity)
	r := &MemRecord{Id: id, Parents: parents, Attrs: make([]Value, len(x.m.Entities[e].Attrs))}
	for i, a := range x.m.Entities[e].Attrs {
		if v, ok := attrs[a.Name]; ok {
			r.Attrs[i] = v
		}
	}
	x.src.Put(e, r)
}

func (x *infra) op(event string, params map[string]Value) Op {
	ev := x.m.EventIndex(event)
	op := Op{Event: ev, Params: make([]Value, len(x.m.Events[ev].Params))}
	for i, p := range x.m.Events[ev].Params {
		if v, ok := params[p.Name]; ok {
			op.Params[i] = v
		}
	}
	return op
}

// example4 is DESIGN.md's Example 4: port1187 is attached to vm127.
func example4(t testing.TB) (*tables.Spec, *infra) {
	r, err := compiler.CompileDir("testdata/proven")
	require.NoError(t, err)
	x := newInfra(t, r.Spec)
	x.put("domain", "d1", nil, nil)
	x.put("tenant", "t1", []string{"d1"}, nil)
	x.put("network", "n1", []string{"t1"}, nil)
	x.put("subnet", "s1", []string{"n1"}, nil)
	x.put("vm", "vm127", []string{"t1"}, nil)
	x.put("port", "port1187", []string{"s1", "t1"}, map[string]Value{"device_owner": Str("compute:nova"), "device_id": Str("vm127")})
	x.put("port", "port9", []string{"s1", "t1"}, nil)
	return r.Spec, x
}

func TestBaselineExample4(t *testing.T) {
	spec, x := example4(t)
	for _, full := range []bool{false, true} {
		bl, err := NewBaseline(spec, spec.Property("no_bypass"))
		require.NoError(t, err)
		bl.Full = full
		d, err := bl.Decide(x.src, x.op("update_port", map[string]Value{"port_id": Str("port1187"), "device_owner": Str("network:dhcp")}))
		require.NoError(t, err)
		assert.Equal(t, Deny, d.Verdict, d.Reason)
		assert.Contains(t, d.Reason, "port port1187")

		d, err = bl.Decide(x.src, x.op("update_port", map[string]Value{"port_id": Str("port9"), "device_owner": Str("network:dhcp")}))
		require.NoError(t, err)
		assert.Equal(t, Allow, d.Verdict, d.Reason)

		// Moving the port off its VM in the same update makes it harmless.
		d, err = bl.Decide(x.src, x.op("update_port", map[string]Value{"port_id": Str("port1187"), "device_owner": Str("network:dhcp"), "device_id": Str("dhcp1")}))
		require.NoError(t, err)
		assert.Equal(t, Allow, d.Verdict, d.Reason)

		d, err = bl.Decide(x.src, x.op("update_port", map[string]Value{"port_id": Str("port1187"), "device_owner": Str("compute:nova")}))
		require.NoError(t, err)
		assert.Equal(t, Pass, d.Verdict, "not network-owned: the critical's when is false")
	}
}

func TestBaselineCreation(t *testing.T) {
	spec, x := example4(t)
	bl, err := NewBaseline(spec, spec.Property("no_bypass"))
	require.NoError(t, err)
	bound := map[string]Value{"port_id": Str("p2"), "subnet_id": Str("s1"), "tenant_id": Str("t1"), "device_owner": Str("network:dhcp"), "device_id": Str("vm127")}
	d, err := bl.Decide(x.src, x.op("create_network_port", bound))
	require.NoError(t, err)
	assert.Equal(t, Deny, d.Verdict, d.Reason)
	bound["device_id"] = Str("dhcp-n1")
	d, err = bl.Decide(x.src, x.op("create_network_port", bound))
	require.NoError(t, err)
	assert.Equal(t, Allow, d.Verdict, d.Reason)
}

// bigCloud has ports ports, ten per tenant, every other one bound to a VM.
func bigCloud(b testing.TB, ports int) (*tables.Spec, *infra) {
	r, err := compiler.CompileDir("testdata/proven")
	require.NoError(b, err)
	x := newInfra(b, r.Spec)
	x.put("domain", "d", nil, nil)
	for i := 0; i < ports; i++ {
		t := fmt.Sprintf("t%d", i/10)
		if i%10 == 0 {
			x.put("tenant", t, []string{"d"}, nil)
			x.put("network", "n"+t, []string{t}, nil)
			x.put("subnet", "s"+t, []string{"n" + t}, nil)
		}
		attrs := map[string]Value{"device_owner": Str("network:dhcp"), "device_id": Str("dhcp-n" + t)}
		if i%2 == 0 {
			vm := fmt.Sprintf("vm%d", i)
			x.put("vm", vm, []string{t}, nil)
			attrs = map[string]Value{"device_owner": Str("compute:nova"), "device_id": Str(vm)}
		}
		x.put("port", fmt.Sprintf("p%d", i), []string{"s" + t, t}, attrs)
	}
	return r.Spec, x
}

func benchBaseline(b *testing.B, ports int, full bool) {
	spec, x := bigCloud(b, ports)
	bl, err := NewBaseline(spec, spec.Property("no_bypass"))
	require.NoError(b, err)
	bl.Full = full
	bound := x.op("update_port", map[string]Value{"port_id": Str(fmt.Sprintf("p%d", ports/2)), "device_owner": Str("network:dhcp")})
	d, err := bl.Decide(x.src, bound)
	require.NoError(b, err)
	require.Equal(b, Deny, d.Verdict, d.Reason)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bl.Decide(x.src, bound); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineNoBypass10k(b *testing.B)      { benchBaseline(b, 10_000, false) }
func BenchmarkBaselineNoBypass100k(b *testing.B)     { benchBaseline(b, 100_000, false) }
func BenchmarkBaselineNoBypassFull10k(b *testing.B)  { benchBaseline(b, 10_000, true) }
func BenchmarkBaselineNoBypassFull100k(b *testing.B) { benchBaseline(b, 100_000, true) }

// The fast baseline (instances the operation can change, decided by unit
// propagation) and the slow one (every instance, decided by full Solves)
// agree on seeded random critical operations.
func TestBaselineFastAgreesWithFull(t *testing.T) {
	spec, x := bigCloud(t, 60)
	fast, err := NewBaseline(spec, spec.Property("no_bypass"))
	require.NoError(t, err)
	slow, err := NewBaseline(spec, spec.Property("no_bypass"))
	require.NoError(t, err)
	slow.Full, slow.SolveQueries = true, true
	rng := rand.New(rand.NewPCG(1, 2))
	owners := []string{"network:dhcp", "network:router_interface", "compute:nova", ""}
	counts := map[Verdict]int{}
	for i := 0; i < 300; i++ {
		params := map[string]Value{"port_id": Str(fmt.Sprintf("p%d", rng.IntN(70))), "device_owner": Str(owners[rng.IntN(len(owners))])}
		switch rng.IntN(3) {
		case 0:
			params["device_id"] = Str(fmt.Sprintf("vm%d", rng.IntN(70)))
		case 1:
			params["device_id"] = Str("dhcp")
		}
		event := "update_port"
		if rng.IntN(3) == 0 {
			event = "create_network_port"
			params["port_id"] = Str(fmt.Sprintf("new%d", i))
			params["subnet_id"], params["tenant_id"] = Str("st1"), Str("t1")
		}
		op := x.op(event, params)
		a, err := fast.Decide(x.src, op)
		require.NoError(t, err)
		b, err := slow.Decide(x.src, op)
		require.NoError(t, err)
		require.Equal(t, b.Verdict, a.Verdict, "op %d %s %v: %s / %s", i, event, params, a.Reason, b.Reason)
		counts[a.Verdict]++
	}
	assert.Positive(t, counts[Allow])
	assert.Positive(t, counts[Deny])
	assert.Positive(t, counts[Pass])
}
