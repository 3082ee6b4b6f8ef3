package proxy

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/decisionlog"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/feed/feedtest"
	"pvsc.dev/pvsc/specs/openstack"
)

// TestHeldCallsAreCountedAndLogged: the proxy's decisions reach pvsc_decisions_total
// (source proxy) and the decision log, a denial with 403 and an allowed call with the
// upstream's status.
func TestHeldCallsAreCountedAndLogged(t *testing.T) {
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	_, err = feed.New(feed.Config{Engine: e}).Load("snapshot", feedtest.NewStream(1, 4, 1).Snapshot)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "decisions.jsonl")
	reg := prometheus.NewRegistry()
	dl, err := decisionlog.New(decisionlog.Config{Path: path}, e, reg)
	require.NoError(t, err)
	back := httptest.NewServer(&fakeService{})
	defer back.Close()
	u, _ := url.Parse(back.URL)
	p, err := New(Config{Engine: e, DecisionLog: dl, Registry: reg})
	require.NoError(t, err)
	neutron := httptest.NewServer(p.Handler(Upstream{Name: "neutron", URL: u}))
	defer neutron.Close()

	status, _ := call(t, "PUT", neutron.URL+"/v2.0/ports/port-0-1", `{"port": {"device_owner": "network:dhcp"}}`)
	require.Equal(t, http.StatusForbidden, status)
	status, _ = call(t, "PUT", neutron.URL+"/v2.0/ports/port-0-2", `{"port": {"device_owner": "network:dhcp"}}`)
	require.Equal(t, http.StatusOK, status, "a free port may become network-owned")
	call(t, "GET", neutron.URL+"/v2.0/ports", "")
	require.NoError(t, dl.Close())

	assert.InDelta(t, 1, testutil.ToFloat64(dlCounter(t, reg, "proxy", "no_bypass", "deny")), 0)
	assert.InDelta(t, 1, testutil.ToFloat64(dlCounter(t, reg, "proxy", "no_bypass", "allow")), 0)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		lines = append(lines, l)
	}
	require.Len(t, lines, 2, "two critical calls; the GET is not decided")
	assert.Equal(t, "proxy", lines[0]["source"])
	assert.Equal(t, "update_port", lines[0]["op"])
	assert.Equal(t, "deny", lines[0]["verdict"])
	assert.Equal(t, float64(403), lines[0]["status"])
	assert.NotEmpty(t, lines[0]["time"])
	checks := lines[0]["checks"].([]any)
	assert.True(t, strings.HasPrefix(checks[0].(map[string]any)["reason"].(string), "no_bypass: update_port is critical"))
	assert.Equal(t, "allow", lines[1]["verdict"])
	assert.Equal(t, float64(200), lines[1]["status"])
}

func dlCounter(t *testing.T, reg *prometheus.Registry, source, property, verdict string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "pvsc_decisions_total" {
			continue
		}
		for _, m := range mf.Metric {
			l := map[string]string{}
			for _, lp := range m.Label {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["source"] == source && l["property"] == property && l["verdict"] == verdict {
				g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
				g.Set(m.GetCounter().GetValue())
				return g
			}
		}
	}
	t.Fatalf("no pvsc_decisions_total{source=%q,property=%q,verdict=%q}", source, property, verdict)
	return nil
}
