package benchrun

import (
	"time"

	"pvsc.dev/pvsc/lab/cloudgen"
)

// Engines whose response time to one critical operation is measured (Table 2).
const (
	Proactive         = "proactive"           // runtime.Engine.Decide: one watchlist lookup
	ProactiveResponse = "proactive+intercept" // the same, with the operation decoded and matched first
	SATFull           = "sat"                 // intercept-and-check: collect every record the invariant ranges over, encode, solve
	SATIncremental    = "sat-incremental"     // satengine.Decide: only the instances the operation can change
	OPA               = "opa"                 // the Rego peer, evaluated per request
)

// EngineOrder is the order engines are reported in.
var EngineOrder = []string{Proactive, ProactiveResponse, SATFull, SATIncremental, OPA}

// Results is one run of the benchmark.
type Results struct {
	Machine  Machine         `json:"machine"`
	Config   ConfigSummary   `json:"config"`
	Started  time.Time       `json:"started"`
	Took     time.Duration   `json:"took_ns"`
	Datasets []DatasetResult `json:"datasets"`
	// ClockOverhead is the median of two back-to-back clock reads: every timed
	// decision includes it once.
	ClockOverhead time.Duration `json:"clock_overhead_ns"`
}

// ConfigSummary is what the report says of the configuration.
type ConfigSummary struct {
	Properties []string      `json:"properties"`
	Seed       uint64        `json:"seed"`
	Ops        int           `json:"ops"`
	Repeat     int           `json:"repeat"`
	Warmup     int           `json:"warmup"`
	StreamOps  int           `json:"stream_ops"`
	InitRuns   int           `json:"init_runs"`
	SATBudget  time.Duration `json:"sat_budget_ns"`
	SATFull    bool          `json:"sat_full"`
	OPA        string        `json:"opa"`
}

// DatasetResult is everything measured on one cloud.
type DatasetResult struct {
	Name          string           `json:"name"`
	Sizes         cloudgen.Sizes   `json:"sizes"`
	ProactiveOnly bool             `json:"proactive_only"`
	SnapshotBytes int64            `json:"snapshot_bytes"`
	Generate      time.Duration    `json:"generate_ns"`
	SATLoad       time.Duration    `json:"sat_load_ns,omitempty"`
	Properties    []PropertyResult `json:"properties"`
}

// PropertyResult is one property on one cloud.
type PropertyResult struct {
	Property   string          `json:"property"`
	Load       LoadResult      `json:"load"`
	Watchlists WatchlistResult `json:"watchlists"`
	Phases     PhaseResult     `json:"phases"`
	Response   []EngineResult  `json:"response"`
	Ops        []CriticalOp    `json:"ops"`
	Notes      []string        `json:"notes,omitempty"`
}

// LoadResult is the proactive engine's snapshot load.
type LoadResult struct {
	Time    time.Duration `json:"time_ns"`
	Records int           `json:"records"`
	// HeapBytes is the live heap the loaded engine holds (context and watchlists).
	HeapBytes int64 `json:"heap_bytes"`
}

// WatchlistResult is Fig. 10: the watchlists' initialisation time and memory.
type WatchlistResult struct {
	Scopes   int  `json:"scopes"`
	Elements int  `json:"elements"`
	Init     Dist `json:"init"`
	// MemBytes is the live heap the watchlists add (heap after initialisation minus heap without them).
	MemBytes int64 `json:"mem_bytes"`
}

// PhaseResult is Fig. 9: the time per operation of each phase over a replayed mixed stream.
type PhaseResult struct {
	Ops       int `json:"ops"`       // operations replayed
	Concerned int `json:"concerned"` // operations the property concerns
	Critical  int `json:"critical"`  // critical operations among them
	Errors    int `json:"errors"`    // operations refused as malformed
	// Interception (decode and match) over every operation; NStep and Watchlist
	// over the operations the property concerns; Detect over the critical ones.
	Interception Dist `json:"interception"`
	NStep        Dist `json:"nstep"`
	Watchlist    Dist `json:"watchlist"`
	Detect       Dist `json:"detect"`
}

// EngineResult is one engine's response time to the dataset's critical operations (Table 2).
type EngineResult struct {
	Engine  string  `json:"engine"`
	Timings Timings `json:"timings"`
	// Agree and Disagree count operations whose verdict is (is not) the expected one.
	Agree    int    `json:"agree"`
	Disagree int    `json:"disagree"`
	Skipped  string `json:"skipped,omitempty"` // why the engine was not measured
	// Load is the engine's own load of the snapshot, when it has one (OPA: read, key and prepare).
	Load      time.Duration `json:"load_ns,omitempty"`
	HeapBytes int64         `json:"heap_bytes,omitempty"`
}

// CriticalOp is one timed critical operation and each engine's verdict.
type CriticalOp struct {
	Op       string            `json:"op"`
	Expected string            `json:"expected"`
	Verdicts map[string]string `json:"verdicts"`
}

// Engine is the result of an engine, nil when it was not measured.
func (p *PropertyResult) Engine(name string) *EngineResult {
	for i := range p.Response {
		if p.Response[i].Engine == name {
			return &p.Response[i]
		}
	}
	return nil
}

// Ratio is how many times slower engine is than the proactive engine, by median decision time; 0 when unknown.
func (p *PropertyResult) Ratio(engine string) float64 {
	pro, other := p.Engine(Proactive), p.Engine(engine)
	if pro == nil || other == nil || other.Skipped != "" || pro.Timings.All.Median <= 0 || other.Timings.All.N == 0 {
		return 0
	}
	return float64(other.Timings.All.Median) / float64(pro.Timings.All.Median)
}

// Disagreements counts operations on which some engine's verdict was not the expected one.
func (r *Results) Disagreements() int {
	n := 0
	for _, d := range r.Datasets {
		for _, p := range d.Properties {
			for _, e := range p.Response {
				n += e.Disagree
			}
		}
	}
	return n
}
