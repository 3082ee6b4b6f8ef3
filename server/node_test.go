package server

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/server/api"
	"pvsc.dev/pvsc/server/decisionlog"
	"pvsc.dev/pvsc/server/feed/feedtest"
	"pvsc.dev/pvsc/server/findings"
	"pvsc.dev/pvsc/specs/openstack"
)

// The captured snapshot is the real test stack's: its service project holds more admins
// than role_cardinality's cap, so the initial audit finds it violating.
const captured = "../openstack/testdata/captured/pvsc-snapshot.json"

func TestInitialAuditRefusesAViolatingContext(t *testing.T) {
	_, err := New(context.Background(), Config{Spec: openstack.Spec, Snapshot: captured, Log: io.Discard})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "initial audit: the context already violates ")
	assert.Contains(t, err.Error(), "--accept-violations")
	assert.Contains(t, err.Error(), "\n  1. ")
	assert.Contains(t, err.Error(), "role_cardinality: assignment ")
}

func TestAcceptedViolationsAreKnownFindings(t *testing.T) {
	var log strings.Builder
	n, err := New(context.Background(), Config{Spec: openstack.Spec, Snapshot: captured, AcceptViolations: true, Log: &log})
	require.NoError(t, err)
	defer n.Close()
	all := n.Findings("", "")
	require.NotEmpty(t, all)
	rc := n.Findings("role_cardinality", "")
	require.NotEmpty(t, rc)
	assert.Less(t, len(rc), len(all)+1)
	assert.Contains(t, log.String(), "known finding")
	assert.False(t, rc[0].FirstSeen.IsZero())

	mw, err := api.AuthConfig{Mode: "bearer", Bearer: "t0k"}.Middleware()
	require.NoError(t, err)
	srv, err := api.New(api.Config{Engine: n.Engine(), Auth: mw, Findings: n.Findings})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer t0k")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/v1/findings?property=role_cardinality")
	require.Equal(t, http.StatusOK, code, body)
	var out struct {
		Count    int
		Findings []struct {
			Property, Reason string
			FirstSeen        string `json:"first_seen"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	assert.Equal(t, len(rc), out.Count)
	assert.Equal(t, "role_cardinality", out.Findings[0].Property)
	assert.NotEmpty(t, out.Findings[0].FirstSeen)
	code, _ = get("/v1/findings?property=no_such")
	assert.Equal(t, http.StatusNotFound, code)
	code, body = get("/metrics")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `pvsc_findings_open{property="no_bypass"} 0`)
	assert.Regexp(t, `pvsc_findings_open\{property="role_cardinality"\} [1-9]`, body)
}

// TestContinuousAudit: a fact that breaks an invariant (the OSSA move, learned from a
// notification: it bypassed any proxy) opens a finding; the fact that repairs it resolves it.
func TestContinuousAudit(t *testing.T) {
	s := feedtest.NewStream(1, 4, 10)
	snap := filepath.Join(t.TempDir(), "snap.json")
	require.NoError(t, os.WriteFile(snap, s.Snapshot, 0o644))
	var log syncBuilder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ocsf := filepath.Join(t.TempDir(), "findings.jsonl")
	dlog := filepath.Join(t.TempDir(), "decisions.jsonl")
	n, err := New(ctx, Config{Spec: openstack.Spec, Snapshot: snap, AuditEvery: 10 * time.Millisecond, Log: &log,
		Findings: findings.SinkConfig{File: ocsf}, DecisionLog: decisionlog.Config{Path: dlog}})
	require.NoError(t, err, "the stream's snapshot is clean")
	defer n.Close()
	require.Empty(t, n.Findings("", ""))

	apply := func(params map[string]any) {
		ops, err := n.Engine().Neutral("update_port", params)
		require.NoError(t, err)
		for i := range ops {
			n.Engine().Apply(&ops[i])
		}
	}
	// port-0-1 is bound to vm-0-1 in the stream's snapshot
	apply(map[string]any{"port_id": "port-0-1", "device_owner": "network:dhcp"})
	require.Eventually(t, func() bool { return len(n.Findings("no_bypass", "p-0")) == 1 }, 5*time.Second, 10*time.Millisecond)
	f := n.Findings("no_bypass", "")[0]
	assert.Equal(t, "port-0-1", f.Records[0].ID)
	first := f.FirstSeen

	apply(map[string]any{"port_id": "port-0-2", "device_owner": "network:dhcp"}) // a free port: no finding
	time.Sleep(50 * time.Millisecond)
	require.Len(t, n.Findings("no_bypass", ""), 1)
	assert.Equal(t, first, n.Findings("no_bypass", "")[0].FirstSeen, "a finding keeps its first-seen time")

	apply(map[string]any{"port_id": "port-0-1", "device_owner": "compute:nova"})
	require.Eventually(t, func() bool { return len(n.Findings("", "")) == 0 }, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, log.String(), "finding resolved")

	// The sink writes off the audit's path: the closing line may follow the in-memory state.
	var lines []string
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(ocsf)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		return err == nil && len(lines) >= 2
	}, 5*time.Second, 10*time.Millisecond)
	require.Len(t, lines, 2, "the finding opened, then closed, in OCSF")
	var open, closed map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &open))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &closed))
	assert.Equal(t, []any{float64(2003), float64(1)}, []any{open["class_uid"], open["activity_id"]})
	assert.Equal(t, []any{float64(2003), float64(3)}, []any{closed["class_uid"], closed["activity_id"]})
	n.Close()
	b, err := os.ReadFile(dlog)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"finding":"opened"`)
	assert.Contains(t, string(b), `"finding":"resolved"`)
}

// syncBuilder is a log sink the node's goroutines write to while the test reads it.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFindingsAsIDMEF(t *testing.T) {
	s := feedtest.NewStream(1, 4, 10)
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.json")
	require.NoError(t, os.WriteFile(snap, s.Snapshot, 0o644))
	out := filepath.Join(dir, "findings.xml")
	n, err := New(context.Background(), Config{Spec: openstack.Spec, Snapshot: snap, Log: io.Discard,
		Findings: findings.SinkConfig{Format: "idmef", File: out}})
	require.NoError(t, err)
	defer n.Close()
	ops, err := n.Engine().Neutral("update_port", map[string]any{"port_id": "port-0-1", "device_owner": "network:dhcp"})
	require.NoError(t, err)
	n.Engine().Apply(&ops[0])
	n.reaudit()
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 1, "one IDMEF-Message a line")
	var msg struct {
		XMLName xml.Name
		Alert   struct {
			Classification struct {
				Text string `xml:"text,attr"`
			}
		}
	}
	require.NoError(t, xml.Unmarshal([]byte(lines[0]), &msg))
	assert.Equal(t, "IDMEF-Message", msg.XMLName.Local)
	assert.Equal(t, "no_bypass violation", msg.Alert.Classification.Text)

	_, err = New(context.Background(), Config{Spec: openstack.Spec, Snapshot: snap, Log: io.Discard, Findings: findings.SinkConfig{Format: "cef"}})
	assert.ErrorContains(t, err, `format "cef": want ocsf or idmef`)
}
