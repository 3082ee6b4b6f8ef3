package benchrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/specs/openstack"
)

// inProcessStart is a start-up measured in this process (the command runs a child).
func inProcessStart(path string) (StartRun, error) {
	e, err := allEngine(nil, false)
	if err != nil {
		return StartRun{}, err
	}
	t := time.Now()
	st, err := e.LoadSnapshotFile(path)
	return StartRun{Took: time.Since(t), Records: st.Records, Watchlists: st.Watchlists, RSS: 1, Peak: 1}, err
}

func TestCatalogueMeasuresEveryProperty(t *testing.T) {
	cfg := CatalogueConfig{
		Datasets: []Dataset{{Name: "T", Sizes: cloudgen.Dataset(2).Scale(0.01)}}, Seed: 3, StreamOps: 300, Decisions: 300, Starts: 2,
		Startup: inProcessStart, Captured: "../../openstack/testdata/captured",
	}
	res, err := RunCatalogue(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, res.Datasets, 1)
	d := res.Datasets[0]
	assert.Equal(t, 2, d.JSON.Runs.N)
	assert.Positive(t, d.JSON.Watchlists)
	assert.Equal(t, d.JSON.Watchlists, d.Checkpoint.Watchlists, "the checkpoint holds the watchlists the snapshot built")
	assert.Positive(t, d.CheckpointBytes)
	assert.Less(t, d.CheckpointBytes, d.SnapshotBytes)
	assert.Equal(t, 300, d.All.Ops)
	assert.Zero(t, d.All.Errors, "the generated stream decodes")
	assert.Positive(t, d.All.Concerned)
	assert.Equal(t, 300, d.All.Wall.N)
	assert.Equal(t, 300, d.All.NStep.N, "the timed replay splits every operation into phases")
	assert.Len(t, d.Properties, len(openstack.Spec.Properties))
	for _, p := range d.Properties {
		assert.Equal(t, 300, p.Ops.Ops, p.Property)
	}
	assert.Equal(t, 300, d.Decision.N)
	require.Len(t, res.Decode, 5)
	assert.Zero(t, res.Decode[0].AllocsPerOp, "the neutral form decodes without allocating")

	dir := t.TempDir()
	require.NoError(t, res.Write(dir))
	report, err := os.ReadFile(filepath.Join(dir, CatalogueReport))
	require.NoError(t, err)
	for _, want := range []string{"## Start-up and memory", "## Every operation, mixed stream", "## Each property alone", "## Critical decision", "## Rare paths", "## Decode + match", "## Targets", "separation_of_duties"} {
		assert.Contains(t, string(report), want)
	}
	for _, f := range []string{"catalogue-startup.svg", "catalogue-ops.svg", "catalogue-ops.csv", "catalogue.json"} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.Positive(t, st.Size(), f)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "catalogue-properties.csv"))
	require.NoError(t, err)
	assert.Equal(t, 1+len(openstack.Spec.Properties), strings.Count(string(csv), "\n"))
}

func TestTargetVerdicts(t *testing.T) {
	assert.Equal(t, "met", target{limit: 5, measured: 4, atMost: true}.verdict())
	assert.Equal(t, "not met: 2.00× the target", target{limit: 5, measured: 10, atMost: true}.verdict())
	assert.Equal(t, "not met: 4.00× short", target{limit: 200, measured: 50}.verdict())
	assert.Equal(t, "not met: 3.00 instead of none", target{limit: 0, measured: 3, atMost: true}.verdict())
}

func TestDecisionAllocs(t *testing.T) {
	assert.Equal(t, 0.0, decisionAllocs(3, 1000), "a stray allocation of another goroutine")
	assert.Equal(t, 0.5, decisionAllocs(500, 1000))
	assert.Equal(t, 2.0, decisionAllocs(2000, 1000))
}
