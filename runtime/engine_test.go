package runtime_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/tables"
)

var (
	specMu    sync.Mutex
	specCache = map[string]*compiler.Result{}
)

func compiled(t testing.TB, dir string) *compiler.Result {
	t.Helper()
	specMu.Lock()
	defer specMu.Unlock()
	if r, ok := specCache[dir]; ok {
		return r
	}
	r, err := compiler.CompileDir(dir)
	require.NoError(t, err)
	specCache[dir] = r
	return r
}

func engine(t testing.TB, dir string, opt runtime.Options) *runtime.Engine {
	t.Helper()
	r := compiled(t, dir)
	e, err := runtime.New(r.Spec, r.Envs, opt)
	require.NoError(t, err)
	return e
}

type P = map[string]any

// op binds a neutral operation of the model that declares it first.
func op(t testing.TB, e *runtime.Engine, event string, params P) *runtime.Op {
	t.Helper()
	o, err := e.NewOp(event, params)
	require.NoError(t, err)
	return &o
}

// run processes a neutral operation in every model that declares it and returns the decision of the first.
func run(t testing.TB, e *runtime.Engine, event string, params P) runtime.Decision {
	t.Helper()
	ops, err := e.Neutral(event, params)
	require.NoError(t, err)
	require.NotEmpty(t, ops)
	var first runtime.Decision
	for i := range ops {
		d := e.Process(&ops[i])
		require.NoError(t, d.Err, event)
		if i == 0 {
			first = d
		}
	}
	return first
}

// check finds the decision's check of a property.
func check(t testing.TB, e *runtime.Engine, d *runtime.Decision, property string) *runtime.Check {
	t.Helper()
	for i := 0; i < d.Len(); i++ {
		if e.Spec().Properties[d.At(i).Property].Name == property {
			return d.At(i)
		}
	}
	t.Fatalf("%s does not concern %s", e.Spec().Models[d.Model].Events[d.Event].Name, property)
	return nil
}

func scope(t testing.TB, e *runtime.Engine, property, id string) runtime.ScopeState {
	t.Helper()
	s, err := e.Scope(property, id)
	require.NoError(t, err)
	return s
}

// TestExample4 is the paper's Example 4 (OSSA-2015-018), step by step.
func TestExample4(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	run(t, e, "create_domain", P{"domain_id": "d1"})
	run(t, e, "create_tenant", P{"tenant_id": "tenant1", "domain_id": "d1"})
	run(t, e, "create_network", P{"network_id": "net1", "tenant_id": "tenant1"})
	run(t, e, "create_subnet", P{"subnet_id": "subnet1", "network_id": "net1"})
	assert.Equal(t, runtime.ScopeState{NCP: 3, Threshold: 3, Watched: true}, scope(t, e, "no_bypass", "tenant1"),
		"tenant, network and subnet exist: N-cp 3 = N-th, the watchlist is built (empty)")

	d := run(t, e, "create_port", P{"port_id": "port1187", "subnet_id": "subnet1", "tenant_id": "tenant1"})
	c := check(t, e, &d, "no_bypass")
	assert.Equal(t, tables.WE, c.Kind)
	assert.Equal(t, int32(3), c.NCP)
	assert.Equal(t, runtime.Pass, c.Verdict)
	assert.Equal(t, runtime.ScopeState{NCP: 2, Threshold: 3, Watched: true, Elements: []string{"port1187"}}, scope(t, e, "no_bypass", "tenant1"))

	d = run(t, e, "create_vm", P{"port_id": "port1187", "vm_id": "vm127", "device_owner": "compute:nova"})
	c = check(t, e, &d, "no_bypass")
	assert.Equal(t, tables.WE, c.Kind)
	assert.Equal(t, int32(2), c.NCP)
	assert.Equal(t, runtime.ScopeState{NCP: 1, Threshold: 3, Watched: true}, scope(t, e, "no_bypass", "tenant1"), "port1187 is attached: removed")

	attack := op(t, e, "update_port", P{"port_id": "port1187", "device_owner": "network:dhcp"})
	d = e.Process(attack)
	c = check(t, e, &d, "no_bypass")
	assert.Equal(t, tables.CE, c.Kind)
	assert.Equal(t, int32(1), c.NCP)
	assert.Equal(t, runtime.Deny, c.Verdict)
	assert.Equal(t, runtime.WhyRule, c.Why)
	assert.True(t, d.Blocked)
	assert.False(t, d.Applied, "a denied critical operation is not applied")
	assert.Equal(t, `no_bypass: update_port is critical and rule `+"`op.port_id in watchlist`"+
		` is false; "port1187" is not in watchlist unattached of tenant "tenant1" (N-cp 1, N-th 3); enforce deny`, d.Reason(0))
	rec := d.Record()
	assert.Equal(t, []string{"port1187"}, rec.Checks[0].Element)
	assert.False(t, *rec.Checks[0].Found)
	assert.Equal(t, "tenant1", rec.Checks[0].Scope)

	// Renaming the port's owner to another compute owner is not critical.
	d = run(t, e, "update_port", P{"port_id": "port1187", "device_owner": "compute:az1"})
	assert.Equal(t, runtime.WhyNotCritical, check(t, e, &d, "no_bypass").Why)

	// A port that is not bound to a VM may become network-owned.
	run(t, e, "create_port", P{"port_id": "port2", "subnet_id": "subnet1", "tenant_id": "tenant1"})
	d = run(t, e, "update_port", P{"port_id": "port2", "device_owner": "network:dhcp"})
	c = check(t, e, &d, "no_bypass")
	assert.Equal(t, runtime.Allow, c.Verdict)
	assert.True(t, c.Found)
	assert.Contains(t, d.Reason(0), `"port2" is in watchlist unattached of tenant "tenant1"`)
}

func TestDryRunReportsWithoutBlocking(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{DryRun: true, Properties: []string{"no_bypass"}})
	example4Context(t, e)
	d := e.Process(op(t, e, "update_port", P{"port_id": "port1187", "device_owner": "network:dhcp"}))
	assert.Equal(t, runtime.Deny, d.Verdict())
	assert.False(t, d.Blocked)
	assert.True(t, d.Applied)
}

func example4Context(t testing.TB, e *runtime.Engine) {
	t.Helper()
	run(t, e, "create_domain", P{"domain_id": "d1"})
	run(t, e, "create_tenant", P{"tenant_id": "tenant1", "domain_id": "d1"})
	run(t, e, "create_network", P{"network_id": "net1", "tenant_id": "tenant1"})
	run(t, e, "create_subnet", P{"subnet_id": "subnet1", "network_id": "net1"})
	run(t, e, "create_port", P{"port_id": "port1187", "subnet_id": "subnet1", "tenant_id": "tenant1"})
	run(t, e, "create_vm", P{"port_id": "port1187", "vm_id": "vm127", "device_owner": "compute:nova"})
	run(t, e, "create_port", P{"port_id": "port2", "subnet_id": "subnet1", "tenant_id": "tenant1"})
}

func TestFailModes(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	example4Context(t, e)

	// A port the context has never seen: its tenant is unknown, the rule reads the watchlist.
	d := e.Decide(op(t, e, "update_port", P{"port_id": "ghost", "device_owner": "network:dhcp"}))
	c := check(t, e, &d, "no_bypass")
	assert.Equal(t, runtime.WhyScopeUnknown, c.Why)
	assert.Equal(t, runtime.Deny, c.Verdict, "fail closed")
	assert.Equal(t, int32(-1), c.NCP)
	assert.Equal(t, "no_bypass: the tenant of this update_port is not in the context, so the rule cannot be checked; fail closed: deny", d.Reason(0))

	allowed := op(t, e, "update_port", P{"port_id": "port2", "device_owner": "network:dhcp"})
	require.NoError(t, e.MarkInDoubt("no_bypass", "tenant1"))
	d = e.Decide(allowed)
	assert.Equal(t, runtime.WhyInDoubt, check(t, e, &d, "no_bypass").Why)
	assert.Equal(t, runtime.Deny, d.Verdict())
	assert.Contains(t, d.Reason(0), `the context of tenant "tenant1" is in doubt (missed events); fail closed: deny`)
	e.ClearDoubt()
	d = e.Decide(allowed)
	assert.Equal(t, runtime.Allow, d.Verdict())
	e.MarkAllInDoubt()
	d = e.Decide(allowed)
	assert.Equal(t, runtime.Deny, d.Verdict())
}

func TestAlertLogAndFailOpen(t *testing.T) {
	e := engine(t, "testdata/alerting", runtime.Options{})
	run(t, e, "open_store", P{"store_id": "s1"})
	run(t, e, "add_item", P{"item_id": "i1", "store_id": "s1", "price": 10})
	run(t, e, "add_item", P{"item_id": "i2", "store_id": "s1", "price": 500, "owner": "ann"})

	d := e.Process(op(t, e, "reprice", P{"item_id": "i1", "price": 900}))
	assert.Equal(t, runtime.Allow, check(t, e, &d, "cheap").Verdict, "i1 is listed")
	assert.Equal(t, runtime.Log, check(t, e, &d, "owned").Verdict, "i1 has no owner: logged")
	assert.False(t, d.Blocked, "alert and log do not block")
	assert.True(t, d.Applied)

	d = e.Process(op(t, e, "reprice", P{"item_id": "ghost", "price": 900}))
	assert.Equal(t, runtime.Allow, check(t, e, &d, "cheap").Verdict, "unknown scope, fail open")
	assert.Equal(t, runtime.WhyScopeUnknown, check(t, e, &d, "cheap").Why)
	assert.Equal(t, runtime.Log, check(t, e, &d, "owned").Verdict, "unknown scope, fail closed: the enforcement, log")
	assert.Contains(t, d.Reason(0), "fail open: allow")

	e.MarkAllInDoubt()
	d = e.Decide(op(t, e, "reprice", P{"item_id": "i2", "price": 900}))
	assert.Equal(t, runtime.Allow, check(t, e, &d, "cheap").Verdict)
	assert.Equal(t, runtime.Log, check(t, e, &d, "owned").Verdict)
	assert.Equal(t, runtime.Log, d.Verdict())
}

func TestSlowPathBuildsTheMissingWatchlist(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	// A port on its tenant's subnet is two steps from the critical event: Nova
	// plugs a VM into it, then it is re-owned. Its watchlist is built proactively.
	run(t, e, "create_domain", P{"domain_id": "d"})
	run(t, e, "create_tenant", P{"tenant_id": "t9", "domain_id": "d"})
	run(t, e, "create_network", P{"network_id": "n9", "tenant_id": "t9"})
	run(t, e, "create_subnet", P{"subnet_id": "s9", "network_id": "n9"})
	run(t, e, "create_port", P{"port_id": "p1", "subnet_id": "s9", "tenant_id": "t9"})
	st := scope(t, e, "no_bypass", "t9")
	require.True(t, st.Watched)
	require.Equal(t, int32(2), st.NCP)

	// The watchlists are gone (an operator dropped them): the next critical
	// operation must not pass unchecked, it builds the watchlist on the spot.
	e.DropWatchlists()
	require.False(t, scope(t, e, "no_bypass", "t9").Watched)
	d := e.Decide(op(t, e, "update_port", P{"port_id": "p1", "device_owner": "network:dhcp"}))
	c := check(t, e, &d, "no_bypass")
	assert.True(t, c.SlowPath)
	assert.Equal(t, runtime.Allow, c.Verdict, "built on the spot, the watchlist holds the unbound port")
	assert.Contains(t, d.Reason(0), "the watchlist was built on the spot")
	assert.Equal(t, int64(1), e.Stats().SlowPaths)
	assert.True(t, scope(t, e, "no_bypass", "t9").Watched, "at N-cp 2 <= N-th 3, in a tenant that exists, it is kept")

	// A tenant only a port names (no record of its own) gets no watchlist kept.
	run(t, e, "create_port", P{"port_id": "p2", "tenant_id": "ghost"})
	e.DropWatchlists()
	d = e.Decide(op(t, e, "update_port", P{"port_id": "p2", "device_owner": "network:dhcp"}))
	assert.True(t, check(t, e, &d, "no_bypass").SlowPath)
	assert.False(t, scope(t, e, "no_bypass", "ghost").Watched)
}

func TestDeletingAScopeDropsItsWatchlist(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	run(t, e, "create_domain", P{"domain_id": "d"})
	run(t, e, "create_tenant", P{"tenant_id": "t1", "domain_id": "d"})
	run(t, e, "create_network", P{"network_id": "n1", "tenant_id": "t1"})
	run(t, e, "create_subnet", P{"subnet_id": "s1", "network_id": "n1"})
	run(t, e, "create_port", P{"port_id": "p1", "subnet_id": "s1", "tenant_id": "t1"})
	require.True(t, scope(t, e, "no_bypass", "t1").Watched)
	run(t, e, "delete_tenant", P{"tenant_id": "t1"})
	assert.False(t, scope(t, e, "no_bypass", "t1").Watched)
}

func TestConcurrentDecideAndProcess(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	const tenants = 16
	run(t, e, "create_domain", P{"domain_id": "d"})
	for i := range tenants {
		tn := fmt.Sprint("t", i)
		run(t, e, "create_tenant", P{"tenant_id": tn, "domain_id": "d"})
		run(t, e, "create_network", P{"network_id": "n" + tn, "tenant_id": tn})
		run(t, e, "create_subnet", P{"subnet_id": "s" + tn, "network_id": "n" + tn})
		run(t, e, "create_port", P{"port_id": "free" + tn, "subnet_id": "s" + tn, "tenant_id": tn})
		run(t, e, "create_port", P{"port_id": "bound" + tn, "subnet_id": "s" + tn, "tenant_id": tn})
		run(t, e, "create_vm", P{"port_id": "bound" + tn, "vm_id": "vm" + tn, "device_owner": "compute:nova"})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 1024)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				tn := fmt.Sprint("t", (i+g)%tenants)
				free, _ := e.NewOp("update_port", P{"port_id": "free" + tn, "device_owner": "network:dhcp"})
				bound, _ := e.NewOp("update_port", P{"port_id": "bound" + tn, "device_owner": "network:dhcp"})
				if d := e.Decide(&free); d.Verdict() != runtime.Allow {
					errs <- "free port denied in " + tn
				}
				if d := e.Decide(&bound); d.Verdict() != runtime.Deny {
					errs <- "bound port allowed in " + tn
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 300 {
			tn := fmt.Sprint("t", i%tenants)
			p := fmt.Sprintf("extra%d", i)
			o, _ := e.NewOp("create_port", P{"port_id": p, "subnet_id": "s" + tn, "tenant_id": tn})
			e.Process(&o)
			o, _ = e.NewOp("delete_port", P{"port_id": p})
			e.Process(&o)
		}
	}()
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	for i := range tenants {
		tn := fmt.Sprint("t", i)
		assert.Equal(t, []string{"free" + tn}, scope(t, e, "no_bypass", tn).Elements)
	}
}

func TestCriticalDecisionDoesNotAllocate(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{})
	example4Context(t, e)
	deny := op(t, e, "update_port", P{"port_id": "port1187", "device_owner": "network:dhcp"})
	allow := op(t, e, "update_port", P{"port_id": "port2", "device_owner": "network:dhcp"})
	d := e.Decide(deny)
	require.Equal(t, runtime.Deny, d.Verdict())
	d = e.Decide(allow)
	require.Equal(t, runtime.Allow, d.Verdict())
	assert.Zero(t, testing.AllocsPerRun(200, func() { e.Decide(deny) }))
	assert.Zero(t, testing.AllocsPerRun(200, func() { e.Decide(allow) }))
}

// TestNonCriticalEventsDoNotAllocate pins the steady state the watchlist
// and trigger event benchmarks measure: once warm, a port or subnet created
// and deleted again allocates nothing.
func TestNonCriticalEventsDoNotAllocate(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	example4Context(t, e)
	for _, pair := range [][2]*runtime.Op{
		{op(t, e, "create_port", P{"port_id": "port3", "subnet_id": "subnet1", "tenant_id": "tenant1"}), op(t, e, "delete_port", P{"port_id": "port3"})},
		{op(t, e, "create_subnet", P{"subnet_id": "subnet2", "network_id": "net1"}), op(t, e, "delete_subnet", P{"subnet_id": "subnet2"})},
	} {
		cycle := func() {
			for _, o := range pair {
				if d := e.Process(o); !d.Applied {
					t.Fatalf("%s was not applied: %v", e.Format(o), d.Err)
				}
			}
		}
		cycle()
		assert.Zero(t, testing.AllocsPerRun(200, cycle), e.Format(pair[0]))
	}
}

func TestStaleOperationsAreRefused(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{})
	o := op(t, e, "create_domain", P{"domain_id": "d1"})
	_, err := e.LoadSnapshotFile("testdata/snapshot.json")
	require.NoError(t, err)
	d := e.Process(o)
	assert.ErrorIs(t, d.Err, runtime.ErrStale)
}

func TestScopesListsTheWatchedScopes(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	run(t, e, "create_domain", P{"domain_id": "d"})
	for _, tn := range []string{"t2", "t1"} {
		run(t, e, "create_tenant", P{"tenant_id": tn, "domain_id": "d"})
	}
	run(t, e, "create_network", P{"network_id": "n2", "tenant_id": "t2"})
	run(t, e, "create_subnet", P{"subnet_id": "s2", "network_id": "n2"})
	got, err := e.Scopes("no_bypass")
	require.NoError(t, err)
	assert.Equal(t, []string{"t2"}, got, "t1 is 5 steps away, above N-th")
	_, err = e.Scopes("nope")
	assert.Error(t, err)
}
