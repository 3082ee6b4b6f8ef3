package solver

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/tables"
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

// coResidencyCloud is a seeded infrastructure cloud of the shipped spec
// whose VMs are placed only where they make no conflict, so that
// no_co_residency holds.
func coResidencyCloud(t testing.TB, rng *rand.Rand, tenants, hosts, vms int) (*tables.Spec, *infra) {
	r, err := compiler.CompileDir("../specs/openstack")
	require.NoError(t, err)
	spec := r.Spec
	var m *tables.Model
	for _, mm := range spec.Models {
		if mm.Name == "infrastructure" {
			m = mm
		}
	}
	require.NotNil(t, m)
	x := &infra{m: m, src: NewMemSource(m)}
	avoid := map[[2]int]bool{}
	x.put("domain", "d1", nil, nil)
	for i := range tenants {
		var list []Value
		for j := range tenants {
			if j != i && rng.IntN(tenants) < 2 { // each tenant avoids about two others
				list = append(list, Str(fmt.Sprintf("t%d", j)))
				avoid[[2]int{i, j}] = true
			}
		}
		x.put("tenant", fmt.Sprintf("t%d", i), []string{"d1"}, map[string]Value{"avoid": List(list...)})
	}
	for h := range hosts {
		x.put("host", fmt.Sprintf("h%d", h), nil, nil)
	}
	on := make([][]int, hosts)
	for v := range vms {
		ten, h := rng.IntN(tenants), rng.IntN(hosts)
		ok := true
		for _, u := range on[h] {
			ok = ok && (u == ten || !avoid[[2]int{u, ten}] && !avoid[[2]int{ten, u}])
		}
		host := ""
		if ok {
			on[h] = append(on[h], ten)
			host = fmt.Sprintf("h%d", h)
		}
		x.put("vm", fmt.Sprintf("vm%d", v), []string{fmt.Sprintf("t%d", ten)}, map[string]Value{"host": Str(host)})
	}
	return spec, x
}

// A pairwise invariant (no_co_residency: every two VMs) is encoded for the
// pairs with a record the operation touches; on seeded clouds that satisfy it,
// that delta and the full grounding of every pair decide alike.
func TestBaselinePairwiseAgreesWithFull(t *testing.T) {
	const tenants, hosts, vms = 6, 4, 30
	rng := rand.New(rand.NewPCG(3, 4))
	spec, x := coResidencyCloud(t, rng, tenants, hosts, vms)
	fast, err := NewBaseline(spec, spec.Property("no_co_residency"))
	require.NoError(t, err)
	slow, err := NewBaseline(spec, spec.Property("no_co_residency"))
	require.NoError(t, err)
	slow.Full = true
	counts := map[Verdict]int{}
	for i := range 200 {
		params := map[string]Value{"host": Str(fmt.Sprintf("h%d", rng.IntN(hosts)))}
		event := "migrate_vm"
		params["vm_id"] = Str(fmt.Sprintf("vm%d", rng.IntN(vms)))
		if rng.IntN(2) == 0 {
			event = "boot_vm"
			params["vm_id"], params["tenant_id"] = Str(fmt.Sprintf("new%d", i)), Str(fmt.Sprintf("t%d", rng.IntN(tenants)))
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
}

func BenchmarkBaselineCoResidency1k(b *testing.B)     { benchCoResidency(b, 1_000, false) }
func BenchmarkBaselineCoResidencyFull1k(b *testing.B) { benchCoResidency(b, 1_000, true) }

// benchCoResidency decides migrate_vm on a cloud of n VMs (10 per tenant, 100 hosts).
func benchCoResidency(b *testing.B, n int, full bool) {
	rng := rand.New(rand.NewPCG(5, 6))
	spec, x := coResidencyCloud(b, rng, n/10, 100, n)
	bl, err := NewBaseline(spec, spec.Property("no_co_residency"))
	require.NoError(b, err)
	bl.Full = full
	op := x.op("migrate_vm", map[string]Value{"vm_id": Str("vm7"), "host": Str("h3")})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bl.Decide(x.src, op); err != nil {
			b.Fatal(err)
		}
	}
}
