package report

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
	musicspec "pvsc.dev/pvsc/specs/music"
)

// The decision lines pvsc replay wrote for the navigation community's metric stream
// (cmd/pvsc/testdata/trust/metrics.jsonl) are read with their input lines and checks.
func TestReadDecisionsOfAReplay(t *testing.T) {
	ds, fs, err := ReadDecisions("testdata/replay-music.jsonl")
	require.NoError(t, err)
	assert.Empty(t, fs)
	require.Len(t, ds, 22)
	assert.Equal(t, Decision{At: 2, Source: "replay", Op: "create_community", Verdict: "pass", Checks: ds[0].Checks}, ds[0])
	assert.Equal(t, "workflow_trust", ds[0].Checks[0].Property)
	var blocked []string
	for _, d := range ds {
		if d.Blocked {
			blocked = append(blocked, d.Op)
		}
	}
	assert.NotEmpty(t, blocked, "the stream has refused steps")
}

// Bad lines are errors naming the file and line; a log cut inside its last line says so.
func TestBadDecisionLinesNameFileAndLine(t *testing.T) {
	for text, want := range map[string]string{
		"{\"verdict\":\"pass\"}\n{\"op\":\"x\"}\n":        `log:2: neither a decision (no "verdict") nor a finding (no "finding")`,
		"{\"verdict\":\"pass\"}\n{\"op\":\n":              "log:2: not a JSON decision line",
		"{\"verdict\":\"pass\"}\n{\"op\":\"x\",\"verd":    "log:2: truncated line (the log ends inside it)",
		"{\"time\":\"yesterday\",\"verdict\":\"pass\"}\n": `log:1: time "yesterday": want RFC 3339`,
		"{\"finding\":\"opened\",\"verdict\":\"deny\"}\n": `log:1: finding "opened" without "detail"`,
		"# only a comment\n":                              "log: no decision lines",
	} {
		_, _, err := readDecisions("log", strings.NewReader(text))
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want, text)
	}
}

// pvsc verify's real output on two MuSIC properties is read property by property, with
// its bounds and its three claims.
func TestReadProofsOfVerify(t *testing.T) {
	ps, err := ReadProofs("testdata/verify-music.txt")
	require.NoError(t, err)
	require.Len(t, ps, 2)
	p := ps[0]
	assert.Equal(t, "specs/music", p.Spec)
	assert.Equal(t, "data_vault", p.Property)
	assert.Equal(t, "proven", p.Verdict)
	assert.Contains(t, p.Bounds, "runs of up to 6 operations")
	assert.NotContains(t, p.Bounds, "12.944s", "the proof's time is not a bound")
	assert.True(t, strings.HasPrefix(p.N, "Model-N-property agrees"))
	require.Len(t, p.Claims, 3)
	for _, c := range p.Claims {
		assert.Equal(t, "proven for runs of any length", c.Outcome)
	}
	_, err = readProofs("v", strings.NewReader("ok\n"))
	assert.EqualError(t, err, `v:1: not a line of pvsc verify: "ok"`)
}

// Run on the music model feeds the trust level manager: the metric misses of the stream
// lower trust, and the community holds the data, workflows and steps of the run.
func TestRunFeedsTheTrustManager(t *testing.T) {
	e, err := runtime.New(musicspec.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	f, err := os.Open("../../cmd/pvsc/testdata/trust/metrics.jsonl")
	require.NoError(t, err)
	defer f.Close()
	m, err := trust.New(trust.Default())
	require.NoError(t, err)
	in, err := Run(e, f, "metrics.jsonl", m)
	require.NoError(t, err)
	require.NotEmpty(t, in.Decisions)
	require.NotEmpty(t, in.Trust)
	first := in.Trust[0]
	assert.Equal(t, "cloud-edge", first.Provider)
	assert.Equal(t, "internal", first.To.String())
	assert.Equal(t, 20, first.At, "the line of the patch-latency miss")
	require.NotNil(t, in.Community)
	assert.NotEmpty(t, in.Community.Attempts)
	assert.NotEmpty(t, in.Statuses)
}
