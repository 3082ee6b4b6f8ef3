package solver

import (
	"fmt"
	"os"
	"time"

	"github.com/go-air/gini"
	"github.com/go-air/gini/z"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/world"
	"pvsc.dev/pvsc/tables"
)

// Kind is how a counterexample shows the proactive plan wrong.
type Kind uint8

// Counterexample kinds, in the order the search looks for them.
const (
	// Mismatch: a critical operation's proactive verdict differs from the invariant on the state it would produce.
	Mismatch Kind = iota
	// Broken: a non-critical operation breaks the invariant.
	Broken
	// NotReady: a critical operation that would break the invariant arrives in
	// a scope whose N-cp is above N-th (or unreachable), so it has no
	// watchlist: the verdict needs the slow path exactly when it matters. The
	// threshold is too low, or the N abstraction is not sound for the run.
	NotReady
	numKinds
)

func (k Kind) String() string {
	return [...]string{"verdict differs from the invariant", "a non-critical operation breaks the invariant", "a violating critical operation arrives in a scope above N-th, whose watchlist is not ready"}[k]
}

// Outcome is how one kind of counterexample was settled.
type Outcome uint8

// Outcomes.
const (
	// Refuted: a counterexample was found.
	Refuted Outcome = iota
	// Bounded: no run up to Bounds.Steps operations has one.
	Bounded
	// Unbounded: no run of any length has one (1-induction on the watchlist invariant).
	Unbounded
)

func (o Outcome) String() string {
	return [...]string{"counterexample", "proven up to the bound", "proven for runs of any length"}[o]
}

// Result is the outcome of a verdict proof for one property.
type Result struct {
	Property string
	// Bounds are the bounds searched, defaults filled in.
	Bounds Bounds
	// Proven: no run within Bounds shows the plan wrong.
	Proven bool
	// Outcomes says, per Kind, how it was settled.
	Outcomes [numKinds]Outcome
	// Counterexamples holds, per Kind, the shortest run of that kind (nil when there is none).
	Counterexamples [numKinds]*Counterexample
	// Vars and Clauses measure the final SAT problem; Time the whole search.
	Vars, Clauses int
	Time          time.Duration
}

// VerifyVerdicts searches the bounded scope for a run of operations after
// which the proactive plan and the invariant disagree (SEMANTICS §7). Runs
// start from any snapshot satisfying the invariant (or the empty cloud) and
// grow one operation at a time, so a counterexample found is a shortest one.
func VerifyVerdicts(spec *tables.Spec, p *tables.Property, bounds Bounds) (Result, error) {
	start := time.Now()
	pv, bnd, err := setup(spec, p, bounds)
	if err != nil {
		return Result{Property: p.Name}, err
	}
	res := Result{Property: p.Name, Bounds: bnd}
	unbounded, ind, err := pv.inductive()

	res.Vars, res.Clauses = int(ind.g.MaxVar()), ind.clauses
	if err != nil {
		return res, err
	}
	r := newRun(pv.b)
	res.Counterexamples, err = pv.search(r, bnd, unbounded)
	res.Vars, res.Clauses = max(res.Vars, int(r.g.MaxVar())), max(res.Clauses, r.clauses)
	res.Time = time.Since(start)
	res.Proven = err == nil
	for k, c := range res.Counterexamples {
		switch {
		case c != nil:
			res.Outcomes[k], res.Proven = Refuted, false
		case unbounded[k]:
			res.Outcomes[k] = Unbounded
		default:
			res.Outcomes[k] = Bounded
		}
	}
	return res, err
}

// Bounded says whether a proven result holds only up to the bound for some claim (no
// counterexample within Bounds.Steps, no induction proof for runs of any length).
func (r Result) Bounded() bool {
	if !r.Proven {
		return false
	}
	for _, o := range r.Outcomes {
		if o == Bounded {
			return true
		}
	}
	return false
}

// First is the counterexample of the first kind found, nil when proven.
func (r Result) First() *Counterexample {
	for _, c := range r.Counterexamples {
		if c != nil {
			return c
		}
	}
	return nil
}

func setup(spec *tables.Spec, p *tables.Property, bounds Bounds) (*prover, Bounds, error) {
	pr, err := compileProperty(spec, p)
	if err != nil {
		return nil, bounds, err
	}
	bnd, counts, err := bounds.resolve(pr.m, p, pr.mentioned, pr.quantified)
	if err != nil {
		return nil, bnd, err
	}
	b := sym.New(sym.NewDom())
	w := world.New(b, pr.m, world.Config{Count: counts, Events: inPlay(pr.m, counts), Strings: pr.comp.Strings, Ints: pr.comp.Ints, Fresh: !bnd.ReuseIDs, Redeliver: bnd.Redeliver,
		NeedAttr: pr.needAttr, NeedParam: pr.needParam, Sorts: pr.sorts, Critical: func(ev int32) bool { return p.EventKinds[ev] == tables.CE }})
	w.Where = pr.where
	return newProver(pr, w), bnd, nil
}

// search unrolls one step at a time; at each length it asks, for every kind
// neither proven nor found yet, for a run whose last step is bad that way.
func (pv *prover) search(r *run, bnd Bounds, proven [numKinds]bool) ([numKinds]*Counterexample, error) {
	var found [numKinds]*Counterexample
	if proven == [numKinds]bool{true, true, true} {
		return found, nil
	}
	st, pl, cfg, inv, err := pv.start(r, bnd)
	if err != nil {
		return found, err
	}
	var steps []*step
	for k := 0; k < bnd.Steps; k++ {
		s, err := pv.encodeStep(st, pl, cfg, inv)
		if err != nil {
			return found, err
		}
		steps = append(steps, s)
		r.assert(s.cons...)
		if pv.lookFor(r, steps, proven, &found) {
			break
		}
		// A blocked operation changes nothing, so a shortest run blocks none before its last step.
		r.assert(s.blocked.Not())
		if err := pv.assertLemma(r, s); err != nil {
			return found, err
		}
		st, pl, cfg, inv = s.post, s.next, s.cfgPost, s.invPost
	}
	return found, nil
}

// lookFor tries the open kinds at the last step; it reports whether none is left open.
func (pv *prover) lookFor(r *run, steps []*step, proven [numKinds]bool, found *[numKinds]*Counterexample) bool {
	s := steps[len(steps)-1]
	var open []sym.Lit
	for k := range found {
		if found[k] == nil && !proven[k] {
			open = append(open, s.bad[k])
		}
	}
	if len(open) == 0 {
		return true
	}
	if !pv.solveSplit(r, s, pv.b.Any(open)) {
		return false
	}
	left := false
	for k := Mismatch; k < numKinds; k++ {
		if found[k] == nil && !proven[k] {
			if pv.solveSplit(r, s, s.bad[k]) {
				pv.shrink(r, steps, s.bad[k])
				found[k] = pv.decode(r, steps, k)
			} else {
				left = true
			}
		}
	}
	return !left
}

// start is the state runs begin in: the empty cloud, or any snapshot satisfying the invariant with its watchlists built.
func (pv *prover) start(r *run, bnd Bounds) (*world.State, plan, [][]sym.Lit, sym.Lit, error) {
	st := pv.w.Empty()
	if !bnd.FromEmpty {
		st = pv.w.Arbitrary()
		st.ResolveAll() // a snapshot is loaded parents first: its records' ancestors are their parents'
		r.assert(st.InitConstraints()...)
	}
	inv, err := pv.inv.EvalBool(pv.env(st, nil))
	if err != nil {
		return nil, plan{}, nil, inv, err
	}
	if !bnd.FromEmpty {
		r.assert(inv)
	}
	pl, err := pv.initial(st)
	return st, pl, pv.configs(st), inv, err
}

// run is the incremental SAT problem: the circuit is written to gini as it grows.
type run struct {
	b       *sym.B
	g       *gini.Gini
	mark    []int8
	clauses int
	adder   counter
}

type counter struct {
	g *gini.Gini
	n *int
}

func (c counter) Add(m z.Lit) {
	if m == z.LitNull {
		*c.n++
	}
	c.g.Add(m)
}

func newRun(b *sym.B) *run {
	r := &run{b: b, g: gini.New()}
	r.adder = counter{g: r.g, n: &r.clauses}
	return r
}

func (r *run) cnf(roots ...sym.Lit) {
	r.mark, _ = r.b.CnfSince(r.adder, r.mark, roots...)
}

func (r *run) assert(ls ...sym.Lit) {
	r.cnf(ls...)
	for _, l := range ls {
		r.adder.Add(l)
		r.adder.Add(0)
	}
}

func (r *run) solve(assume sym.Lit) bool {
	t0 := time.Now()
	r.cnf(assume)
	r.g.Assume(assume)
	ok := r.g.Solve() == 1
	if debug {
		fmt.Printf("solve: vars=%d clauses=%d sat=%v %v\n", r.g.MaxVar(), r.clauses, ok, time.Since(t0))
	}
	return ok
}

var debug = os.Getenv("PVSC_SOLVER_DEBUG") != ""

// model evaluates the whole circuit under the solver's assignment to its inputs.
func (r *run) model() []bool {
	vs := make([]bool, r.b.Len())
	max := r.g.MaxVar()
	for i := 2; i < len(vs); i++ {
		if a, _ := r.b.Ins(z.Var(i).Pos()); a == z.LitNull && z.Var(i) <= max {
			vs[i] = r.g.Value(z.Var(i).Pos())
		}
	}
	r.b.Eval(vs)
	return vs
}

var _ = fmt.Sprint

// assertLemma states the inductive invariant on the state after a step:
// every reachable state satisfies it, and saying so spares the solver
// rediscovering it at each depth.
func (pv *prover) assertLemma(r *run, s *step) error {
	if pv.lemma == nil {
		return nil
	}
	pv.loose = *pv.lemma
	kept, err := pv.consistent(s)
	if err == nil {
		r.assert(kept)
	}
	return err
}
