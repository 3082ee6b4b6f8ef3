package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/keystone"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/feed/feedtest"
	"pvsc.dev/pvsc/specs/openstack"
)

// fakeKeystone answers token validations: "admin" is project-scoped with role admin, "member"
// lacks it, "domain" is domain-scoped, "expired" has expired; any other token is unknown.
func fakeKeystone(t *testing.T) *httptest.Server {
	t.Helper()
	ks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v3/auth/tokens" {
			http.NotFound(w, r)
			return
		}
		exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		tok := map[string]any{"user": map[string]any{"id": "u1", "name": "alice", "domain": map[string]any{"id": "default"}},
			"expires_at": exp, "roles": []any{map[string]any{"id": "r1", "name": "admin"}},
			"project": map[string]any{"id": "p1", "name": "admin", "domain": map[string]any{"id": "default"}}}
		switch r.Header.Get("X-Subject-Token") {
		case "admin":
		case "member":
			tok["roles"] = []any{map[string]any{"id": "r2", "name": "member"}}
		case "domain":
			delete(tok, "project")
			tok["domain"] = map[string]any{"id": "default", "name": "Default"}
		case "expired":
			tok["expires_at"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		default:
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"token": tok})
	}))
	t.Cleanup(ks.Close)
	return ks
}

type fixture struct {
	srv    *httptest.Server
	stream *feedtest.Stream
	eng    *runtime.Engine
}

func newFixture(t *testing.T, auth AuthConfig) *fixture {
	t.Helper()
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	s := feedtest.NewStream(1, 4, 10)
	p := feed.New(feed.Config{Engine: e})
	_, err = p.Load("snapshot", s.Snapshot)
	require.NoError(t, err)
	mw, err := auth.Middleware()
	require.NoError(t, err)
	srv, err := New(Config{Engine: e, Pipeline: p, Auth: mw})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &fixture{srv: ts, stream: s, eng: e}
}

func bearerFixture(t *testing.T) *fixture {
	return newFixture(t, AuthConfig{Mode: "bearer", Bearer: "s3cret"})
}

func (f *fixture) do(t *testing.T, method, path, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := map[string]any{}
	if len(data) > 0 && data[0] == '{' {
		require.NoError(t, json.Unmarshal(data, &out), string(data))
	}
	return resp.StatusCode, out
}

const bearer = "Authorization"

func TestDecideDeniesTheOSSAMoveWithItsReason(t *testing.T) {
	f := bearerFixture(t)
	// port-0-1 is bound to vm-0-1 in the workload's snapshot
	status, out := f.do(t, "POST", "/v1/decide", `{"op": "update_port", "params": {"port_id": "port-0-1", "device_owner": "network:dhcp"}}`, bearer, "Bearer s3cret")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "deny", out["verdict"])
	assert.Equal(t, true, out["blocked"])
	var nb map[string]any
	for _, d := range out["decisions"].([]any) {
		for _, c := range d.(map[string]any)["checks"].([]any) {
			if c.(map[string]any)["property"] == "no_bypass" {
				nb = c.(map[string]any)
			}
		}
	}
	require.NotNil(t, nb)
	assert.Equal(t, "deny", nb["verdict"])
	assert.Equal(t, "p-0", nb["scope"])
	assert.Equal(t, float64(1), nb["n_cp"])
	assert.Contains(t, nb["reason"], "no_bypass: update_port is critical and rule `")
	assert.Contains(t, nb["reason"], `is false; "port-0-1" is not in watchlist unattached of tenant "p-0" (N-cp 1, N-th 3); enforce deny`)

	status, out = f.do(t, "POST", "/v1/decide", `{"method": "PUT", "path": "/v2.0/ports/port-0-2", "body": {"port": {"device_owner": "network:dhcp"}}, "token": {"project_id": "p-0"}}`, bearer, "Bearer s3cret")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "allow", out["verdict"], "a free port may become network-owned")
}

func TestDecideNamesWhatIsWrong(t *testing.T) {
	f := bearerFixture(t)
	auth := []string{bearer, "Bearer s3cret"}
	status, out := f.do(t, "POST", "/v1/decide", `{"op": "update_port", "params": {"port_id": 7}}`, auth...)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "operation update_port: update_port: parameter port_id (from params.port_id): want a string, got a number",
		out["error"].(map[string]any)["message"])
	status, out = f.do(t, "POST", "/v1/decide", `{"op": "update_port", "params": {"port_id": "x"`, auth...)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, out["error"].(map[string]any)["message"], "truncated JSON")
	// a typo in the neutral form is malformed, not an unknown operation that passes
	status, out = f.do(t, "POST", "/v1/decide", `{"op": "reboot_everything"}`, auth...)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, `operation reboot_everything: no model has an event "reboot_everything"`, out["error"].(map[string]any)["message"])
	status, out = f.do(t, "POST", "/v1/decide", `{"op": "update_prot", "params": {"port_id": "x"}}`, auth...)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, `operation update_prot: no model has an event "update_prot"; did you mean update_port?`, out["error"].(map[string]any)["message"])
}

func TestViewsShowNcpAndWatchlists(t *testing.T) {
	f := bearerFixture(t)
	auth := []string{bearer, "Bearer s3cret"}
	status, out := f.do(t, "GET", "/v1/properties/no_bypass/scopes/p-0", "", auth...)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, float64(1), out["n_cp"], "p-0 has ports bound to VMs: one step from the critical event")
	assert.Equal(t, float64(3), out["threshold"])
	assert.Equal(t, "unattached", out["watchlist"])
	assert.Equal(t, []any{"dhcp-p-0", "port-0-2", "port-0-4"}, out["elements"], "the ports bound to no VM")
	status, out = f.do(t, "GET", "/v1/properties/no_bypass/scopes", "", auth...)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, out["watched_scopes"], "p-0")
	status, out = f.do(t, "GET", "/v1/scopes/p-0", "", auth...)
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, out["properties"], len(openstack.Spec.Properties))
	status, out = f.do(t, "GET", "/v1/properties/nope/scopes/p-0", "", auth...)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, `no property "nope"`, out["error"].(map[string]any)["message"])
	status, out = f.do(t, "GET", "/v1/status", "", auth...)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, float64(4), out["entities"].(map[string]any)["infrastructure.tenant"])
}

func TestMetricsCountDecisions(t *testing.T) {
	f := bearerFixture(t)
	auth := []string{bearer, "Bearer s3cret"}
	f.do(t, "POST", "/v1/decide", `{"op": "update_port", "params": {"port_id": "port-0-1", "device_owner": "network:dhcp"}}`, auth...)
	req, _ := http.NewRequest("GET", f.srv.URL+"/metrics", nil)
	req.Header.Set(bearer, "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(text), `pvsc_decisions_total{property="no_bypass",source="api",verdict="deny"} 1`)
	assert.Contains(t, string(text), `pvsc_decide_phase_seconds_count{phase="decide"} 1`)
}

func TestAuthenticationRefusals(t *testing.T) {
	ks := fakeKeystone(t)
	v := keystone.NewValidator(keystone.New(ks.URL, nil), keystone.ValidatorOptions{})
	f := newFixture(t, AuthConfig{Mode: "keystone", Validator: v, Roles: []string{"admin"}, Scope: keystone.ProjectScope})
	body := `{"op": "update_port", "params": {"port_id": "port-0-1", "device_owner": "network:dhcp"}}`
	cases := []struct {
		name   string
		hdr    []string
		status int
		msg    string
	}{
		{"no token", nil, 401, "The request you have made requires authentication."},
		{"unknown token", []string{"X-Auth-Token", "forged"}, 401, "The request you have made requires authentication."},
		{"expired token", []string{"X-Auth-Token", "expired"}, 401, "The request you have made requires authentication."},
		{"domain-scoped token", []string{"X-Auth-Token", "domain"}, 403, "A project-scoped token is required."},
		{"token without the role", []string{"X-Auth-Token", "member"}, 403, "One of the roles admin is required."},
		{"a bearer token keystone mode was not given", []string{bearer, "Bearer s3cret"}, 401, "The request you have made requires authentication."},
	}
	for _, c := range cases {
		for _, path := range []string{"/v1/decide", "/v1/scopes/p-0", "/metrics"} {
			method := "GET"
			if path == "/v1/decide" {
				method = "POST"
			}
			status, out := f.do(t, method, path, body, c.hdr...)
			assert.Equal(t, c.status, status, c.name+" "+path)
			assert.Equal(t, c.msg, out["error"].(map[string]any)["message"], c.name+" "+path)
		}
	}
	status, out := f.do(t, "POST", "/v1/decide", body, "X-Auth-Token", "admin")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "deny", out["verdict"])
	for _, path := range []string{"/healthz", "/readyz"} {
		status, _ := f.do(t, "GET", path, "")
		assert.Equal(t, http.StatusOK, status, path+" needs no authentication")
	}
}

func TestReadinessFollowsDoubt(t *testing.T) {
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	p := feed.New(feed.Config{Engine: e})
	srv, err := New(Config{Engine: e, Pipeline: p, Auth: func(h http.Handler) http.Handler { return h }})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	f := &fixture{srv: ts}
	status, out := f.do(t, "GET", "/readyz", "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "no context loaded yet", out["reason"])
	_, err = p.Load("s", []byte(`{}`))
	require.NoError(t, err)
	status, _ = f.do(t, "GET", "/readyz", "")
	assert.Equal(t, http.StatusOK, status)
	p.RequestResync("test") // no live source: in doubt until a snapshot is posted
	status, _ = f.do(t, "GET", "/readyz", "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	status, out = f.do(t, "POST", "/v1/resync", `{"ports": [`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "POST /v1/resync: truncated: the JSON ends before it is complete", out["error"].(map[string]any)["message"])
	status, _ = f.do(t, "POST", "/v1/resync", `{"ports": []}`)
	assert.Equal(t, http.StatusOK, status)
	status, _ = f.do(t, "GET", "/readyz", "")
	assert.Equal(t, http.StatusOK, status)
}

func TestRecordsShowTheContext(t *testing.T) {
	f := bearerFixture(t)
	auth := []string{bearer, "Bearer s3cret"}
	status, out := f.do(t, "GET", "/v1/records/port/port-0-1", "", auth...)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "port-0-1", out["id"])
	assert.Equal(t, "p-0", out["tenant"])
	assert.Equal(t, "compute:nova", out["device_owner"])
	assert.Equal(t, out["device_id"], out["vm"], "plugged into the VM its device_id names")
	status, out = f.do(t, "GET", "/v1/records/vm", "", auth...)
	require.Equal(t, http.StatusOK, status)
	assert.NotEmpty(t, out["records"])
	status, _ = f.do(t, "GET", "/v1/records/nope", "", auth...)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = f.do(t, "GET", "/v1/records/port/nope", "", auth...)
	assert.Equal(t, http.StatusNotFound, status)
}
