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
	require.NoError(t, os.WriteFile(cfg, []byte(`{"miss_penalty": 0}`), 0o644))
	code, out, stderr := pvsc("trust", "--ops", trustOps, "--config", cfg)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 2, strings.Count(out, "set_trust(provider_id="), "metric misses cost nothing with miss_penalty 0")

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
