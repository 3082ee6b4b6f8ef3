package paths_test

import (
	"os"
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
// shipped metric definitions) and the watchers; it returns every line's result.
func replay(t *testing.T, ops string) (*paths.Keeper, []trust.Line) {
	t.Helper()
	e, err := runtime.New(musicspec.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	_, err = e.LoadSnapshotFile(testdata + "community.json")
	require.NoError(t, err)
	m, err := trust.New(trust.Default())
	require.NoError(t, err)
	require.NoError(t, m.Define(trust.Definitions(musicspec.Spec)))
	k, start, err := paths.NewKeeper(e)
	require.NoError(t, err)
	assert.Empty(t, start, "the snapshot's workflow names no kinds: nothing to keep")
	feed := trust.NewFeed(e, m)
	feed.Watchers = []trust.Watcher{paths.Strands{E: e}, k}
	_, err = feed.Seed()
	require.NoError(t, err)
	in, err := os.Open(testdata + ops)
	require.NoError(t, err)
	defer in.Close()
	var lines []trust.Line
	require.NoError(t, feed.Run(in, func(l trust.Line) { lines = append(lines, l) }))
	return k, lines
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
