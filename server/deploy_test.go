package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"pvsc.dev/pvsc/server/feed/feedtest"
	"pvsc.dev/pvsc/specs/openstack"
)

// TestDeployReferencesRealMetrics: every metric the shipped Grafana dashboard and
// Prometheus rules query is one a running node (API and proxy) exports.
func TestDeployReferencesRealMetrics(t *testing.T) {
	exported := nodeMetrics(t)
	var exprs []string
	b, err := os.ReadFile("../deploy/grafana/pvsc-dashboard.json")
	require.NoError(t, err)
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &dash))
	require.NotEmpty(t, dash.Panels)
	for _, p := range dash.Panels {
		require.NotEmpty(t, p.Targets, p.Title)
		for _, q := range p.Targets {
			exprs = append(exprs, q.Expr)
		}
	}
	b, err = os.ReadFile("../deploy/prometheus/pvsc-rules.yml")
	require.NoError(t, err)
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert, Expr string
				Labels      map[string]string
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(b, &rules))
	require.NotEmpty(t, rules.Groups)
	for _, r := range rules.Groups[0].Rules {
		assert.NotEmpty(t, r.Labels["severity"], r.Alert)
		exprs = append(exprs, r.Expr)
	}
	name := regexp.MustCompile(`pvsc_[a-z_]+`)
	for _, e := range exprs {
		refs := name.FindAllString(e, -1)
		require.NotEmpty(t, refs, e)
		for _, m := range refs {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")
			assert.True(t, exported[base], "%s in `%s` is not exported", m, e)
		}
	}
}

// nodeMetrics starts a node with the API and a proxy, passes a decision and a call
// through them, and returns the metric families it exports.
func nodeMetrics(t *testing.T) map[string]bool {
	t.Helper()
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.json")
	require.NoError(t, os.WriteFile(snap, feedtest.NewStream(1, 4, 10).Snapshot, 0o644))
	tok := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tok, []byte("t0k"), 0o600))
	n, err := New(context.Background(), Config{Spec: openstack.Spec, Snapshot: snap, Log: io.Discard})
	require.NoError(t, err)
	defer n.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"ports": []}`) }))
	defer up.Close()
	api, err := n.apiServer(&APIConfig{Auth: "bearer", BearerFile: tok, Scope: "any"})
	require.NoError(t, err)
	prox, err := n.proxyServers(&ProxyConfig{Upstreams: map[string]string{"neutron": up.URL}, Listens: map[string]string{"neutron": "127.0.0.1:0"}, NoValidate: true})
	require.NoError(t, err)
	do := func(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t0k")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	require.Equal(t, http.StatusOK, do(api.Handler, "POST", "/v1/decide", `{"op": "update_port", "params": {"port_id": "port-0-1", "device_owner": "network:dhcp"}}`).Code)
	do(prox[0].Handler, "GET", "/v2.0/ports", "")
	do(prox[0].Handler, "PUT", "/v2.0/ports/port-0-2", `{"port": {"device_owner": "network:dhcp"}}`)
	notif, err := os.ReadFile("../openstack/testdata/captured/notifications-neutron.jsonl")
	require.NoError(t, err)
	_, err = n.pipe.Apply("m-1", []byte(strings.SplitN(string(notif), "\n", 2)[0]))
	require.NoError(t, err)
	_, err = n.pipe.Apply("m-2", []byte("{broken"))
	require.Error(t, err)
	_ = n.pipe.Resync(context.Background(), "test") // no live cloud: a failed resync, counted
	rec := do(api.Handler, "GET", "/metrics", "")
	require.Equal(t, http.StatusOK, rec.Code)
	out := map[string]bool{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = true
		}
	}
	return out
}
