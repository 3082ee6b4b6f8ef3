package trust_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
	music "pvsc.dev/pvsc/specs/music"
)

func feed(t *testing.T) (*trust.Feed, *runtime.Engine) {
	t.Helper()
	e, err := runtime.New(music.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	m, err := trust.New(trust.Default())
	require.NoError(t, err)
	return trust.NewFeed(e, m), e
}

const community = `{"op":"create_community","params":{"community_id":"icc"}}
{"op":"join_community","params":{"organisation_id":"nav-corp","community_id":"icc"}}
{"event_type":"music.provider.registered","payload":{"provider":{"id":"cloud-edge","community_id":"icc","tags":["navigation"],"trust":"confidential","sla":"confidential"}}}
{"event_type":"music.provider.registered","payload":{"provider":{"id":"cloud-secure","community_id":"icc","tags":["navigation"],"trust":"secret","sla":"secret"}}}
{"event_type":"music.data.created","payload":{"data":{"id":"blackspots","owner":"nav-corp","class":"confidential","criticality":3,"tags":["navigation"]}}}
{"method":"PUT","path":"/v1/data/blackspots/location","body":{"provider_id":"cloud-edge","vault":true}}
{"event_type":"music.workflow.created","payload":{"workflow":{"id":"nav-route","owner":"nav-corp","data_id":"blackspots"}}}
`

func run(t *testing.T, f *trust.Feed, ops string) []trust.Line {
	t.Helper()
	var lines []trust.Line
	require.NoError(t, f.Run(strings.NewReader(ops), func(l trust.Line) { lines = append(lines, l) }))
	return lines
}

// TestTrustDropReachesTheEngine: the manager's set_trust is applied to the engine before the
// next operation, so data_placement's watchlist no longer admits the provider, and the data it
// stores is reported stranded.
func TestTrustDropReachesTheEngine(t *testing.T) {
	f, e := feed(t)
	run(t, f, community)
	st, err := e.Scope("data_placement", "blackspots")
	require.NoError(t, err)
	assert.Equal(t, []string{"cloud-edge", "cloud-secure"}, st.Elements)

	lines := run(t, f, `{"method":"POST","path":"/v1/workflows/nav-route/steps","body":{"step":{"id":"s1","provider_id":"cloud-edge"}}}
{"event_type":"music.step.outcome","payload":{"step_id":"s1","outcome":"violated"}}
{"op":"store_data","params":{"data_id":"blackspots","location":"cloud-edge"}}
{"method":"POST","path":"/v1/workflows/nav-route/steps","body":{"step":{"id":"s2","provider_id":"cloud-edge"}}}
{"method":"POST","path":"/v1/workflows/nav-route/steps","body":{"step":{"id":"s3","provider_id":"cloud-secure"}}}
`)
	require.Len(t, lines, 5)
	assert.Equal(t, []string{"hand_to_provider(step_id=s1, workflow_id=nav-route, provider=cloud-edge)"}, lines[0].Ops)
	require.Len(t, lines[1].Changes, 1)
	c := lines[1].Changes[0]
	assert.Equal(t, trust.Change{Provider: "cloud-edge", From: trust.Confidential, To: trust.Internal, Cause: "record_outcome s1 violated at cloud-edge"}, c.Change)
	assert.Equal(t, "violation", c.Verdict, "blackspots (confidential) is stored there")
	require.Len(t, c.Violations, 1)
	assert.Contains(t, c.Violations[0], "data_placement: set_trust is critical")

	st, err = e.Scope("data_placement", "blackspots")
	require.NoError(t, err)
	assert.Equal(t, []string{"cloud-secure"}, st.Elements, "the watchlist was rebuilt on the set_trust")
	assert.True(t, lines[2].Blocked, "storing confidential data on cloud-edge again is denied")
	assert.True(t, lines[3].Blocked, "the next step to cloud-edge is refused before it runs (workflow_trust)")
	assert.False(t, lines[4].Blocked, "the workflow goes on at cloud-secure")
	recs, err := e.Records("provider")
	require.NoError(t, err)
	assert.Equal(t, "internal", recs[0]["trust"], "the model holds the manager's level")
}

func TestSeedReadsTheSnapshot(t *testing.T) {
	f, e := feed(t)
	_, err := e.LoadSnapshot(strings.NewReader(`{"communities":[{"id":"icc"}],
		"providers":[{"id":"cloud-a","community_id":"icc","tags":[],"trust":"secret","sla":"internal"},
		             {"id":"cloud-b","community_id":"icc","tags":[],"trust":"internal","sla":"secret"}],
		"services":[{"id":"svc-b","provider_id":"cloud-b","tags":[]}]}`), "snap.json")
	require.NoError(t, err)
	applied, err := f.Seed()
	require.NoError(t, err)
	require.Len(t, applied, 1, "cloud-a is registered above its SLA")
	assert.Equal(t, trust.Change{Provider: "cloud-a", From: trust.Secret, To: trust.Internal, Cause: "register_provider cloud-a (contract secret, SLA internal)"}, applied[0].Change)
	assert.Equal(t, "applied", applied[0].Verdict)

	lines := run(t, f, `{"op":"join_community","params":{"organisation_id":"o","community_id":"icc"}}
{"op":"create_data","params":{"data_id":"d","organisation_id":"o","class":"public","tags":[]}}
{"op":"create_workflow","params":{"workflow_id":"w","organisation_id":"o","data":"d"}}
{"op":"hand_to_service","params":{"step_id":"s1","workflow_id":"w","service":"svc-b"}}
{"event_type":"music.step.outcome","payload":{"step_id":"s1","outcome":"completed"}}
{"event_type":"music.step.outcome","payload":{"step_id":"s1","outcome":"finished"}}
`)
	require.Len(t, lines, 6)
	assert.Empty(t, lines[4].Error, "a step through a snapshot's service counts for its provider")
	s, _ := f.Manager.Status("cloud-b")
	assert.Equal(t, 1, s.Experience.Completed)
	assert.Contains(t, lines[5].Error, "where guard", "the model refuses an unknown outcome")
}

// TestFeedJudgesByTheSpecsMetrics: a feed's manager without definitions of its own takes the
// engine's spec's, so a measurement carrying only a value is judged by the spec's target.
func TestFeedJudgesByTheSpecsMetrics(t *testing.T) {
	f, _ := feed(t)
	run(t, f, community)
	lines := run(t, f, `{"event_type":"music.metric.measured","payload":{"provider_id":"cloud-secure","metric":"availability","value":994}}
{"event_type":"music.metric.measured","payload":{"provider_id":"cloud-secure","metric":"availability","value":995,"target":999,"direction":"min"}}
`)
	require.Len(t, lines, 2)
	require.Len(t, lines[0].Misses, 1)
	assert.Equal(t, "cloud-secure availability 994 < target 995 per mille (reported by uptime probe): costs 1 level(s) until met", lines[0].Misses[0].String())
	require.Len(t, lines[0].Changes, 1)
	assert.Equal(t, trust.Confidential, lines[0].Changes[0].To)
	assert.Empty(t, lines[1].Misses, "995 meets the spec's target; the measurement's own 999 is not the contract")
	require.Len(t, lines[1].Changes, 1)
	assert.Equal(t, trust.Secret, lines[1].Changes[0].To)
	assert.Equal(t, int64(995), f.Manager.Metrics()["availability"].Target)
}

// TestSeedKeepsExperienceAcrossACheckpoint: a restart from a checkpoint reads the steps'
// outcomes back, so a provider's experience (and the level it earned) survives the restart.
func TestSeedKeepsExperienceAcrossACheckpoint(t *testing.T) {
	f, e := feed(t)
	run(t, f, community)
	lines := run(t, f, `{"op":"hand_to_provider","params":{"step_id":"s1","workflow_id":"nav-route","provider":"cloud-secure"}}
{"event_type":"music.step.outcome","payload":{"step_id":"s1","outcome":"violated"}}
{"op":"hand_to_provider","params":{"step_id":"s2","workflow_id":"nav-route","provider":"cloud-secure"}}
{"event_type":"music.step.outcome","payload":{"step_id":"s2","outcome":"completed"}}
`)
	for _, l := range lines {
		require.Empty(t, l.Error, "line %d", l.Line)
	}
	before, _ := f.Manager.Status("cloud-secure")
	require.Equal(t, 1, before.Experience.Violated)

	after, _ := restarted(t, e).Manager.Status("cloud-secure")
	assert.Equal(t, before.Experience, after.Experience, "the outcomes are read back")
	assert.Equal(t, before.Current, after.Current)
}

// TestOutsideSetTrustIsTheBaseAfterARestart: a set_trust from outside (no cause) is the
// provider's new base, in the model too, so a restart from a checkpoint keeps it; the
// manager's own set_trust (with its cause) leaves the base alone.
func TestOutsideSetTrustIsTheBaseAfterARestart(t *testing.T) {
	f, e := feed(t)
	run(t, f, community)
	lines := run(t, f, `{"event_type":"music.trust.changed","payload":{"provider_id":"cloud-secure","trust":"internal"}}
{"event_type":"music.trust.changed","payload":{"provider_id":"cloud-edge","trust":"internal","cause":"an echo of a manager's change"}}
`)
	for _, l := range lines {
		require.Empty(t, l.Error, "line %d", l.Line)
	}
	base := func(e *runtime.Engine) map[string]any {
		recs, err := e.Records("provider")
		require.NoError(t, err)
		out := map[string]any{}
		for _, r := range recs {
			out[r["id"].(string)] = r["base"]
		}
		return out
	}
	assert.Equal(t, map[string]any{"cloud-secure": "internal", "cloud-edge": "confidential"}, base(e))

	s, _ := restarted(t, e).Manager.Status("cloud-secure")
	assert.Equal(t, trust.Internal, s.Base, "the administrator's level, not the registration's secret")
	assert.Equal(t, trust.Internal, s.Current)
}

// restarted is a new feed started from a checkpoint of e's context and seeded from it, as
// pvsc serve restarts.
func restarted(t *testing.T, e *runtime.Engine) *trust.Feed {
	t.Helper()
	var ck bytes.Buffer
	require.NoError(t, e.WriteCheckpoint(&ck))
	g, e2 := feed(t)
	_, err := e2.LoadSnapshot(&ck, "checkpoint")
	require.NoError(t, err)
	_, err = g.Seed()
	require.NoError(t, err)
	return g
}
