package proxy

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/feed/feedtest"
	"pvsc.dev/pvsc/specs/openstack"
)

// fakeService echoes what a Neutron or Keystone would answer and records the calls it saw.
type fakeService struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	var req map[string]map[string]any
	_ = json.Unmarshal(body, &req)
	switch {
	case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v2.0/ports/"):
		port := req["port"]
		port["id"] = strings.TrimPrefix(r.URL.Path, "/v2.0/ports/")
		_ = json.NewEncoder(w).Encode(map[string]any{"port": port})
	case r.Method == "POST" && r.URL.Path == "/v2.0/ports":
		port := req["port"]
		port["id"] = "port-created"
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"port": port})
	case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/v3/projects/"):
		w.WriteHeader(http.StatusNoContent)
	default:
		_, _ = w.Write([]byte(`{"networks": []}`))
	}
}

func (f *fakeService) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

type fixture struct {
	eng      *runtime.Engine
	upstream *fakeService
	neutron  *httptest.Server
	keystone *httptest.Server
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	s := feedtest.NewStream(1, 4, 1)
	_, err = feed.New(feed.Config{Engine: e}).Load("snapshot", s.Snapshot)
	require.NoError(t, err)
	up := &fakeService{}
	back := httptest.NewServer(up)
	t.Cleanup(back.Close)
	u, _ := url.Parse(back.URL)
	p, err := New(Config{Engine: e})
	require.NoError(t, err)
	f := &fixture{eng: e, upstream: up}
	f.neutron = httptest.NewServer(p.Handler(Upstream{Name: "neutron", URL: u}))
	f.keystone = httptest.NewServer(p.Handler(Upstream{Name: "keystone", URL: u}))
	t.Cleanup(f.neutron.Close)
	t.Cleanup(f.keystone.Close)
	return f
}

func call(t testing.TB, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(data) > 0 {
		require.NoError(t, json.Unmarshal(data, &out), string(data))
	}
	return resp.StatusCode, out
}

func watchlist(t *testing.T, e *runtime.Engine, tenant string) []string {
	t.Helper()
	st, err := e.Scope("no_bypass", tenant)
	require.NoError(t, err)
	return st.Elements
}

func TestTheOSSAMoveIsDeniedAndNeverReachesNeutron(t *testing.T) {
	f := newFixture(t)
	status, out := call(t, "PUT", f.neutron.URL+"/v2.0/ports/port-0-1", `{"port": {"device_owner": "network:dhcp"}}`)
	assert.Equal(t, http.StatusForbidden, status)
	ne := out["NeutronError"].(map[string]any)
	assert.Equal(t, "PolicyNotAuthorized", ne["type"])
	assert.Equal(t, "", ne["detail"])
	assert.Contains(t, ne["message"], "Operation denied by pvsc: no_bypass: update_port is critical")
	assert.Contains(t, ne["message"], "(N-cp 1, N-th 3); enforce deny", "the reason: the rule, the distance, the enforcement")
	assert.Empty(t, f.upstream.seen(), "a denied call is never forwarded")
}

func TestAttachThroughTheProxyIsAppliedBeforeTheAnswer(t *testing.T) {
	f := newFixture(t)
	assert.Contains(t, watchlist(t, f.eng, "p-0"), "port-0-2")
	status, _ := call(t, "PUT", f.neutron.URL+"/v2.0/ports/port-0-2", `{"port": {"device_id": "vm-new", "device_owner": "compute:nova"}}`)
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, watchlist(t, f.eng, "p-0"), "port-0-2", "the attach was applied from Neutron's answer")
	status, out := call(t, "PUT", f.neutron.URL+"/v2.0/ports/port-0-2", `{"port": {"device_owner": "network:dhcp"}}`)
	assert.Equal(t, http.StatusForbidden, status, "no notification needed: the very next call is denied")
	assert.Contains(t, out["NeutronError"].(map[string]any)["message"], "no_bypass")
	assert.Equal(t, []string{"PUT /v2.0/ports/port-0-2"}, f.upstream.seen())
}

func TestCreatesTakeTheirIdFromTheResponse(t *testing.T) {
	f := newFixture(t)
	status, _ := call(t, "POST", f.neutron.URL+"/v2.0/ports", `{"port": {"network_id": "net-p-0", "project_id": "p-0", "fixed_ips": [{"subnet_id": "sub-p-0"}]}}`)
	require.Equal(t, http.StatusCreated, status)
	assert.Contains(t, watchlist(t, f.eng, "p-0"), "port-created")
}

func TestOtherCallsPassWithoutADecision(t *testing.T) {
	f := newFixture(t)
	status, out := call(t, "GET", f.neutron.URL+"/v2.0/networks?limit=1", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"networks": []any{}}, out)
	status, out = call(t, "PUT", f.neutron.URL+"/v2.0/ports/port-0-1", `{"port": {"device_owner": `)
	assert.Equal(t, http.StatusBadRequest, status, "a mapped call that cannot be read cannot be checked")
	assert.Contains(t, out["NeutronError"].(map[string]any)["message"], "request PUT /v2.0/ports/port-0-1: body: truncated JSON")
	assert.Equal(t, []string{"GET /v2.0/networks"}, f.upstream.seen())
}

func TestCrossDomainGrantIsDeniedInKeystonesShape(t *testing.T) {
	f := newFixture(t)
	// u-0-a belongs to dom-0 with p-0; p-1 is in dom-1
	status, out := call(t, "PUT", f.keystone.URL+"/v3/projects/p-1/users/u-0-a/roles/role-reader", "")
	assert.Equal(t, http.StatusForbidden, status)
	e := out["error"].(map[string]any)
	assert.Equal(t, float64(403), e["code"])
	assert.Equal(t, "Forbidden", e["title"])
	assert.Contains(t, e["message"], "common_ownership")
	status, _ = call(t, "PUT", f.keystone.URL+"/v3/projects/p-0/users/u-0-a/roles/role-reader", "")
	assert.Equal(t, http.StatusNoContent, status)
	assert.Equal(t, []string{"PUT /v3/projects/p-0/users/u-0-a/roles/role-reader"}, f.upstream.seen())
}

func BenchmarkAddedLatency(b *testing.B) {
	f := newFixture(b)
	for _, c := range []struct{ name, method, url, body string }{
		{"pass", "GET", "/v2.0/networks", ""},
		{"critical-denied", "PUT", "/v2.0/ports/port-0-1", `{"port": {"device_owner": "network:dhcp"}}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(c.method, f.neutron.URL+c.url, strings.NewReader(c.body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// TestAnUnmappedCallOnAGuardedResourceFailsClosed: a server action no row knows, on the
// servers no_co_residency guards, is refused in Nova's shape; a reboot (mapped: it changes
// nothing) and a read pass.
func TestAnUnmappedCallOnAGuardedResourceFailsClosed(t *testing.T) {
	f := newFixture(t)
	status, out := call(t, "POST", f.neutron.URL+"/v2.1/servers/vm-0-1/action", `{"os-newFeature": {"where": "anywhere"}}`)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, out["NeutronError"].(map[string]any)["message"],
		"POST /v2.1/servers/vm-0-1/action is not understood (no operation row maps it) on a resource no_co_residency, no_cross_tenant_port, router_owner_isolation guard; failing closed")
	status, _ = call(t, "POST", f.neutron.URL+"/v2.1/servers/vm-0-1/action", `{"reboot": {"type": "SOFT"}}`)
	assert.NotEqual(t, http.StatusForbidden, status, "a reboot is mapped: it moves nothing")
	status, _ = call(t, "POST", f.neutron.URL+"/v2.0/ports/port-0-1/frobnicate", `{}`)
	assert.Equal(t, http.StatusForbidden, status, "a ports call no row maps")
	status, _ = call(t, "POST", f.neutron.URL+"/v2.0/ports/port-0-1/bindings", `{"binding": {"host": "compute2"}}`)
	assert.NotEqual(t, http.StatusForbidden, status, "Nova's port bindings are known: they change nothing modelled")
	assert.Equal(t, []string{"POST /v2.1/servers/vm-0-1/action", "POST /v2.0/ports/port-0-1/bindings"}, f.upstream.seen())
}
