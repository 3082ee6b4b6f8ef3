package intercept_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
)

var (
	specOnce sync.Once
	specRes  *compiler.Result
	specErr  error
)

func newEngine(t *testing.T) (*runtime.Engine, *intercept.Interceptor) {
	t.Helper()
	specOnce.Do(func() { specRes, specErr = compiler.CompileDir("../../specs/openstack") })
	require.NoError(t, specErr)
	e, err := runtime.New(specRes.Spec, specRes.Envs, runtime.Options{})
	require.NoError(t, err)
	return e, intercept.New(e)
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func lines(t *testing.T, name string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	require.NoError(t, sc.Err())
	return out
}

// applyAll applies the operations and returns them formatted.
func applyAll(t *testing.T, e *runtime.Engine, ops []runtime.Op) []string {
	t.Helper()
	var out []string
	for i := range ops {
		d := e.Apply(&ops[i])
		require.NoError(t, d.Err, e.Format(&ops[i]))
		out = append(out, e.Format(&ops[i]))
	}
	return out
}

const (
	tenant = "fff3fa4ed8084d3591d37c087bbcddfc"
	net1   = "60c890b6-b2a4-4b31-abc5-188033e93197"
	sub1   = "6e5e77ae-27e3-40d7-a134-9d657dad02a2"
	port1  = "7b122e55-baba-4437-9570-0908e26b45d3"
	port2  = "a8238267-2075-4cbe-8716-68931c98fdb5"
	vm1    = "11111111-2222-3333-4444-555555555555"
)

func TestNeutronNotificationsBuildTheContext(t *testing.T) {
	e, in := newEngine(t)
	var got []string
	for _, l := range lines(t, "neutron-notifications.jsonl") {
		ops, err := in.Notification(l)
		require.NoError(t, err)
		got = append(got, applyAll(t, e, ops)...)
	}
	assert.Equal(t, []string{
		"create_network(network_id=" + net1 + ", tenant_id=" + tenant + ", shared=false)",
		"create_subnet(subnet_id=" + sub1 + ", network_id=" + net1 + ", cidr=10.0.0.0/24)",
		"create_port(port_id=" + port1 + ", subnet_id=" + sub1 + ", tenant_id=" + tenant + ", network_id=" + net1 + ", device_owner=, device_id=)",
		"create_vm(port_id=" + port1 + ", vm_id=" + vm1 + ", device_owner=compute:nova, device_id=" + vm1 + ")",
		"create_network(network_id=fbb33be6-2974-4a3e-add6-4f6f4fc8ea6f, tenant_id=" + tenant + ", shared=false)",
		"create_port(port_id=" + port2 + ", tenant_id=" + tenant + ", network_id=fbb33be6-2974-4a3e-add6-4f6f4fc8ea6f, device_owner=, device_id=)",
	}, got)
	assert.Equal(t, intercept.Counts{Known: 12}, in.Counts(), "the *.start notifications are known and change nothing")

	st, err := e.Scope("no_bypass", tenant)
	require.NoError(t, err)
	assert.Equal(t, runtime.ScopeState{NCP: 1, Threshold: 3, Watched: true, Elements: []string{port2}}, st,
		"port1 is bound to the VM, port2 is not")

	// The OSSA-2015-018 move as the REST call a proxy sees.
	ops, err := in.Request(intercept.Request{Method: "PUT", Path: "/v2.0/ports/" + port1,
		Body: []byte(`{"port": {"device_owner": "network:dhcp"}}`), Token: intercept.Token{ProjectID: tenant}})
	require.NoError(t, err)
	require.Len(t, ops, 1)
	assert.Equal(t, "update_port(port_id="+port1+", device_owner=network:dhcp)", e.Format(&ops[0]))
	d := e.Decide(&ops[0])
	assert.True(t, d.Blocked)
	rec := d.Record()
	assert.Equal(t, "deny", rec.Verdict)
	assert.Equal(t, "no_bypass", rec.Checks[0].Property)
	assert.Equal(t, []string{port1}, rec.Checks[0].Element)
	assert.Contains(t, rec.Checks[0].Reason, `"`+port1+`" is not in watchlist unattached of tenant "`+tenant+`"`)
}

func TestNovaVersionedNotifications(t *testing.T) {
	e, in := newEngine(t)
	ops, err := in.Notification(readFile(t, "instance.create.end.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"boot_vm(vm_id=" + vm1 + ", tenant_id=" + tenant + ", host=compute1)",
		"create_vm(port_id=" + port1 + ", vm_id=" + vm1 + ", device_owner=compute:nova, device_id=" + vm1 + ")"}, applyAll(t, e, ops),
		"the VM, and the ports Nova plugged it into")
	// post.end is the source's report (its host is where the VM was): it moves nothing
	ops, err = in.Notification(readFile(t, "instance.live_migration_post.end.json"))
	require.NoError(t, err)
	assert.Empty(t, ops)
}

func TestKeystoneCADFNotifications(t *testing.T) {
	e, in := newEngine(t)
	events := map[string]int{}
	for _, l := range lines(t, "keystone-notifications.jsonl") {
		ops, err := in.Notification(l)
		require.NoError(t, err)
		for i := range ops {
			d := e.Apply(&ops[i])
			require.NoError(t, d.Err)
			events[e.Spec().Models[ops[i].Model].Events[ops[i].Event].Name]++
		}
	}
	// A project is a tenant of the infrastructure model too.
	assert.Equal(t, map[string]int{"create_domain": 2, "create_project": 3, "create_tenant": 3, "create_user": 3, "create_role": 3, "grant_role": 3}, events)
	assert.Equal(t, int64(9), in.Counts().Unknown, "regions, services and endpoints are not modelled")

	ops, err := in.Notification(readFile(t, "identity.role_assignment.created.json"))
	require.NoError(t, err)
	require.Len(t, ops, 1)
	assert.Equal(t, "grant_role(assignment_id=8ac771f014944aea862f83b7b7f68ed5:aecf7935f98b42598ce765a1f28b742d:0d783cc9b79946c2802467e10fabf3b4:false, "+
		"user_id=8ac771f014944aea862f83b7b7f68ed5, project_id=aecf7935f98b42598ce765a1f28b742d, role_id=0d783cc9b79946c2802467e10fabf3b4, inherited=false)", e.Format(&ops[0]))

	// The same CADF event on its own, as keystonemiddleware's audit emits it.
	var msg map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(readFile(t, "identity.role_assignment.created.json"), &msg))
	bare, err := in.Notification(msg["payload"])
	require.NoError(t, err)
	require.Len(t, bare, 1)
	assert.Equal(t, e.Format(&ops[0]), e.Format(&bare[0]))
}

func TestAMQPEnvelopes(t *testing.T) {
	e, in := newEngine(t)
	var envs []json.RawMessage
	require.NoError(t, json.Unmarshal(readFile(t, "amqp-envelopes.json"), &envs))
	require.NotEmpty(t, envs)
	for _, env := range envs {
		ops, err := in.Notification(env)
		require.NoError(t, err)
		require.Len(t, ops, 1)
		assert.Equal(t, "grant_role", e.Spec().Models[ops[0].Model].Events[ops[0].Event].Name)
	}
}

func TestRESTRequests(t *testing.T) {
	e, in := newEngine(t)
	tok := intercept.Token{ProjectID: tenant, UserID: "u1"}
	cases := []struct {
		method, path, body string
		want               []string
	}{
		{"PUT", "/v2.0/ports/" + port1, `{"port": {"device_id": "` + vm1 + `", "device_owner": "compute:nova"}}`,
			[]string{"create_vm(port_id=" + port1 + ", vm_id=" + vm1 + ", device_owner=compute:nova, device_id=" + vm1 + ")"}},
		{"PUT", "/v2.0/ports/" + port1, `{"port": {"device_id": "", "device_owner": ""}}`,
			[]string{"detach_port(port_id=" + port1 + ", device_id=, device_owner=)"}},
		{"PUT", "/networking/v2.0/ports/" + port1 + "/", `{"port": {"device_owner": "network:router_interface"}}`,
			[]string{"update_port(port_id=" + port1 + ", device_owner=network:router_interface)"}},
		{"POST", "/v2.0/ports", `{"port": {"network_id": "` + net1 + `", "device_owner": "network:dhcp"}}`,
			[]string{"create_network_port(tenant_id=" + tenant + ", network_id=" + net1 + ", device_owner=network:dhcp)"}},
		{"PUT", "/v3/projects/p1/users/u2/roles/r1", ``,
			[]string{"grant_role(assignment_id=u2:p1:r1:false, user_id=u2, project_id=p1, role_id=r1, inherited=false)"}},
		{"DELETE", "/v2.1/servers/" + vm1, ``, []string{"delete_vm(vm_id=" + vm1 + ")"}},
		{"GET", "/v2.0/ports", ``, nil},
	}
	for _, c := range cases {
		ops, err := in.Request(intercept.Request{Method: c.method, Path: c.path, Body: []byte(c.body), Token: tok})
		require.NoError(t, err, c.path)
		var got []string
		for i := range ops {
			got = append(got, e.Format(&ops[i]))
		}
		assert.Equal(t, c.want, got, "%s %s %s", c.method, c.path, c.body)
	}
}

func TestMalformedInputIsRefusedWithWhatAndWhere(t *testing.T) {
	e, in := newEngine(t)
	for _, l := range lines(t, "neutron-notifications.jsonl") {
		ops, err := in.Notification(l)
		require.NoError(t, err)
		applyAll(t, e, ops)
	}
	ports, err := e.Len("port")
	require.NoError(t, err)
	cases := []struct {
		name, input, want string
	}{
		{"broken JSON", `{"event_type": "port.update.end", "payload": {`, "notification: truncated JSON"},
		{"not JSON", `event_type=port.update.end`, "notification: invalid JSON at byte 1"},
		{"no event type", `{"payload": {}}`, `notification: no "event_type"`},
		{"no payload", `{"event_type": "port.update.end"}`, `notification port.update.end: no "payload"`},
		{"id of the wrong type", `{"event_type": "port.create.end", "payload": {"port": {"id": 42, "network_id": "n"}}}`,
			"notification port.create.end: create_network_port: parameter port_id (from payload.port.id): want a string, got a number"},
		{"list where a string goes", `{"event_type": "port.update.end", "payload": {"port": {"id": "` + port1 + `", "device_owner": ["x"]}}}`,
			"parameter device_owner (from payload.port.device_owner): want a string, got a list"},
		{"oslo message not a string", `{"oslo.version": "2.0", "oslo.message": {"event_type": "x"}}`, "oslo.message: want a JSON string, got an object"},
		{"oslo version", `{"oslo.version": "1.0", "oslo.message": "{}"}`, `oslo.version "1.0": want 2.x`},
		{"broken inner message", `{"oslo.version": "2.0", "oslo.message": "{\"event_type\": "}`, "oslo.message: truncated JSON"},
		{"CADF without action", `{"typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event", "id": "x"}`, `CADF event: action ""`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ops, err := in.Notification([]byte(c.input))
			require.Error(t, err)
			assert.Empty(t, ops)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err = in.Request(intercept.Request{Method: "PUT", Path: "/v2.0/ports/x", Body: []byte(`{"port": `)})
	assert.EqualError(t, err, "request PUT /v2.0/ports/x: body: truncated JSON: the text ends before the value is complete")
	_, err = in.Neutral([]byte(`{"op": "update_port", "params": {"port_id": "p", "colour": "red"}}`))
	assert.EqualError(t, err, "operation update_port: update_port: parameter colour: the event has no such parameter")
	_, err = in.Neutral([]byte(`{"params": {}}`))
	assert.EqualError(t, err, `neutral operation: "op" must name an event, got nothing`)

	after, err := e.Len("port")
	require.NoError(t, err)
	assert.Equal(t, ports, after, "malformed input changed nothing")
	assert.Equal(t, int64(13), in.Counts().Malformed)
}

func TestWhereGuardMakesAnOperationMalformed(t *testing.T) {
	e, in := newEngine(t)
	ops, err := in.Neutral([]byte(`{"op": "create_vm", "params": {"port_id": "p1", "vm_id": "v1", "device_owner": "network:dhcp"}}`))
	require.NoError(t, err)
	d := e.Process(&ops[0])
	require.Error(t, d.Err)
	assert.Equal(t, "create_vm: the where guard `op.device_owner.startsWith(\"compute:\")` is false", d.Err.Error())
	assert.False(t, d.Applied)
	n, _ := e.Len("vm")
	assert.Zero(t, n)
}

func TestLineReadsEveryForm(t *testing.T) {
	e, in := newEngine(t)
	forms := []string{
		`{"op": "create_port", "params": {"port_id": "p1", "tenant_id": "t1"}}`,
		`{"method": "PUT", "path": "/v2.0/ports/p1", "body": {"port": {"device_owner": "network:dhcp"}}, "token": {"project_id": "t1"}}`,
		string(readFile(t, "port.update.end.json")),
		string(readFile(t, "identity.project.created.json")),
	}
	var got []string
	for _, f := range forms {
		ops, err := in.Line([]byte(f))
		require.NoError(t, err)
		for i := range ops {
			got = append(got, e.Spec().Models[ops[i].Model].Events[ops[i].Event].Name)
		}
	}
	// port.update.end names a port the context does not have yet: it is created from the payload
	assert.Equal(t, []string{"create_port", "update_port", "create_port", "create_project", "create_tenant"}, got)
}
