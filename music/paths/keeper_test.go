package paths_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/music/paths"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
	musicspec "pvsc.dev/pvsc/specs/music"
)

const testdata = "../../cmd/pvsc/testdata/workflows/"

// replay runs the community snapshot and a sequence through the engine, the manager (with the
// shipped metric definitions), the watchers and the keeper's gate; it returns every line's result.
func replay(t *testing.T, ops string) (*paths.Keeper, []trust.Line) {
	t.Helper()
	e, m := engineOn(t)
	require.NoError(t, m.Define(trust.Definitions(musicspec.Spec)))
	feed := trust.NewFeed(e, m)
	k, start, err := paths.Watch(feed)
	require.NoError(t, err)
	assert.Empty(t, start, "the snapshot's workflow names no kinds: nothing to keep")
	_, err = feed.Seed()
	require.NoError(t, err)
	return k, run(t, feed, ops)
}

type seen struct {
	line          int
	kind, subject string
}

func alertsOf(lines []trust.Line) []seen {
	var out []seen
	for _, l := range lines {
		for _, a := range l.Alerts {
			out = append(out, seen{l.Line, a.Kind, a.Subject})
		}
		for _, c := range l.Changes {
			for _, a := range c.Alerts {
				out = append(out, seen{l.Line, a.Kind, a.Subject})
			}
		}
	}
	return out
}

// TestKeeperAlertsBeforeTheStep: the trust drop that removes nav-kept's last admissible path
// raises the alert on its own line; the step after it is refused by the engine; the paths
// come back with the trust.
func TestKeeperAlertsBeforeTheStep(t *testing.T) {
	k, lines := replay(t, "keeper.jsonl")
	assert.Equal(t, []seen{
		{7, paths.KindNoPath, "nav-kept"},
		{11, paths.KindPathAgain, "nav-kept"},
	}, alertsOf(lines))
	require.Len(t, lines, 6)
	assert.Len(t, lines[1].Changes, 1, "cloud-edge drops")
	assert.Len(t, lines[1].Misses, 1, "and the miss is reported")
	assert.True(t, lines[3].Blocked, "the step after the drop is refused before it runs")
	assert.False(t, lines[5].Blocked, "the same step once the trust is back")
	assert.Equal(t, map[string]uint64{"nav-kept": 1}, k.Counts(), "cloud-edge is still internal: only cloud-secure's path")
	assert.Equal(t, "workflow nav-kept has no admissible path: no admissible service for step 1 (traffic), step 2 (blackspots), step 3 (roadblocks), step 4 (routing);"+
		" after set_trust cloud-secure secret -> internal (report_measurement cloud-secure audit_findings 1 > target 0)", lines[2].Changes[0].Alerts[0].Message)
}

// TestPlacementsAreTheMigrationPlan: the providers data may move to, cheapest first.
func TestPlacementsAreTheMigrationPlan(t *testing.T) {
	c := paths.Community{Providers: []paths.Provider{
		{ID: "a", Trust: trust.Secret, SLA: trust.Secret, Tags: []string{"nav"}, Cost: 9},
		{ID: "b", Trust: trust.Secret, SLA: trust.Confidential, Tags: []string{"nav"}, Cost: 3},
		{ID: "c", Trust: trust.Internal, SLA: trust.Secret, Tags: []string{"nav"}, Cost: 1},
		{ID: "d", Trust: trust.Secret, SLA: trust.Secret, Tags: nil, Cost: 1},
		{ID: "e", Trust: trust.Secret, SLA: trust.Secret, Tags: []string{"nav"}, Cost: 3},
	}}
	got := paths.Placements(c, paths.Data{Class: trust.Confidential, Tags: []string{"nav"}}, "e")
	assert.Equal(t, []trust.Placement{{Provider: "b", Level: trust.Confidential, Cost: 3}, {Provider: "a", Level: trust.Secret, Cost: 9}}, got,
		"c holds internal only, d lacks the tag, e is where the data is")
}

// TestKeeperRefusesAStepOffEveryPath: a step of the wrong kind for its place, or beyond the
// workflow's last step, is refused before it runs by the keeper's lookup, though the
// properties admit its provider; a step on the path, one handed to a provider, and a step of a
// workflow that names no kinds pass; a fact off the path is applied and named.
func TestKeeperRefusesAStepOffEveryPath(t *testing.T) {
	e, m := engineOn(t)
	feed := trust.NewFeed(e, m)
	k, start, err := paths.Watch(feed)
	require.NoError(t, err)
	assert.Empty(t, start)
	lines := run(t, feed, "gate.jsonl")
	require.Len(t, lines, 7)
	blocked := make([]bool, len(lines))
	for i, l := range lines {
		blocked[i] = l.Blocked
		assert.Empty(t, l.Error, "line %d", l.Line)
	}
	assert.Equal(t, []bool{false, true, false, false, true, false, false}, blocked)
	assert.Equal(t, []seen{
		{5, paths.KindOffPath, "nav-short"},
		{11, paths.KindOffPath, "nav-short"},
		{13, paths.KindOffPath, "nav-short"},
	}, alertsOf(lines))
	assert.Equal(t, "step r1 of workflow nav-short (step 1, traffic) to routing-edge leaves every admissible path (4 admissible); refused before it runs",
		lines[1].Alerts[0].Message)
	assert.Equal(t, "step r3 of workflow nav-short to routing-secure would be step 3 of a workflow of 2 steps: it leaves every admissible path; refused before it runs",
		lines[4].Alerts[0].Message)
	assert.NotContains(t, lines[5].Alerts[0].Message, "refused", "a fact is applied")
	steps, err := e.Records("step")
	require.NoError(t, err)
	var ids []string
	for _, s := range steps {
		ids = append(ids, s["id"].(string))
	}
	assert.ElementsMatch(t, []string{"r1", "r2", "r3", "n1"}, ids, "the refused steps never reached the context")
	assert.Equal(t, map[string]uint64{"nav-short": 4}, k.Counts())
}

// TestKeeperDefersToTheEngine: a step both the keeper and a property refuse is refused with
// the property's reasons; the keeper's alert is not raised for it.
func TestKeeperDefersToTheEngine(t *testing.T) {
	e, m := engineOn(t)
	feed := trust.NewFeed(e, m)
	_, _, err := paths.Watch(feed)
	require.NoError(t, err)
	var lines []trust.Line
	ops := `{"event_type":"music.workflow.created","payload":{"workflow":{"id":"nav-short","owner":"nav-corp","data_id":"route-plan","kinds":["traffic","routing"]}}}
{"method":"POST","path":"/v1/workflows/nav-short/steps","body":{"step":{"id":"r1","provider_id":"cloud-budget","at":1000}}}`
	require.NoError(t, feed.Run(strings.NewReader(ops), func(l trust.Line) { lines = append(lines, l) }))
	require.Len(t, lines, 2)
	assert.True(t, lines[1].Blocked, "cloud-budget's contract holds internal only: workflow_admissibility refuses")
	assert.Empty(t, lines[1].Alerts)
}

func engineOn(t *testing.T) (*runtime.Engine, *trust.Manager) {
	t.Helper()
	e, err := runtime.New(musicspec.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	_, err = e.LoadSnapshotFile(testdata + "community.json")
	require.NoError(t, err)
	m, err := trust.New(trust.Default())
	require.NoError(t, err)
	return e, m
}

func run(t *testing.T, feed *trust.Feed, ops string) []trust.Line {
	t.Helper()
	in, err := os.Open(testdata + ops)
	require.NoError(t, err)
	defer in.Close()
	var lines []trust.Line
	require.NoError(t, feed.Run(in, func(l trust.Line) { lines = append(lines, l) }))
	return lines
}

// TestKeeperKeepsASnapshotsWorkflows: a snapshot's workflow that names its steps' kinds is
// kept from the start; one without kinds is not the keeper's.
func TestKeeperKeepsASnapshotsWorkflows(t *testing.T) {
	e, err := runtime.New(musicspec.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	_, err = e.LoadSnapshot(strings.NewReader(`{"communities":[{"id":"icc"}],"organisations":[{"id":"o","community_id":"icc"}],
		"providers":[{"id":"p","community_id":"icc","tags":[],"trust":"secret","sla":"secret"}],
		"services":[{"id":"route","provider_id":"p","kind":"routing","tags":[]}],
		"data_objects":[{"id":"d","owner":"o","class":"internal","tags":[]}],
		"workflows":[{"id":"kept","owner":"o","data_id":"d","kinds":["routing","storage"]},{"id":"free","owner":"o","data_id":"d"}]}`), "snap.json")
	require.NoError(t, err)
	k, start, err := paths.NewKeeper(e)
	require.NoError(t, err)
	assert.Equal(t, map[string]uint64{"kept": 0}, k.Counts(), "no storage service: no path, and only the workflow with kinds is kept")
	require.Len(t, start, 1)
	assert.Equal(t, paths.KindNoPath, start[0].Kind)
	assert.Contains(t, start[0].Message, "step 2 (storage)")
}
