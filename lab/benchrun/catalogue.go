package benchrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
)

// The catalogue run (pvsc bench --catalogue) measures every shipped OpenStack
// property on at once, as an operator turns them on: start-up from the JSON
// snapshot and from pvsc's checkpoint (each in a process of its own, for its
// memory), every operation of a mixed stream end to end and per phase, the
// same stream with no_bypass alone and with each property alone (the
// baselines its ratios are taken against), the critical decision, the rare
// paths the spec declares, and decode + match per source.

// CatalogueConfig is one catalogue run.
type CatalogueConfig struct {
	Datasets  []Dataset
	Seed      uint64
	StreamOps int // operations of the mixed stream
	Decisions int // timed critical decisions
	Starts    int // start-ups timed per source
	// Startup measures one start-up from a snapshot or checkpoint file, in a child process.
	Startup func(path string) (StartRun, error)
	// Captured is the folder of the real-stack corpus decode + match is measured on.
	Captured string
	WorkDir  string
	Keep     bool
	Log      io.Writer
}

// CatalogueGrid is 10,000, 100,000 and 1,000,000 ports (the paper's first and
// last datasets, and the last at ten times its size).
func CatalogueGrid() []Dataset {
	top := cloudgen.Dataset(cloudgen.GridPoints)
	return []Dataset{
		{Name: "10k", Sizes: cloudgen.Dataset(1)},
		{Name: "100k", Sizes: top},
		{Name: "1M", Sizes: top.Scale(10)},
	}
}

// CatalogueQuick is the catalogue at 2% of the paper's first, fifth and last datasets.
func CatalogueQuick() CatalogueConfig {
	var ds []Dataset
	for _, i := range []int{1, 5, 10} {
		ds = append(ds, Dataset{Name: fmt.Sprintf("Q%d", i), Sizes: cloudgen.Dataset(i).Scale(QuickFactor)})
	}
	return CatalogueConfig{Datasets: ds, Seed: 1, StreamOps: 2000, Decisions: 2000, Starts: 1}
}

// CatalogueFull is the catalogue at the paper's scale and beyond.
func CatalogueFull() CatalogueConfig {
	return CatalogueConfig{Datasets: CatalogueGrid(), Seed: 1, StreamOps: 20000, Decisions: 20000, Starts: 3}
}

// StartRun is one start-up: the engine built and the context loaded, and the
// process's memory then (resident after the load's garbage is returned) and at its peak.
type StartRun struct {
	Took       time.Duration `json:"took_ns"`
	Records    int           `json:"records"`
	Watchlists int           `json:"watchlists"`
	RSS        int64         `json:"rss_bytes"`
	Peak       int64         `json:"peak_bytes"`
}

// StartResult is the start-ups from one source.
type StartResult struct {
	Runs       Dist  `json:"runs"`
	RSS        int64 `json:"rss_bytes"`
	Peak       int64 `json:"peak_bytes"`
	Records    int   `json:"records"`
	Watchlists int   `json:"watchlists"`
}

// OpResult is a stream replayed through one engine: wall time per operation
// (decode, decide, apply), and for the timed engine the time per phase.
type OpResult struct {
	Ops       int     `json:"ops"`
	Errors    int     `json:"errors"`
	Concerned int     `json:"concerned"` // operations an event of a running property
	Wall      Dist    `json:"wall"`
	PerSecond float64 `json:"per_second"`
	Decode    Dist    `json:"decode"`
	NStep     Dist    `json:"nstep"`
	Watchlist Dist    `json:"watchlist"`
	Detect    Dist    `json:"detect"`
}

// PropOps is the stream with one property alone.
type PropOps struct {
	Property string   `json:"property"`
	Ops      OpResult `json:"ops"`
}

// CatDataset is everything the catalogue measured on one cloud.
type CatDataset struct {
	Name            string             `json:"name"`
	Sizes           cloudgen.Sizes     `json:"sizes"`
	SnapshotBytes   int64              `json:"snapshot_bytes"`
	CheckpointBytes int64              `json:"checkpoint_bytes"`
	JSON            StartResult        `json:"start_json"`
	Checkpoint      StartResult        `json:"start_checkpoint"`
	All             OpResult           `json:"all"`
	NoBypass        OpResult           `json:"no_bypass"`
	Properties      []PropOps          `json:"properties"`
	Decision        Dist               `json:"decision"`
	DecisionAllocs  float64            `json:"decision_allocs"`
	Rare            []runtime.RareStat `json:"rare"`
}

// Catalogue is one catalogue run.
type Catalogue struct {
	Machine  Machine         `json:"machine"`
	Config   CatalogueConfig `json:"-"`
	Started  time.Time       `json:"started"`
	Took     time.Duration   `json:"took_ns"`
	Datasets []CatDataset    `json:"datasets"`
	Decode   []DecodeResult  `json:"decode"`
}

// RunCatalogue measures every dataset of the configuration in turn.
func RunCatalogue(ctx context.Context, cfg CatalogueConfig) (*Catalogue, error) {
	if cfg.Startup == nil {
		return nil, fmt.Errorf("catalogue: no start-up runner")
	}
	dir, done, err := workDir(cfg.WorkDir, "pvsc-catalogue-")
	if err != nil {
		return nil, err
	}
	defer done()
	out := &Catalogue{Machine: ThisMachine(), Config: cfg, Started: time.Now()}
	for _, ds := range cfg.Datasets {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := catalogueDataset(cfg, dir, ds)
		if err != nil {
			return nil, fmt.Errorf("dataset %s (%d ports): %w", ds.Name, ds.Sizes.Ports, err)
		}
		out.Datasets = append(out.Datasets, d)
	}
	dec, err := measureDecode(cfg.Captured)
	if err != nil {
		return nil, fmt.Errorf("decode + match: %w", err)
	}
	out.Decode = dec
	out.Took = time.Since(out.Started)
	return out, nil
}

func (cfg *CatalogueConfig) logf(format string, args ...any) {
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, format+"\n", args...)
	}
}

func catalogueDataset(cfg CatalogueConfig, dir string, ds Dataset) (CatDataset, error) {
	d := CatDataset{Name: ds.Name, Sizes: ds.Sizes}
	c := cloudgen.NewOpenStack(cfg.Seed, ds.Sizes)
	snap := filepath.Join(dir, "catalogue-"+ds.Name+".json")
	ckpt := filepath.Join(dir, "catalogue-"+ds.Name+".ckpt")
	if err := writeSnapshot(c, snap); err != nil {
		return d, err
	}
	if !cfg.Keep {
		defer os.Remove(snap)
		defer os.Remove(ckpt)
	}
	d.SnapshotBytes = fileSize(snap)
	lines, err := catalogueStream(c, cfg.Seed, cfg.StreamOps)
	if err != nil {
		return d, err
	}
	crit, err := decisionOps(c, cfg.Seed, max(cfg.Decisions/100, 4))
	if err != nil {
		return d, err
	}
	if d.Decision, d.DecisionAllocs, err = decideAll(snap, ckpt, crit, cfg.Decisions); err != nil {
		return d, err
	}
	d.CheckpointBytes = fileSize(ckpt)
	cfg.logf("%s: snapshot %s, checkpoint %s", ds.Name, Bytes(d.SnapshotBytes), Bytes(d.CheckpointBytes))
	if d.JSON, err = starts(cfg, snap); err != nil {
		return d, fmt.Errorf("start-up from JSON: %w", err)
	}
	if d.Checkpoint, err = starts(cfg, ckpt); err != nil {
		return d, fmt.Errorf("start-up from the checkpoint: %w", err)
	}
	cfg.logf("%s: start-up %v (JSON), %v (checkpoint)", ds.Name, d.JSON.Runs.Median, d.Checkpoint.Runs.Median)
	return d, streams(cfg, &d, ckpt, lines)
}

func fileSize(path string) int64 {
	if st, err := os.Stat(path); err == nil {
		return st.Size()
	}
	return 0
}

// starts times the configured number of start-ups from one file.
func starts(cfg CatalogueConfig, path string) (StartResult, error) {
	var out StartResult
	var took []time.Duration
	for range max(cfg.Starts, 1) {
		r, err := cfg.Startup(path)
		if err != nil {
			return out, err
		}
		took = append(took, r.Took)
		out.RSS, out.Peak = max(out.RSS, r.RSS), max(out.Peak, r.Peak)
		out.Records, out.Watchlists = r.Records, r.Watchlists
	}
	out.Runs = Summarise(took)
	return out, nil
}
