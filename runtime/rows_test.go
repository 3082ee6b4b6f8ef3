package runtime_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
)

// rowsEngine is the testdata/rows spec with a tenant, two hosts, a port p0 and a VM v1 on h1.
func rowsEngine(t *testing.T, opt runtime.Options) (*runtime.Engine, *intercept.Interceptor) {
	t.Helper()
	e := engine(t, "testdata/rows", opt)
	for _, o := range []struct {
		ev string
		p  P
	}{
		{"create_tenant", P{"tenant_id": "t"}}, {"create_host", P{"host_id": "h1"}}, {"create_host", P{"host_id": "h2"}},
		{"create_port", P{"port_id": "p0", "tenant_id": "t", "owner": "me"}},
		{"boot_vm", P{"vm_id": "v1", "tenant_id": "t", "host": "h1"}},
	} {
		d := e.Apply(op(t, e, o.ev, o.p))
		require.NoError(t, d.Err)
	}
	return e, intercept.New(e)
}

func describe(e *runtime.Engine, ops []runtime.Op) []string {
	out := make([]string, len(ops))
	for i := range ops {
		out[i] = e.Format(&ops[i])
	}
	return out
}

func request(t *testing.T, in *intercept.Interceptor, method, path, body, response string) []runtime.Op {
	t.Helper()
	r := intercept.Request{Method: method, Path: path, Body: []byte(body)}
	if response != "" {
		r.Response = []byte(response)
	}
	ops, err := in.Request(r)
	require.NoError(t, err)
	return ops
}

func TestEachRowYieldsOneOperationPerElement(t *testing.T) {
	e, in := rowsEngine(t, runtime.Options{})
	ops := request(t, in, "POST", "/ports", `{"ports": [{"tenant_id": "t", "owner": "a"}, {"tenant_id": "t", "owner": "b"}]}`,
		`{"ports": [{"id": "p1"}, {"id": "p2"}]}`)
	assert.Equal(t, []string{"create_port(port_id=p1, tenant_id=t, owner=a)", "create_port(port_id=p2, tenant_id=t, owner=b)"}, describe(e, ops))
	ops = request(t, in, "POST", "/ports", `{"port": {"tenant_id": "t", "owner": "c"}}`, `{"port": {"id": "p3"}}`)
	assert.Equal(t, []string{"create_port(port_id=p3, tenant_id=t, owner=c)"}, describe(e, ops), "the single form, by its if path")
	ops = request(t, in, "POST", "/ports", `{"ports": []}`, `{"ports": []}`)
	assert.Empty(t, ops, "an empty bulk list is known and yields nothing")
	assert.Equal(t, int64(0), in.Counts().Unknown)
}

func TestPresenceTellsAbsentFromEmpty(t *testing.T) {
	e, in := rowsEngine(t, runtime.Options{})
	ops := request(t, in, "PUT", "/ports/p0", `{"port": {"owner": ""}}`, "")
	require.Equal(t, []string{"update_port(port_id=p0, owner=)"}, describe(e, ops))
	d := e.Decide(&ops[0])
	assert.Equal(t, runtime.Deny, d.Verdict(), "an owner given as empty is the critical move")
	ops = request(t, in, "PUT", "/ports/p0", `{"port": {"name": "x"}}`, "")
	assert.Empty(t, ops, "no owner given: the ignore row recognises it")
	assert.Equal(t, intercept.Counts{Known: 2}, in.Counts())
}

func TestAlsoRowsApplyBesideTheDecidingRow(t *testing.T) {
	e, in := rowsEngine(t, runtime.Options{})
	n, _ := json.Marshal(map[string]any{"event_type": "vm.create.end", "payload": map[string]any{"id": "v2", "tenant": "t", "host": "h2",
		"ports": []any{map[string]any{"id": "p0"}}}})
	ops, err := in.Notification(n)
	require.NoError(t, err)
	assert.Equal(t, []string{"boot_vm(vm_id=v2, tenant_id=t, host=h2)", "update_port(port_id=p0, owner=compute, device=v2)"}, describe(e, ops))
}

func TestIfRowsAndRequiredParameters(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		opt := runtime.Options{}
		if failOpen {
			opt.FailOpen = []string{"one_vm_per_host"}
		}
		e, in := rowsEngine(t, opt)
		assert.Empty(t, request(t, in, "POST", "/vms/v1/action", `{"reboot": {"type": "SOFT"}}`, ""), "a reboot changes nothing modelled")
		assert.Empty(t, request(t, in, "POST", "/vms/v1/action", `{"resize": {}}`, ""))
		assert.Equal(t, int64(1), in.Counts().Unknown, "an action no row knows is counted")
		ops := request(t, in, "POST", "/vms/v1/action", `{"move": {"host": "h2"}}`, "")
		require.Equal(t, []string{"move_vm(vm_id=v1, host=h2)"}, describe(e, ops))
		allowed := e.Decide(&ops[0])
		assert.Equal(t, runtime.Allow, allowed.Verdict())
		ops = request(t, in, "POST", "/vms/v1/action", `{"move": {"host": null}}`, "")
		require.Equal(t, []string{"move_vm(vm_id=v1)"}, describe(e, ops), "the scheduler's choice: no host")
		d := e.Decide(&ops[0])
		c := d.At(0)
		assert.Equal(t, runtime.WhyMissing, c.Why)
		if failOpen {
			assert.Equal(t, runtime.Allow, d.Verdict())
		} else {
			assert.Equal(t, runtime.Deny, d.Verdict(), "a required parameter left out fails closed")
			assert.Contains(t, d.Reason(0), "move_vm is critical but does not say host, so the rule cannot be checked")
		}
	}
}

func TestGuardNamesTheResourceAndItsFailMode(t *testing.T) {
	e, _ := rowsEngine(t, runtime.Options{})
	g, ok := e.Guard("POST", "/vms/0c3d0a0f-a0f7-4733-b689-b1ef371b06fb/action")
	require.False(t, ok, "templates of one segment name no versioned resource")
	_ = g
	oe := engine(t, "../specs/openstack", runtime.Options{FailOpen: []string{"no_cross_tenant_port"}})
	g, ok = oe.Guard("POST", "/v2.1/servers/0c3d0a0f-a0f7-4733-b689-b1ef371b06fb/action")
	require.True(t, ok)
	assert.Equal(t, "POST /v2.1/servers/{id}/action", g.Pattern)
	// router_owner_isolation: a port detached from a server may be turned into an interface.
	assert.Equal(t, []string{"no_co_residency", "no_cross_tenant_port", "router_owner_isolation"}, g.Properties)
	assert.Equal(t, []string{"no_co_residency", "router_owner_isolation"}, g.FailClosed, "no_cross_tenant_port fails open here")
	_, ok = oe.Guard("GET", "/v2.1/servers/x")
	assert.False(t, ok, "a read changes nothing")
	_, ok = oe.Guard("POST", "/v2.1/flavors")
	assert.False(t, ok, "a resource no row models")
	g, ok = oe.Guard("PUT", "/v2.0/ports/7b122e55-baba-4437-9570-0908e26b45d3/tags/x")
	require.True(t, ok)
	assert.Equal(t, "PUT /v2.0/ports/{id}/tags/x", g.Pattern)
}
