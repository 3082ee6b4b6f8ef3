package decisionlog

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/feed/feedtest"
	"pvsc.dev/pvsc/server/findings"
	"pvsc.dev/pvsc/specs/openstack"
)

func engine(t *testing.T) *runtime.Engine {
	t.Helper()
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	_, err = feed.New(feed.Config{Engine: e}).Load("snapshot", feedtest.NewStream(1, 4, 10).Snapshot)
	require.NoError(t, err)
	return e
}

func decide(t *testing.T, e *runtime.Engine, op string, params map[string]any) runtime.Decision {
	t.Helper()
	ops, err := e.Neutral(op, params)
	require.NoError(t, err)
	require.Len(t, ops, 1)
	return e.Decide(&ops[0])
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		out = append(out, l)
	}
	return out
}

func TestCriticalDecisionsAndFindingsAreLogged(t *testing.T) {
	e := engine(t)
	path := filepath.Join(t.TempDir(), "d.jsonl")
	l, err := New(Config{Path: path}, e, prometheus.NewRegistry())
	require.NoError(t, err)
	deny := decide(t, e, "update_port", map[string]any{"port_id": "port-0-1", "device_owner": "network:dhcp"})
	pass := decide(t, e, "create_host", map[string]any{"host_id": "h-new"})
	require.Equal(t, runtime.Deny, deny.Verdict())
	require.Equal(t, runtime.Pass, pass.Verdict())
	l.Decision(&deny, Meta{Source: "api", RequestID: "req-1", User: "u1", Project: "p-0"})
	l.Decision(&pass, Meta{Source: "api"})
	l.Finding(findings.Finding{Violation: runtime.Violation{Property: "no_bypass", Reason: "no_bypass: port broken"}, FirstSeen: time.Now()}, "opened")
	require.NoError(t, l.Close())

	lines := readLines(t, path)
	require.Len(t, lines, 2, "a pass is counted, not logged")
	d := lines[0]
	assert.Equal(t, "req-1", d["request_id"])
	assert.Equal(t, "u1", d["user_id"])
	assert.Equal(t, "p-0", d["project_id"])
	assert.Equal(t, "deny", d["verdict"])
	assert.Equal(t, true, d["blocked"])
	want := deny.Record()
	assert.Equal(t, want.Op, d["op"])
	assert.Equal(t, want.Checks[0].Reason, d["checks"].([]any)[0].(map[string]any)["reason"], "the replay decision's fields")
	_, err = time.Parse(time.RFC3339Nano, d["time"].(string))
	assert.NoError(t, err)
	assert.Equal(t, "opened", lines[1]["finding"])
	assert.Equal(t, "no_bypass", lines[1]["detail"].(map[string]any)["property"])
}

func TestPassesOnRequestAndRotation(t *testing.T) {
	e := engine(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "d.jsonl")
	l, err := New(Config{Path: path, MaxMB: 1, Keep: 2, Passes: true, Buffer: 8192}, e, nil)
	require.NoError(t, err)
	deny := decide(t, e, "update_port", map[string]any{"port_id": "port-0-1", "device_owner": "network:dhcp"})
	pass := decide(t, e, "create_host", map[string]any{"host_id": "h-new"})
	// About 1.5 MB of lines, whatever a pair of lines weighs (they name every property's
	// check): one rotation.
	pairs := 1_500_000 / pairSize(t, e, deny, pass)
	for range pairs {
		l.Decision(&deny, Meta{Source: "proxy", Status: 403})
		l.Decision(&pass, Meta{Source: "proxy"})
	}
	require.NoError(t, l.Close())
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 2, "the file and one rotated backup")
	total := 0
	for _, en := range ents {
		total += len(readLines(t, filepath.Join(dir, en.Name())))
		assert.True(t, strings.HasPrefix(en.Name(), "d"), en.Name())
	}
	assert.Equal(t, 2*pairs, total, "nothing lost across the rotation (the buffer was large enough)")
}

// pairSize is what one denial and one pass weigh in the log.
func pairSize(t *testing.T, e *runtime.Engine, deny, pass runtime.Decision) int {
	path := filepath.Join(t.TempDir(), "one.jsonl")
	l, err := New(Config{Path: path, MaxMB: 1, Keep: 1, Passes: true, Buffer: 8}, e, nil)
	require.NoError(t, err)
	l.Decision(&deny, Meta{Source: "proxy", Status: 403})
	l.Decision(&pass, Meta{Source: "proxy"})
	require.NoError(t, l.Close())
	st, err := os.Stat(path)
	require.NoError(t, err)
	return int(st.Size())
}
