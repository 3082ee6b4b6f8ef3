package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/golden"
)

const (
	community  = "testdata/workflows/community.json"
	edgeMisses = "testdata/workflows/edge-misses.jsonl"
)

var navRoute = []string{"--snapshot", community, "--data", "route-plan", "--steps", "traffic,blackspots,roadblocks,routing"}

// TestWorkflowsCommandGolden pins the navigation workflow's paths before and after the trust
// level manager lowers cloud-edge on a metric miss (PVSC_UPDATE=1 rewrites the file).
func TestWorkflowsCommandGolden(t *testing.T) {
	c := golden.Load(t, "testdata/workflows/out.txtar")
	code, before, stderr := pvsc(append([]string{"workflows"}, navRoute...)...)
	require.Equal(t, 0, code, stderr)
	c.Check(t, "before", []byte(before))
	code, after, stderr := pvsc(append([]string{"workflows", "--ops", edgeMisses}, navRoute...)...)
	require.Equal(t, 0, code, stderr)
	c.Check(t, "after-edge-misses", []byte(after))
	code, none, stderr := pvsc("workflows", "--snapshot", community, "--class", "secret", "--tags", "navigation", "--steps", "traffic,blackspots")
	require.Equal(t, 0, code, stderr)
	c.Check(t, "secret", []byte(none))
	code, none, stderr = pvsc("workflows", "--snapshot", community, "--class", "public", "--tags", "health", "--steps", "traffic,routing")
	require.Equal(t, 0, code, stderr)
	c.Check(t, "no-path", []byte(none))
	c.Save(t)
}

type workflowsJSON struct {
	Total uint64
	Paths []struct {
		Cost  int64
		Steps []struct{ Service, Provider string }
	}
	SetTrust []struct{ Provider, From, To string } `json:"set_trust"`
}

func workflowsJSONOf(t *testing.T, args ...string) workflowsJSON {
	t.Helper()
	code, out, stderr := pvsc(append([]string{"workflows", "--format", "json"}, args...)...)
	require.Equal(t, 0, code, stderr)
	var r workflowsJSON
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	return r
}

func TestWorkflowsTrustDropRemovesPaths(t *testing.T) {
	before := workflowsJSONOf(t, navRoute...)
	after := workflowsJSONOf(t, append([]string{"--ops", edgeMisses}, navRoute...)...)
	assert.Equal(t, uint64(16), before.Total)
	assert.Equal(t, uint64(1), after.Total, "cloud-edge (now internal) leaves every path")
	require.Len(t, after.Paths, 1)
	for _, s := range after.Paths[0].Steps {
		assert.Equal(t, "cloud-secure", s.Provider, "the workflow is rerouted to cloud-secure")
	}
	assert.Contains(t, after.SetTrust, struct{ Provider, From, To string }{"cloud-edge", "confidential", "internal"})
	assert.Less(t, before.Paths[0].Cost, after.Paths[0].Cost)

	limited := workflowsJSONOf(t, append([]string{"--limit", "3"}, navRoute...)...)
	assert.Equal(t, uint64(16), limited.Total)
	require.Len(t, limited.Paths, 3)
	assert.LessOrEqual(t, limited.Paths[0].Cost, limited.Paths[1].Cost)
	assert.LessOrEqual(t, limited.Paths[1].Cost, limited.Paths[2].Cost)
}

func TestWorkflowsCommandErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--snapshot", community, "--steps", "routing"}, "one of --data or --class are required"},
		{[]string{"--snapshot", community, "--data", "nope", "--steps", "routing"}, `no data object "nope"`},
		{[]string{"--snapshot", community, "--class", "top", "--steps", "routing"}, `unknown level "top"`},
		{[]string{"--snapshot", community, "--class", "public", "--steps", "routing", "--format", "xml"}, `--format "xml"`},
	} {
		code, _, stderr := pvsc(append([]string{"workflows"}, c.args...)...)
		assert.Equal(t, 1, code, c.args)
		assert.Contains(t, stderr, c.want)
	}
}

// TestWorkflowsOpsReadTheConfigsMetrics: --ops run as pvsc trust runs them, so a --config
// that makes the patch latency miss cost nothing leaves cloud-edge, and its paths, in place.
func TestWorkflowsOpsReadTheConfigsMetrics(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "rule.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"metrics": {"patch_latency_days": {"penalty": 0}}}`), 0o644))
	r := workflowsJSONOf(t, append([]string{"--ops", edgeMisses, "--config", cfg}, navRoute...)...)
	assert.Equal(t, uint64(16), r.Total, "the miss costs no level")
	assert.NotContains(t, r.SetTrust, struct{ Provider, From, To string }{"cloud-edge", "confidential", "internal"})
	assert.Contains(t, r.SetTrust, struct{ Provider, From, To string }{"cloud-budget", "confidential", "internal"},
		"the snapshot's cloud-budget is held to its SLA as before")
}
