// Package difftest runs seeded random clouds and operation streams through
// the proactive engine (runtime) and the SAT intercept-and-check engine
// (internal/satengine) side by side: for every operation and property the
// critical verdicts must be the same, and both engines must apply the same
// operations. A disagreement is reported with its seed, the operation's
// index, both decisions, and a reproduction shrunk by delta debugging
// (snapshot and operations files `pvsc replay` runs).
//
// Clouds are runtime/workload's snapshots, small (a few tenants and ports, a
// few organisations and data objects) so that operations meet each other.
// The streams are drawn here, from the models themselves: workload's streams
// target two properties with fixed moves, while a differential test needs
// every event of both specs, ids of live, deleted and never-created records,
// parameters left out, re-deliveries, and a controlled share of critical
// operations that violate their property (chosen by asking the SAT engine).
package difftest

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// Spec is a compiled spec and the workload kind that generates its clouds.
type Spec struct {
	// Kind is "openstack" or "music" (runtime/workload's generators).
	Kind string
	// Dir is the spec directory, for the reproduction's replay command.
	Dir string
	Res *compiler.Result
}

// Config says what to run.
type Config struct {
	Seed uint64
	// Ops is how many operations to run, over all episodes.
	Ops int
	// EpisodeOps is the length of one episode: a fresh cloud and a stream over it (default 400).
	EpisodeOps int
	// Critical is the share of operations drawn to be critical for some property (default 0.4);
	// Violating the share of those that violate it (default 0.3).
	Critical, Violating float64
	// Redeliver is the share of creates that re-deliver a record that exists
	// (default 0: every create is of a new record, as the proofs' default bounds assume).
	Redeliver float64
	// CheckEvery evaluates every invariant in full after this many operations
	// (default 16): a non-critical operation must not break one.
	CheckEvery int
	// Workers run episodes in parallel (default GOMAXPROCS).
	Workers int
	// ReproDir, when set, receives a shrunk reproduction of each mismatch.
	ReproDir string
	// MaxMismatches stops the run after this many (default 3).
	MaxMismatches int
	// Progress, when set, receives a line per finished tenth of the run.
	Progress io.Writer
}

func (c *Config) defaults() {
	if c.EpisodeOps <= 0 {
		c.EpisodeOps = 400
	}
	if c.Critical == 0 {
		c.Critical = 0.4
	}
	if c.Violating == 0 {
		c.Violating = 0.3
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxMismatches <= 0 {
		c.MaxMismatches = 3
	}
	if c.CheckEvery <= 0 {
		c.CheckEvery = 16
	}
}

// Report is what a run found.
type Report struct {
	Seed       uint64
	Operations int // operations run (input lines)
	Episodes   int
	Applied    int // applied by both
	Blocked    int
	Malformed  int
	Critical   int // critical for some property
	Violating  int // critical and denied by the SAT engine
	// Verdicts counts the compared checks: property → verdict → count.
	Verdicts map[string]map[string]int
	// Excused counts differences SEMANTICS §7 allows, by reason.
	Excused map[string]int
	// Skipped counts episodes whose generated cloud broke an invariant.
	Skipped    int
	Mismatches []*Mismatch
	Time       time.Duration
}

// Mismatch is a disagreement between the engines.
type Mismatch struct {
	Seed    uint64 // the run's seed
	Episode int
	// EpisodeSeed regenerates the episode's cloud and stream.
	EpisodeSeed uint64
	Spec        string
	// Index is the operation's index in the episode (0-based); Global in the whole run.
	Index, Global int
	Op            string // the operation, as a neutral JSON line
	Checks        []Check
	Problem       string // what else differed (applied, errors)
	// Repro is the shrunk reproduction; Dir where it was written.
	Repro *Repro
	Dir   string
	// snap and lines are the episode's snapshot and its operations up to the mismatch.
	snap   []byte
	lines  []Line
	broken bool
}

func (m *Mismatch) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "MISMATCH seed %d, episode %d (episode seed %d, %s), operation %d (%d in the run): %s\n", m.Seed, m.Episode, m.EpisodeSeed, m.Spec, m.Index, m.Global, m.Op)
	if m.Problem != "" {
		fmt.Fprintf(&b, "  %s\n", m.Problem)
	}
	for _, c := range m.Checks {
		if c.Differs() {
			fmt.Fprintf(&b, "  %s: proactive %s (%s); SAT %s (%s)\n", c.Property, c.Proactive, c.ProactiveReason, c.SAT, c.SATReason)
		}
	}
	if m.Repro != nil {
		fmt.Fprintf(&b, "  shrunk to %d snapshot records and %d operations", m.Repro.Records(), len(m.Repro.Ops))
		if m.Dir != "" {
			fmt.Fprintf(&b, " in %s:\n    %s\n    %s", m.Dir, m.Repro.Command(m.Dir, false), m.Repro.Command(m.Dir, true))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Run runs cfg.Ops operations over the specs, episodes alternating between them.
func Run(specs []*Spec, cfg Config) (*Report, error) {
	cfg.defaults()
	start := time.Now()
	rep := &Report{Seed: cfg.Seed, Verdicts: map[string]map[string]int{}, Excused: map[string]int{}}
	episodes := (cfg.Ops + cfg.EpisodeOps - 1) / cfg.EpisodeOps
	type job struct{ i, ops int }
	jobs := make(chan job)
	results := make([]*episodeResult, episodes)
	var mu sync.Mutex
	var stop bool
	var firstErr error
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pairs := map[*Spec]*pair{}
			for j := range jobs {
				mu.Lock()
				halt := stop
				mu.Unlock()
				if halt {
					continue
				}
				spec := specs[j.i%len(specs)]
				p, err := pairs[spec], error(nil)
				if p == nil {
					p, err = newPair(spec.Res)
					pairs[spec] = p
				}
				var res *episodeResult
				if err == nil {
					res, err = runEpisode(p, spec, cfg, j.i, j.ops)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("episode %d: %w", j.i, err)
				}
				results[j.i] = res
				n := 0
				for _, r := range results {
					if r != nil {
						n += len(r.mismatches)
					}
				}
				stop = stop || n >= cfg.MaxMismatches || firstErr != nil
				mu.Unlock()
			}
		}()
	}
	tenth := max(1, episodes/10)
	for i := range episodes {
		jobs <- job{i: i, ops: min(cfg.EpisodeOps, cfg.Ops-i*cfg.EpisodeOps)}
		if cfg.Progress != nil && (i+1)%tenth == 0 {
			fmt.Fprintf(cfg.Progress, "difftest: %d of %d episodes started (%v)\n", i+1, episodes, time.Since(start).Round(time.Second))
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return rep, firstErr
	}
	global := 0
	for i, r := range results {
		if r == nil {
			continue
		}
		rep.Episodes++
		rep.add(r)
		for _, m := range r.mismatches {
			m.Seed, m.Episode, m.Global = cfg.Seed, i, global+m.Index
			rep.Mismatches = append(rep.Mismatches, m)
		}
		global += r.ops
	}
	if len(rep.Mismatches) > cfg.MaxMismatches {
		rep.Mismatches = rep.Mismatches[:cfg.MaxMismatches]
	}
	for _, m := range rep.Mismatches {
		spec := specs[m.Episode%len(specs)]
		if err := shrinkMismatch(spec, cfg, m); err != nil {
			return rep, fmt.Errorf("shrinking the mismatch of episode %d: %w", m.Episode, err)
		}
	}
	rep.Time = time.Since(start)
	return rep, nil
}

func (r *Report) add(e *episodeResult) {
	r.Operations += e.ops
	r.Applied += e.applied
	r.Blocked += e.blocked
	r.Malformed += e.malformed
	r.Critical += e.critical
	r.Violating += e.violating
	if e.skipped {
		r.Skipped++
	}
	for p, vs := range e.verdicts {
		if r.Verdicts[p] == nil {
			r.Verdicts[p] = map[string]int{}
		}
		for v, n := range vs {
			r.Verdicts[p][v] += n
		}
	}
	for k, n := range e.excused {
		r.Excused[k] += n
	}
}

// Write prints the counts and every mismatch.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "difftest seed %d: %d operations in %d episodes (%d skipped) in %v\n", r.Seed, r.Operations, r.Episodes, r.Skipped, r.Time.Round(time.Millisecond))
	fmt.Fprintf(w, "  applied %d, blocked %d, malformed %d; critical %d, of which violating %d\n", r.Applied, r.Blocked, r.Malformed, r.Critical, r.Violating)
	props := make([]string, 0, len(r.Verdicts))
	for p := range r.Verdicts {
		props = append(props, p)
	}
	sort.Strings(props)
	for _, p := range props {
		var parts []string
		for _, v := range []string{"allow", "deny", "alert", "log", "pass"} {
			if n := r.Verdicts[p][v]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", v, n))
			}
		}
		fmt.Fprintf(w, "  %-24s %s\n", p, strings.Join(parts, ", "))
	}
	keys := make([]string, 0, len(r.Excused))
	for k := range r.Excused {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  excused (SEMANTICS §7): %d: %s\n", r.Excused[k], k)
	}
	if len(r.Mismatches) == 0 {
		fmt.Fprintf(w, "  mismatches: 0\n")
		return
	}
	fmt.Fprintf(w, "  mismatches: %d\n", len(r.Mismatches))
	for _, m := range r.Mismatches {
		fmt.Fprint(w, m.String())
	}
}

type episodeResult struct {
	ops, applied, blocked, malformed, critical, violating int
	skipped                                               bool
	verdicts                                              map[string]map[string]int
	excused                                               map[string]int
	mismatches                                            []*Mismatch
}

// episodeSeed derives an episode's seed from the run's.
func episodeSeed(seed uint64, i int) uint64 {
	r := rand.New(rand.NewPCG(seed, uint64(i)+0x632be59bd9b4e019))
	return r.Uint64()
}

// cloud is an episode's snapshot: a small workload cloud that satisfies every invariant.
func cloud(p *pair, spec *Spec, seed uint64) ([]byte, bool, error) {
	r := rand.New(rand.NewPCG(seed, 1))
	for try := range 4 {
		cfg := cloudgen.WorkloadConfig{Seed: seed + uint64(try), Tenants: 2 + r.IntN(5), PortsPerTenant: 2 + r.IntN(4)}
		var w *cloudgen.Workload
		switch spec.Kind {
		case "openstack":
			w = cloudgen.OpenStackWorkload(cfg)
		case "music":
			w = cloudgen.MusicWorkload(cfg)
		default:
			return nil, false, fmt.Errorf("no workload for %q", spec.Kind)
		}
		snap, err := json.Marshal(w.Snapshot)
		if err != nil {
			return nil, false, err
		}
		if err := p.load(snap); err != nil {
			return nil, false, err
		}
		bad, err := p.violations()
		if err != nil {
			return nil, false, err
		}
		if bad == "" {
			return snap, true, nil
		}
	}
	return nil, false, nil
}

func runEpisode(p *pair, spec *Spec, cfg Config, i, n int) (*episodeResult, error) {
	seed := episodeSeed(cfg.Seed, i)
	res := &episodeResult{verdicts: map[string]map[string]int{}, excused: map[string]int{}}
	snap, ok, err := cloud(p, spec, seed)
	if err != nil || !ok {
		res.skipped = true
		return res, err
	}
	s := newStream(p, seed, cfg)
	var lines []Line
	for k := range n {
		line, err := s.next()
		if err != nil {
			return res, err
		}
		lines = append(lines, line)
		o, err := s.run(line)
		if err != nil {
			return res, err
		}
		res.ops++
		res.count(o)
		if o.bad() {
			res.mismatches = append(res.mismatches, &Mismatch{EpisodeSeed: seed, Spec: spec.Kind, Index: k, Op: line.String(), Checks: o.Checks, Problem: o.Problem, snap: snap, lines: lines})
			break // the contexts may differ from here on
		}
		if (k+1)%cfg.CheckEvery == 0 {
			bad, err := p.violations()
			if err != nil {
				return res, err
			}
			if bad != "" {
				res.mismatches = append(res.mismatches, broken(seed, spec, k, snap, lines, bad))
				break
			}
		}
	}
	if len(res.mismatches) == 0 {
		if err := p.sameContext(); err != nil {
			return res, err
		}
		bad, err := p.violations()
		if err != nil {
			return res, err
		}
		if bad != "" {
			res.mismatches = append(res.mismatches, broken(seed, spec, res.ops-1, snap, lines, bad))
		}
	}
	return res, nil
}

// broken is a mismatch of another kind: after an operation the proactive
// engine applied, an invariant is false (shrinking finds the operation).
func broken(seed uint64, spec *Spec, k int, snap []byte, lines []Line, bad string) *Mismatch {
	return &Mismatch{EpisodeSeed: seed, Spec: spec.Kind, Index: k, Op: lines[k].String(), Problem: "an invariant is false after the operations (a non-critical operation broke it): " + bad, snap: snap, lines: lines[:k+1], broken: true}
}

func (r *episodeResult) count(o outcome) {
	if o.AppliedP && o.AppliedS {
		r.applied++
	}
	if o.Blocked {
		r.blocked++
	}
	if o.Malformed {
		r.malformed++
	}
	if o.Critical {
		r.critical++
	}
	if o.Violating {
		r.violating++
	}
	for _, c := range o.Checks {
		if c.Excused != "" && c.Proactive != c.SAT {
			r.excused[c.Excused]++
			continue
		}
		if r.verdicts[c.Property] == nil {
			r.verdicts[c.Property] = map[string]int{}
		}
		r.verdicts[c.Property][c.Proactive]++
	}
}

// Line is one operation in the neutral form, as `pvsc replay` reads it.
type Line struct {
	Op     string         `json:"op"`
	Params map[string]any `json:"params"`
}

func (l Line) String() string {
	b, _ := json.Marshal(l)
	return string(b)
}

// stream draws an episode's operations and runs them through a pair.
type stream struct {
	p    *pair
	r    *rand.Rand
	cfg  Config
	gens []*gen
	crit [][]int32 // per model: its critical events
	// per model: its properties with their critical events, so that a critical draw aims at
	// one property (else the properties whose violations are easy crowd out the others)
	props [][]target
}

type target struct {
	name   string
	events []int32
}

func newStream(p *pair, seed uint64, cfg Config) *stream {
	s := &stream{p: p, r: rand.New(rand.NewPCG(seed, 2)), cfg: cfg}
	for mi := range p.spec.Models {
		g := newGen(p.spec, int32(mi), seed+uint64(mi))
		p.rt.ReadState(int32(mi), g.learn)
		s.gens = append(s.gens, g)
		s.crit = append(s.crit, criticalEvents(p.spec, int32(mi)))
		s.props = append(s.props, targets(p.spec, int32(mi)))
	}
	return s
}

// next draws an operation of the class the shares ask for: critical and
// violating, critical and compliant, or not critical; candidates are drawn
// until the SAT engine (asked without applying) puts one in that class.
func (s *stream) next() (Line, error) {
	wantCrit := s.r.Float64() < s.cfg.Critical
	wantViol := wantCrit && s.r.Float64() < s.cfg.Violating
	mi := s.r.IntN(len(s.gens))
	g := s.gens[mi]
	alive := func(e int32, id string) bool { return s.exists(int32(mi), e, id) }
	var line Line
	aim := ""
	if wantCrit && len(s.props[mi]) > 0 {
		t := s.props[mi][s.r.IntN(len(s.props[mi]))]
		aim = t.name
	}
	// A violation of a property needs the right records: aimed draws get more tries.
	for try := range 48 {
		ev := int32(g.r.IntN(len(g.m.Events)))
		if wantCrit && len(s.crit[mi]) > 0 && try%4 != 3 {
			ev = s.crit[mi][g.r.IntN(len(s.crit[mi]))]
			if t := s.target(mi, aim); t != nil && try < 40 {
				ev = t.events[g.r.IntN(len(t.events))]
			}
		}
		line = Line{Op: g.m.Events[ev].Name, Params: nil}
		if s.cfg.Redeliver > 0 && g.m.Events[ev].Kind == tables.Creates && s.r.Float64() < s.cfg.Redeliver {
			s.p.rt.ReadState(int32(mi), func(st *state.Store) { line.Params, _ = g.redelivery(ev, alive, st) })
		}
		if line.Params == nil && wantViol && try%2 == 1 {
			s.p.rt.ReadState(int32(mi), func(st *state.Store) { line.Params, _ = g.sibling(ev, alive, st) })
		}
		if line.Params == nil {
			line.Params = g.op(ev, alive)
		}
		_, sops, err := s.p.bind(line.Op, line.Params)
		if err != nil {
			return line, err
		}
		crit, viol := s.p.classify(sops, "")
		if try < 40 && aim != "" {
			crit, viol = s.p.classify(sops, aim)
		}
		if crit == wantCrit && viol == wantViol {
			break
		}
	}
	return line, nil
}

func (s *stream) exists(model, e int32, id string) bool {
	ok := false
	s.p.rt.ReadState(model, func(st *state.Store) { ok = st.ExistsString(e, id) })
	return ok
}

// run binds and processes one line in both engines.
func (s *stream) run(l Line) (outcome, error) {
	rops, sops, err := s.p.bind(l.Op, l.Params)
	if err != nil {
		return outcome{}, err
	}
	o := s.p.step(rops, sops)
	if o.AppliedP {
		for _, g := range s.gens {
			if ev := g.m.EventIndex(l.Op); ev >= 0 {
				g.applied(ev, l.Params)
			}
		}
	}
	return o, nil
}

// target is the property of model mi named name, nil for "".
func (s *stream) target(mi int, name string) *target {
	for i := range s.props[mi] {
		if s.props[mi][i].name == name {
			return &s.props[mi][i]
		}
	}
	return nil
}

// targets lists a model's properties with their critical events.
func targets(spec *tables.Spec, model int32) []target {
	var out []target
	for _, p := range spec.Properties {
		if p.Model != model || len(p.Criticals) == 0 {
			continue
		}
		t := target{name: p.Name}
		for _, c := range p.Criticals {
			t.events = append(t.events, c.Event)
		}
		out = append(out, t)
	}
	return out
}
