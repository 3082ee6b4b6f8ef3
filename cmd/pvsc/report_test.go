package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pvsc report on the navigation metric stream writes the three reports, Markdown with its
// plots and HTML, and names what it wrote.
func TestReportCommandWritesThreeReports(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := pvsc("report", "--ops", "testdata/trust/metrics.jsonl", "--proofs", "../../server/report/testdata/verify-music.txt", "--out", out)
	require.Equal(t, 0, code, stderr)
	for _, a := range []string{"operator", "owner", "auditor"} {
		assert.Contains(t, stdout, filepath.Join(out, a+".html"))
		for _, f := range []string{a + ".md", a + ".html"} {
			info, err := os.Stat(filepath.Join(out, f))
			require.NoError(t, err)
			assert.Positive(t, info.Size())
		}
	}
	for _, f := range []string{"operator-1.svg", "operator-2.svg", "operator-3.svg", "auditor-1.svg"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err)
		assert.Contains(t, string(b), "<svg")
	}
	md, err := os.ReadFile(filepath.Join(out, "auditor.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| specs/music | data_vault |")
}

// Bad input is named: no source, two sources, a broken decision log, an unknown audience.
func TestReportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "log.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte("{\"verdict\":\"pass\"}\n{oops}\n"), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "give exactly one of --decisions, --ops and --journal"},
		{[]string{"report", "--ops", "a", "--decisions", "b"}, "give exactly one of --decisions, --ops and --journal"},
		{[]string{"report", "--decisions", bad, "--out", dir}, bad + ":2: not a JSON decision line"},
		{[]string{"report", "--ops", "testdata/trust/metrics.jsonl", "--audience", "cfo", "--out", dir}, `unknown audience "cfo"`},
	} {
		code, _, stderr := pvsc(c.args...)
		assert.NotEqual(t, 0, code, c.args)
		assert.Contains(t, stderr, c.want, c.args)
	}
}

// From decision lines alone (here pvsc replay's), the operator's report counts them.
func TestReportCommandFromDecisions(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := pvsc("report", "--decisions", "../../server/report/testdata/replay-music.jsonl", "--audience", "operator", "--out", out)
	require.Equal(t, 0, code, stderr)
	md, err := os.ReadFile(filepath.Join(out, "operator.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "22 decisions, 1 refused.")
	assert.NoFileExists(t, filepath.Join(out, "owner.md"))
}

// --owner writes one report per owner, next to the audiences asked for; an owner the input
// does not know fails before anything is written.
func TestReportCommandPerOwner(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := pvsc("report", "--ops", "testdata/trust/metrics.jsonl", "--audience", "", "--owner", "nav-corp, city-traffic", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, filepath.Join(out, "owner-nav-corp.html"))
	md, err := os.ReadFile(filepath.Join(out, "owner-city-traffic.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "blackspots")
	assert.NotContains(t, string(md), "route-plan")
	assert.NoFileExists(t, filepath.Join(out, "owner.md"), "no audience asked for")

	empty := t.TempDir()
	code, _, stderr = pvsc("report", "--ops", "testdata/trust/metrics.jsonl", "--owner", "nobody", "--out", empty)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `owner "nobody" holds no data object and no workflow in the input`)
	assert.NoFileExists(t, filepath.Join(empty, "operator.md"))

	code, _, stderr = pvsc("report", "--ops", "testdata/trust/metrics.jsonl", "--audience", "", "--out", empty)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no report to write")
}

// --trust-config's metric definitions reach the run's trust level manager, as pvsc trust's
// --config does: a patch-latency miss that costs nothing moves no level.
func TestReportTrustConfigReadsMetrics(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "rule.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"metrics": {"patch_latency_days": {"penalty": 0}}}`), 0o644))
	auditor := func(args ...string) string {
		out := t.TempDir()
		code, _, stderr := pvsc(append([]string{"report", "--ops", "testdata/trust/metrics.jsonl", "--audience", "auditor", "--out", out}, args...)...)
		require.Equal(t, 0, code, stderr)
		md, err := os.ReadFile(filepath.Join(out, "auditor.md"))
		require.NoError(t, err)
		return string(md)
	}
	drop := "| 20 | cloud-edge | confidential | internal | report_measurement cloud-edge patch_latency_days 21 > target 7 |"
	assert.Contains(t, auditor(), drop)
	assert.NotContains(t, auditor("--trust-config", cfg), drop)
}
