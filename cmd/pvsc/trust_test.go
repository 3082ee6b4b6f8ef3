package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/golden"
)

const trustOps = "testdata/trust/ops.jsonl"

// TestTrustCommandGolden pins the text report of the navigation community's trust inputs
// (PVSC_UPDATE=1 rewrites testdata/trust/out.txtar); a second run prints the same bytes.
func TestTrustCommandGolden(t *testing.T) {
	code, out, stderr := pvsc("trust", "--ops", trustOps)
	require.Equal(t, 0, code, stderr)
	golden.File(t, "testdata/trust/out.txtar", []byte(out))
	_, again, _ := pvsc("trust", "--ops", trustOps)
	assert.Equal(t, out, again, "deterministic")
}

func TestTrustCommandJSONAndEmit(t *testing.T) {
	emit := filepath.Join(t.TempDir(), "set_trust.jsonl")
	code, out, stderr := pvsc("trust", "--ops", trustOps, "--format", "json", "--emit", emit)
	require.Equal(t, 0, code, stderr)
	var rep struct {
		Config    struct{ Decay float64 }
		Providers []struct {
			Provider, Base, SLA, Current string
			Misses                       []struct{ Metric string }
		}
		SetTrust []struct {
			Line                      int
			Provider, From, To, Cause string
			Verdict                   string
			Violations                []string
		} `json:"set_trust"`
		Errors []struct {
			Line  int
			Error string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, 0.8, rep.Config.Decay)
	levels := map[string]string{}
	for _, p := range rep.Providers {
		levels[p.Provider] = p.Current
	}
	assert.Equal(t, map[string]string{"cloud-budget": "confidential", "cloud-edge": "internal", "cloud-secure": "secret"}, levels)
	require.Len(t, rep.SetTrust, 4)
	assert.Equal(t, "cloud-edge", rep.SetTrust[1].Provider)
	assert.Equal(t, "violation", rep.SetTrust[1].Verdict, "blackspots is stranded on cloud-edge")
	require.Len(t, rep.Errors, 1)
	assert.Contains(t, rep.Errors[0].Error, `step "s9"`)

	// The emitted notifications are operations pvsc replay reads.
	f, err := os.Open(emit)
	require.NoError(t, err)
	defer f.Close()
	var sets []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var n struct {
			EventType string                             `json:"event_type"`
			Payload   struct{ ProviderID, Trust string } `json:"payload"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &n))
		assert.Equal(t, "music.trust.changed", n.EventType)
		sets = append(sets, n.Payload.Trust)
	}
	assert.Equal(t, []string{"confidential", "internal", "confidential", "secret"}, sets)
}

func TestTrustCommandConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rule.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"metrics": {"patch_latency_days": {"penalty": 0}}}`), 0o644))
	code, out, stderr := pvsc("trust", "--ops", trustOps, "--config", cfg)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 2, strings.Count(out, "set_trust(provider_id="), "a defined metric's miss costs nothing with its penalty 0")
	assert.Contains(t, out, "patch_latency_days 12 > target 7 days (reported by patch management): costs 0 level(s) until met",
		"and is still reported")

	require.NoError(t, os.WriteFile(cfg, []byte(`{"metrics": {"patch_latency_days": {"target": 14}}}`), 0o644))
	code, out, stderr = pvsc("trust", "--ops", trustOps, "--config", cfg)
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, out, "metric misses", "12 days meets a target of 14")

	require.NoError(t, os.WriteFile(cfg, []byte(`{"metrics": {"patch_latency_days": {"direction": "down"}}}`), 0o644))
	code, _, stderr = pvsc("trust", "--ops", trustOps, "--config", cfg)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `metric patch_latency_days: direction "down" (want max or min)`)

	require.NoError(t, os.WriteFile(cfg, []byte(`{"decay": 2}`), 0o644))
	code, _, stderr = pvsc("trust", "--ops", trustOps, "--config", cfg)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "decay 2: want 0..1")

	require.NoError(t, os.WriteFile(cfg, []byte(`{"decay_rate": 0.5}`), 0o644))
	code, _, stderr = pvsc("trust", "--ops", trustOps, "--config", cfg)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `unknown field "decay_rate"`)

	code, _, stderr = pvsc("trust")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--ops is required")
}

const metricOps = "testdata/trust/metrics.jsonl"

// TestTrustMetricsGolden replays the shipped metric definitions: measurements carry values
// only, every miss is listed, a miss that strands data raises an alert with the migration
// plan, and a trust drop that removes nav-route's last admissible path raises one before its
// first step (which the engine then refuses).
func TestTrustMetricsGolden(t *testing.T) {
	code, out, stderr := pvsc("trust", "--ops", metricOps)
	require.Equal(t, 0, code, stderr)
	golden.File(t, "testdata/trust/metrics.txtar", []byte(out))
}

func TestTrustMetricsJSON(t *testing.T) {
	code, out, stderr := pvsc("trust", "--ops", metricOps, "--format", "json")
	require.Equal(t, 0, code, stderr)
	type alert struct {
		Line          int
		Kind, Subject string
		MigrateTo     []struct{ Provider, Level string } `json:"migrate_to"`
	}
	var rep struct {
		Metrics map[string]struct {
			Target    int64
			Direction string
		}
		Misses []struct {
			Line             int
			Provider, Metric string
			Value, Target    int64
			Defined          bool
		}
		SetTrust []struct {
			Line   int
			To     string
			Alerts []alert
		} `json:"set_trust"`
		Alerts    []alert
		Workflows map[string]uint64
		Blocked   int
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, int64(995), rep.Metrics["availability"].Target, "the spec's definitions")
	assert.Equal(t, "min", rep.Metrics["availability"].Direction)
	require.Len(t, rep.Misses, 3)
	assert.Equal(t, 20, rep.Misses[0].Line)
	assert.Equal(t, "patch_latency_days", rep.Misses[0].Metric)
	assert.Equal(t, int64(7), rep.Misses[0].Target, "the spec's target: the measurement carries none")
	assert.True(t, rep.Misses[0].Defined)

	require.Len(t, rep.SetTrust, 4)
	drop := rep.SetTrust[0]
	assert.Equal(t, 20, drop.Line)
	assert.Equal(t, "internal", drop.To)
	require.Len(t, drop.Alerts, 2)
	assert.Equal(t, "stranded_data", drop.Alerts[0].Kind)
	assert.Equal(t, "blackspots", drop.Alerts[0].Subject)
	require.Len(t, drop.Alerts[0].MigrateTo, 1, "cloud-budget holds internal only")
	assert.Equal(t, "cloud-secure", drop.Alerts[0].MigrateTo[0].Provider)
	assert.Equal(t, "no_admissible_path", drop.Alerts[1].Kind)
	assert.Equal(t, "nav-route", drop.Alerts[1].Subject)
	assert.Equal(t, "admissible_path", rep.SetTrust[2].Alerts[0].Kind, "patched: the paths are back")

	require.Len(t, rep.Alerts, 1)
	assert.Equal(t, alert{Line: 32, Kind: "step_off_path", Subject: "nav-route"}, rep.Alerts[0])
	assert.Equal(t, map[string]uint64{"nav-route": 0}, rep.Workflows)
	assert.Equal(t, 3, rep.Blocked, "the step after the drop, the step to cloud-budget and the step off the path")
}
