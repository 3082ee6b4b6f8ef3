// Package benchrun is the harness of pvsc bench: it reproduces the PVSC
// paper's experiments (§4.2: Fig. 9 time per phase, Fig. 10 watchlist
// initialisation time and memory, Table 2 response time of one critical
// operation) on generated OpenStack clouds, with the proactive engine, the
// SAT intercept-and-check baseline and OPA measured in the same run on the
// same data, and writes a Markdown report, CSV files and SVG plots.
package benchrun

import (
	"fmt"
	"io"
	"time"

	"pvsc.dev/pvsc/lab/cloudgen"
)

// Dataset is one cloud of the grid.
type Dataset struct {
	Name  string         `json:"name"`
	Sizes cloudgen.Sizes `json:"sizes"`
	// ProactiveOnly datasets (the --scale extension) measure the proactive engine alone.
	ProactiveOnly bool `json:"proactive_only"`
}

// Grid is the paper's ten datasets: 10,000·i ports and 1,000·i tenants, everything else at the largest value.
func Grid() []Dataset {
	var out []Dataset
	for i := 1; i <= cloudgen.GridPoints; i++ {
		out = append(out, Dataset{Name: fmt.Sprintf("D%d", i), Sizes: cloudgen.Dataset(i)})
	}
	return out
}

// QuickFactor shrinks the paper's datasets for --quick.
const QuickFactor = 0.02

// QuickGrid is three small datasets (the paper's first three at 2%) that CI runs in seconds.
func QuickGrid() []Dataset {
	var out []Dataset
	for i := 1; i <= 3; i++ {
		out = append(out, Dataset{Name: fmt.Sprintf("Q%d", i), Sizes: cloudgen.Dataset(i).Scale(QuickFactor)})
	}
	return out
}

// ScaleFactors extend a grid beyond its largest dataset for the proactive engine.
var ScaleFactors = []float64{2, 5, 10}

// ScalePoints are the largest dataset of a grid multiplied by ScaleFactors: for
// the paper's grid, up to 1,000,000 ports and 100,000 tenants.
func ScalePoints(grid []Dataset) []Dataset {
	if len(grid) == 0 {
		return nil
	}
	top := grid[len(grid)-1]
	var out []Dataset
	for _, f := range ScaleFactors {
		out = append(out, Dataset{Name: fmt.Sprintf("%s×%g", top.Name, f), Sizes: top.Sizes.Scale(f), ProactiveOnly: true})
	}
	return out
}

// Config is one benchmark run.
type Config struct {
	Datasets   []Dataset
	Properties []string // shipped OpenStack properties (default no_bypass, common_ownership)
	Seed       uint64
	// Ops critical operations per dataset and property, alternately allowed and denied.
	Ops int
	// Repeat timed decisions per operation (proactive, SAT incremental, OPA), after Warmup untimed ones.
	Repeat, Warmup int
	// StreamOps mixed operations replayed for the time per phase (Fig. 9).
	StreamOps int
	// InitRuns timed watchlist initialisations (Fig. 10).
	InitRuns int
	// SATBudget bounds the time the full SAT baseline spends per dataset and
	// property; it decides each operation once, at least one allowed and one denied.
	SATBudget time.Duration
	// SATFull runs the full SAT baseline (every invariant instance grounded over the collected state).
	SATFull bool
	// OPA runs the OPA peer; nil skips it.
	OPA OPARunner
	// WorkDir holds the generated snapshots (a temporary folder when empty); Keep leaves them there.
	WorkDir string
	Keep    bool
	// Progress draws a progress bar on this writer when not nil; TTY redraws it in place.
	Progress io.Writer
	TTY      bool
	// Log, when not nil, gets one line per finished step.
	Log io.Writer
}

// DefaultProperties are the paper's two properties.
var DefaultProperties = []string{cloudgen.NoBypass, cloudgen.CommonOwnership}

// Full is the paper's grid with its 100 repetitions.
func Full() Config {
	return Config{
		Datasets: Grid(), Properties: DefaultProperties, Seed: 1, Ops: 10, Repeat: 100, Warmup: 10,
		StreamOps: 3000, InitRuns: 5, SATBudget: 30 * time.Second, SATFull: true,
	}
}

// Quick is the small grid CI runs.
func Quick() Config {
	c := Full()
	c.Datasets = QuickGrid()
	c.Ops, c.Repeat, c.Warmup, c.StreamOps, c.InitRuns, c.SATBudget = 6, 20, 5, 400, 3, 5*time.Second
	return c
}

func (c *Config) defaults() {
	if len(c.Properties) == 0 {
		c.Properties = DefaultProperties
	}
	c.Ops, c.Repeat, c.InitRuns = max(c.Ops, 2), max(c.Repeat, 1), max(c.InitRuns, 1)
	c.Warmup, c.StreamOps = max(c.Warmup, 0), max(c.StreamOps, 0)
}
