package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/stacktest"
)

// tenant is a project with a member user, made before pvsc starts so that its snapshot has it.
type tenant struct {
	project, user, token string
}

func newTenant(t *testing.T, st *stacktest.Stack) tenant {
	t.Helper()
	pid := st.CreateProject(t, stacktest.UniqueName("e2e"))
	name := stacktest.UniqueName("e2e-user")
	uid := st.CreateUser(t, name, "userpw", pid, "member")
	return tenant{project: pid, user: uid, token: st.Token(t, name, "userpw", pid)}
}

// proxyNode starts pvsc proxy in front of the stack's Neutron and Keystone, with its API.
func proxyNode(t *testing.T, st *stacktest.Stack, extra ...string) (p *proc, neutron, keystone string) {
	t.Helper()
	queue := stacktest.UniqueName("pvsc-e2e")
	t.Cleanup(func() { deleteQueues(t, st.AMQPURL, queue) })
	api, nAddr, kAddr := freePort(t), freePort(t), freePort(t)
	args := []string{"proxy", "--spec", "specs/openstack", "--snapshot-live", "--state", t.TempDir() + "/state.db",
		"--amqp-url", st.AMQPURL, "--queue", queue,
		"--upstream", "neutron=" + st.NeutronURL, "--upstream", "keystone=" + st.KeystoneURL[:len(st.KeystoneURL)-len("/v3")],
		"--listen", "neutron=" + nAddr, "--listen", "keystone=" + kAddr, "--api-listen", api, "--auth", "bearer"}
	p = start(t, st, api, append(args, extra...)...)
	return p, "http://" + nAddr, "http://" + kAddr
}

// TestOSSA2015018 is the port exploit: a port bound to a VM made network-owned. Through the
// proxy it is denied and the port stays as it was; straight to Neutron the same call succeeds.
func TestOSSA2015018(t *testing.T) {
	st := stacktest.New(t)
	ten := newTenant(t, st)
	p, neutron, _ := proxyNode(t, st)

	net := jsonField(t, must(t, http.StatusCreated)(raw(t, "POST", neutron+"/v2.0/networks", ten.token,
		map[string]any{"network": map[string]any{"name": "ossa"}})), "network", "id").(string)
	t.Cleanup(func() { raw(t, "DELETE", st.NeutronURL+"/v2.0/networks/"+net, st.AdminToken(t), nil) })
	sub := jsonField(t, must(t, http.StatusCreated)(raw(t, "POST", neutron+"/v2.0/subnets", ten.token,
		map[string]any{"subnet": map[string]any{"network_id": net, "ip_version": 4, "cidr": "10.18.0.0/24"}})), "subnet", "id").(string)
	t.Cleanup(func() { raw(t, "DELETE", st.NeutronURL+"/v2.0/subnets/"+sub, st.AdminToken(t), nil) })
	port := jsonField(t, must(t, http.StatusCreated)(raw(t, "POST", neutron+"/v2.0/ports", ten.token,
		map[string]any{"port": map[string]any{"network_id": net}})), "port", "id").(string)
	t.Cleanup(func() { raw(t, "DELETE", st.NeutronURL+"/v2.0/ports/"+port, st.AdminToken(t), nil) })
	_, _, els := elements(t, p, "no_bypass", ten.project)
	assert.Contains(t, els, port, "the new port is unattached: watched")

	// Nova attaches a VM: device_id and device_owner compute:nova
	vm := "0d6c1f2e-e2e0-4c5b-9a59-" + fmt.Sprintf("%012d", time.Now().UnixNano()%1e12)
	must(t, http.StatusOK)(raw(t, "PUT", neutron+"/v2.0/ports/"+port, ten.token,
		map[string]any{"port": map[string]any{"device_id": vm, "device_owner": "compute:nova"}}))
	ncp, _, els := elements(t, p, "no_bypass", ten.project)
	assert.NotContains(t, els, port)
	assert.Equal(t, float64(1), ncp, "a port bound to a VM: one step from the critical event")

	// the exploit through the proxy
	status, body := raw(t, "PUT", neutron+"/v2.0/ports/"+port, ten.token, map[string]any{"port": map[string]any{"device_owner": "network:dhcp"}})
	require.Equal(t, http.StatusForbidden, status, string(body))
	assert.Equal(t, "PolicyNotAuthorized", jsonField(t, body, "NeutronError", "type"))
	assert.Contains(t, jsonField(t, body, "NeutronError", "message"), "no_bypass")
	assert.Contains(t, jsonField(t, body, "NeutronError", "message"), "update_port is critical and rule")
	now := st.JSON(t, http.StatusOK, "GET", st.NeutronURL+"/v2.0/ports/"+port, ten.token, nil)["port"].(map[string]any)
	assert.Equal(t, "compute:nova", now["device_owner"], "Neutron never saw the call")
	assert.Equal(t, vm, now["device_id"])

	// the same call straight to Neutron succeeds: the vulnerability pvsc closes
	status, body = raw(t, "PUT", st.NeutronURL+"/v2.0/ports/"+port, ten.token, map[string]any{"port": map[string]any{"device_owner": "network:dhcp"}})
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, "network:dhcp", jsonField(t, body, "port", "device_owner"))

	// added latency of a call that passes without a decision (GET) and of a decided one
	passDirect := timeCalls(t, 30, func() { raw(t, "GET", st.NeutronURL+"/v2.0/networks/"+net, ten.token, nil) })
	passProxy := timeCalls(t, 30, func() { raw(t, "GET", neutron+"/v2.0/networks/"+net, ten.token, nil) })
	denied := timeCalls(t, 30, func() {
		raw(t, "PUT", neutron+"/v2.0/ports/"+port, ten.token, map[string]any{"port": map[string]any{"device_owner": "network:router_interface"}})
	})
	t.Logf("Neutron GET straight %v, through the proxy %v (median of 30); a denied critical call through the proxy %v", passDirect, passProxy, denied)
	metrics := p.getText(t, "/metrics")
	assert.True(t, strings.Contains(metrics, `pvsc_proxy_decisions_total{property="no_bypass",verdict="deny"}`), "proxy decisions are counted")
	t.Logf("added by the proxy (pvsc_proxy_added_seconds, mean): %s", addedLatency(metrics))
}

// TestCrossDomainGrant: a user of one domain given a role on a project of another, through
// the Keystone proxy, is denied by common_ownership; the same grant within the domain passes.
func TestCrossDomainGrant(t *testing.T) {
	st := stacktest.New(t)
	p, _, keystone := proxyNode(t, st)
	admin := st.AdminToken(t)
	ks := keystone + "/v3"

	dom := jsonField(t, must(t, http.StatusCreated)(raw(t, "POST", ks+"/domains", admin,
		map[string]any{"domain": map[string]any{"name": stacktest.UniqueName("e2e-dom")}})), "domain", "id").(string)
	t.Cleanup(func() {
		raw(t, "PATCH", st.KeystoneURL+"/domains/"+dom, admin, map[string]any{"domain": map[string]any{"enabled": false}})
		raw(t, "DELETE", st.KeystoneURL+"/domains/"+dom, admin, nil)
	})
	create := func(kind string, attrs map[string]any) string {
		id := jsonField(t, must(t, http.StatusCreated)(raw(t, "POST", ks+"/"+kind+"s", admin, map[string]any{kind: attrs})), kind, "id").(string)
		t.Cleanup(func() { raw(t, "DELETE", st.KeystoneURL+"/"+kind+"s/"+id, admin, nil) })
		return id
	}
	project := create("project", map[string]any{"name": stacktest.UniqueName("e2e-p"), "domain_id": "default"})
	outsider := create("user", map[string]any{"name": stacktest.UniqueName("e2e-out"), "domain_id": dom, "password": "pw"})
	insider := create("user", map[string]any{"name": stacktest.UniqueName("e2e-in"), "domain_id": "default", "password": "pw"})
	roles := st.JSON(t, http.StatusOK, "GET", st.KeystoneURL+"/roles?name=member", admin, nil)["roles"].([]any)
	member := roles[0].(map[string]any)["id"].(string)

	status, body := raw(t, "PUT", fmt.Sprintf("%s/projects/%s/users/%s/roles/%s", ks, project, outsider, member), admin, nil)
	require.Equal(t, http.StatusForbidden, status, string(body))
	assert.Equal(t, float64(403), jsonField(t, body, "error", "code"))
	assert.Equal(t, "Forbidden", jsonField(t, body, "error", "title"))
	assert.Contains(t, jsonField(t, body, "error", "message"), "common_ownership")
	got := st.JSON(t, http.StatusOK, "GET", fmt.Sprintf("%s/role_assignments?user.id=%s&scope.project.id=%s", st.KeystoneURL, outsider, project), admin, nil)
	assert.Empty(t, got["role_assignments"], "Keystone never saw the grant")

	must(t, http.StatusNoContent)(raw(t, "PUT", fmt.Sprintf("%s/projects/%s/users/%s/roles/%s", ks, project, insider, member), admin, nil))
	_ = p
}

// TestWatchlistsFollowNotifications: pvsc serve beside the stack learns each step from
// Neutron's notifications on RabbitMQ, and N-cp and the watchlist follow.
func TestWatchlistsFollowNotifications(t *testing.T) {
	st := stacktest.New(t)
	ten := newTenant(t, st)
	queue := stacktest.UniqueName("pvsc-e2e")
	t.Cleanup(func() { deleteQueues(t, st.AMQPURL, queue) })
	api := freePort(t)
	p := start(t, st, api, "serve", "--spec", "specs/openstack", "--snapshot-live", "--amqp-url", st.AMQPURL, "--queue", queue,
		"--listen", api, "--auth", "bearer")
	state := func() (float64, bool, []string) { return elements(t, p, "no_bypass", ten.project) }
	ncp, watched, _ := state()
	assert.Equal(t, float64(5), ncp, "a project alone")
	assert.False(t, watched, "above N-th 3: no watchlist")
	wait := func(what string, cond func(float64, bool, []string) bool) {
		eventually(t, 30*time.Second, what, func() bool { return cond(state()) })
	}

	net := st.CreateNetwork(t, ten.token, map[string]any{"name": "follow"})["id"].(string)
	wait("network: N-cp 4", func(n float64, _ bool, _ []string) bool { return n == 4 })
	st.CreateSubnet(t, ten.token, net, "10.19.0.0/24")
	wait("subnet: N-cp 3 and an empty watchlist", func(n float64, w bool, els []string) bool { return n == 3 && w && len(els) == 0 })
	port := st.CreatePort(t, ten.token, net, nil)["id"].(string)
	wait("port: N-cp 2, the port watched", func(n float64, _ bool, els []string) bool { return n == 2 && contains(els, port) })
	st.AttachPort(t, ten.token, port, "3b4d0c9e-e2e0-4f3a-8d9b-000000000001")
	wait("attach: N-cp 1, the port no longer watched", func(n float64, _ bool, els []string) bool { return n == 1 && !contains(els, port) })
	status, body := st.UpdatePort(t, ten.token, port, map[string]any{"device_id": "", "device_owner": ""})
	require.Equal(t, http.StatusOK, status, string(body))
	wait("detach: watched again", func(n float64, _ bool, els []string) bool { return n == 2 && contains(els, port) })
	must(t, http.StatusNoContent)(raw(t, "DELETE", st.NeutronURL+"/v2.0/ports/"+port, ten.token, nil))
	wait("delete: gone", func(n float64, _ bool, els []string) bool { return n == 3 && !contains(els, port) })

	text := p.getText(t, "/metrics")
	assert.True(t, strings.Contains(text, `pvsc_events_total{outcome="applied"}`), "applied events are counted")
	assert.True(t, strings.Contains(text, "pvsc_event_lag_seconds_count"), "queue lag is measured")
}

// TestAuthenticationAgainstKeystone: real tokens, refused when missing, forged or revoked,
// and when not admin.
func TestAuthenticationAgainstKeystone(t *testing.T) {
	st := stacktest.New(t)
	ten := newTenant(t, st)
	api := freePort(t)
	p := start(t, st, api, "serve", "--spec", "specs/openstack", "--snapshot-live", "--listen", api, "--auth", "keystone")
	admin := st.AdminToken(t)
	probe := func(tok string) (int, []byte) { return raw(t, "GET", p.api+"/v1/scopes/"+ten.project, tok, nil) }
	status, body := probe("")
	assert.Equal(t, http.StatusUnauthorized, status, string(body))
	status, _ = probe("gAAAAABforged")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, body = probe(ten.token)
	assert.Equal(t, http.StatusForbidden, status, "a member's token is scoped right but lacks the admin role")
	assert.Contains(t, string(body), "One of the roles admin is required.")
	status, _ = probe(admin)
	assert.Equal(t, http.StatusOK, status)
	// a revoked token: Keystone says 404 from now on (the validator's cache is bypassed by a fresh token)
	victim := st.Token(t, "admin", st.AdminPassword, adminProject(t, st))
	req, _ := http.NewRequest("DELETE", st.KeystoneURL+"/auth/tokens", nil)
	req.Header.Set("X-Auth-Token", admin)
	req.Header.Set("X-Subject-Token", victim)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	status, _ = probe(victim)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = raw(t, "GET", p.api+"/healthz", "", nil)
	assert.Equal(t, http.StatusOK, status)
}

func adminProject(t *testing.T, st *stacktest.Stack) string {
	ps := st.JSON(t, http.StatusOK, "GET", st.KeystoneURL+"/projects?name=admin", st.AdminToken(t), nil)["projects"].([]any)
	return ps[0].(map[string]any)["id"].(string)
}

// must fails the test unless a call returned the status, and returns its body.
func must(t *testing.T, want int) func(int, []byte) []byte {
	return func(status int, body []byte) []byte {
		t.Helper()
		require.Equal(t, want, status, string(body))
		return body
	}
}

// timeCalls is the median time of n calls.
func timeCalls(t *testing.T, n int, call func()) time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		t0 := time.Now()
		call()
		ds[i] = time.Since(t0)
	}
	slices.Sort(ds)
	return ds[n/2]
}

// addedLatency reads the mean of pvsc_proxy_added_seconds per outcome from a metrics page.
func addedLatency(metrics string) string {
	sums, counts := map[string]float64{}, map[string]float64{}
	for _, line := range strings.Split(metrics, "\n") {
		var outcome string
		var v float64
		if n, _ := fmt.Sscanf(line, "pvsc_proxy_added_seconds_sum{outcome=%q} %g", &outcome, &v); n == 2 {
			sums[outcome] = v
		}
		if n, _ := fmt.Sscanf(line, "pvsc_proxy_added_seconds_count{outcome=%q} %g", &outcome, &v); n == 2 {
			counts[outcome] = v
		}
	}
	var parts []string
	for o, c := range counts {
		if c > 0 {
			parts = append(parts, fmt.Sprintf("%s %v over %g calls", o, time.Duration(sums[o]/c*1e9), c))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}
