package solver

import (
	"fmt"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/world"
)

// inductive tries to prove the plan for runs of any length. The invariant
// is: a scope with a watchlist is at or below N-th, and its watchlist holds
// exactly the elements a rebuild from the state would give (looser versions
// let some elements linger with any value, see loose). A scope without a
// watchlist is always safe: a critical operation there rebuilds it from the
// state (the slow path). From any state with such a plan, no operation is bad
// and every operation the plan lets through keeps the invariant; runs start
// in such a state, so by induction no run is bad. When either check fails
// the caller falls back to bounded model checking, which decides whether the
// failure is reachable.
func (pv *prover) inductive() ([numKinds]bool, *run, error) {
	var proven [numKinds]bool
	var last *run
	pv.lemma = nil
	for i := range looseness {
		r := newRun(pv.b)
		pv.loose = looseness[i]
		kept, err := pv.inductiveWith(r, &proven)
		last = r
		if kept && pv.lemma == nil {
			pv.lemma = &looseness[i]
		}
		if err != nil || proven == [numKinds]bool{true, true, true} {
			return proven, last, err
		}
	}
	return proven, last, nil
}

// loose says which watchlist elements the induction invariant lets linger
// with any value. The tighter the invariant, the likelier no step from it is
// bad; the looser, the likelier it is kept by every step. Each is sound: a
// lingering element that could change a verdict shows as a bad step.
type loose struct {
	// stale: "" and the ids of records that are not (or no longer) in the
	// scope: a deleted record's id stays where no rule removes it, and with
	// fresh ids no operation on it changes anything.
	stale bool
	// dead: everything in scopes whose own record does not exist (deleted, or
	// a foreign id): `for` rules over existing ids do not reach them.
	dead bool
	// super: a watchlist may hold more than a rebuild would (an allow rule
	// that checks the state besides the lookup does not need it exact).
	super bool
	// live: only a scope whose record exists has a watchlist (a stronger
	// invariant, which holds when no path keeps one for a scope without a record).
	live bool
}

var looseness = []loose{{}, {live: true}, {stale: true}, {stale: true, live: true}, {stale: true, super: true}, {stale: true, super: true, live: true},
	{stale: true, dead: true}, {stale: true, dead: true, super: true}}

// inductiveWith checks the invariant pv.loose describes: when every step
// the plan lets through keeps it (kept), the kinds no step from it shows are proven.
func (pv *prover) inductiveWith(r *run, proven *[numKinds]bool) (bool, error) {
	st := pv.w.Arbitrary()
	r.assert(st.InitConstraints()...)
	pl, err := pv.loosePlan(st)
	if err != nil {
		return false, err
	}
	inv, err := pv.inv.EvalBool(pv.env(st, nil))
	if err != nil {
		return false, err
	}
	s, err := pv.encodeStep(st, pl, pv.configs(st), inv)
	if err != nil {
		return false, err
	}
	r.assert(s.cons...)
	kept, err := pv.consistent(s)
	if err != nil {
		return false, err
	}
	if pv.solveSplit(r, s, pv.b.And(s.blocked.Not(), kept.Not())) {
		if debug {
			pv.debugCTI(r, s)
		}
		return false, nil
	}
	for k := range proven {
		if !proven[k] && !pv.solveSplit(r, s, s.bad[k]) {
			proven[k] = true
		} else if debug && !proven[k] {
			fmt.Printf("induction (loose %+v): a step from the invariant is bad (%s):\n%s", pv.loose, Kind(k), pv.decode(r, []*step{s}, Kind(k)))
		}
	}
	return true, nil
}

// debugCTI prints a step from the invariant that leaves it, and the scopes it breaks.
func (pv *prover) debugCTI(r *run, s *step) {
	defer func() { recover() }()
	fmt.Printf("induction (loose %+v): a step leaves the invariant:\n%s", pv.loose, pv.decode(r, []*step{s}, Mismatch))
	d := &decoder{pv: pv, vs: r.model()}
	for i, sc := range pv.scopes {
		want, _ := pv.rebuild(s.post, pv.b.Const(sc))
		before, _ := pv.rebuild(s.pre, pv.b.Const(sc))
		fmt.Printf("  scope %s: has %v -> %v, zone after %v:", pv.b.Dom.Str(sc), d.lit(s.pl.has[i]), d.lit(s.next.has[i]), d.lit(pv.zone(s.cfgPost[i])))
		for j, k := range pv.elems {
			if d.lit(s.pl.wl[i][j]) || d.lit(s.next.wl[i][j]) || d.lit(want[j]) || d.lit(before[j]) {
				fmt.Printf(" %s[wl %v/%v rebuild %v/%v belongs %v/%v]", d.elem(k), d.lit(s.pl.wl[i][j]), d.lit(s.next.wl[i][j]),
					d.lit(before[j]), d.lit(want[j]), d.lit(pv.belongs(s.pre, sc, j)), d.lit(pv.belongs(s.post, sc, j)))
			}
		}
		fmt.Println()
	}
}

// loosePlan is any plan satisfying the invariant on st.
func (pv *prover) loosePlan(st *world.State) (plan, error) {
	b := pv.b
	pl := plan{has: make([]sym.Lit, len(pv.scopes)), wl: make([][]sym.Lit, len(pv.scopes)), kn: make([]sym.Lit, len(pv.scopes))}
	for i, sc := range pv.scopes {
		cfg := pv.config(st, b.Const(sc))
		met := pv.met(st, sc)
		pl.kn[i] = b.And(met, b.Lit())
		pl.has[i] = b.All([]sym.Lit{pv.zone(cfg), met, b.Lit()})
		if pv.loose.live {
			pl.has[i] = b.And(pl.has[i], pv.scopeExists(st, sc))
		}
		members, err := pv.rebuild(st, b.Const(sc))
		if err != nil {
			return pl, err
		}
		pl.wl[i] = make([]sym.Lit, len(pv.elems))
		for j := range pv.elems {
			exact := members[j]
			if pv.loose.super {
				exact = b.Or(exact, b.Lit())
			}
			pl.wl[i][j] = b.And(pl.has[i], b.Choice(pv.belongs(st, sc, j), exact, b.Lit()))
		}
	}
	return pl, nil
}

// met is "the runtime may have met scope sc": with fresh ids, nothing names a scope whose record was never created.
func (pv *prover) met(st *world.State, sc int64) sym.Lit {
	if j, ok := pv.w.SlotOf(pv.p.Scope, sc); ok && pv.w.Fresh {
		return st.Ever[pv.p.Scope][j]
	}
	return pv.b.T
}

// consistent is the invariant after the step.
func (pv *prover) consistent(s *step) (sym.Lit, error) {
	b := pv.b
	// The step keeps the state well formed (it is a property of every reachable state, asserted on the one before).
	eq := s.post.InitConstraints()
	for i, sc := range pv.scopes {
		zone := pv.zone(s.cfgPost[i])
		met := pv.met(s.post, sc)
		eq = append(eq, b.Implies(s.next.has[i], b.And(zone, met)), b.Implies(s.next.kn[i], met))
		if pv.loose.live {
			eq = append(eq, b.Implies(s.next.has[i], pv.scopeExists(s.post, sc)))
		}
		members, err := pv.rebuild(s.post, b.Const(sc))
		if err != nil {
			return b.F, err
		}
		for j := range pv.elems {
			same := b.Iff(s.next.wl[i][j], members[j])
			if pv.loose.super {
				same = b.Implies(members[j], s.next.wl[i][j])
			}
			eq = append(eq, b.Implies(b.And(s.next.has[i], pv.belongs(s.post, sc, j)), same))
		}
	}
	return b.All(eq), nil
}

// belongs is "element j of scope sc's watchlist must be exactly as a rebuild says".
func (pv *prover) belongs(st *world.State, sc int64, j int) sym.Lit {
	b := pv.b
	out := b.T
	if pv.loose.dead {
		out = pv.scopeExists(st, sc)
	}
	k := pv.elems[j]
	if !pv.loose.stale || k.snd >= 0 {
		return out
	}
	if k.fst == 0 {
		return b.F
	}
	listed := false
	for _, in := range pv.inits {
		if in.entity < 0 {
			listed = true
			continue
		}
		if i, ok := pv.w.SlotOf(in.entity, k.fst); ok {
			home := st.AncestorOrSelf(in.entity, i, pv.p.Scope)
			return b.And(out, b.And(st.Exists[in.entity][i], b.Is(home, sc)))
		}
	}
	if !listed {
		return b.F // no rebuild ever lists it
	}
	return out
}

// configs is every scope's configuration on a state.
func (pv *prover) configs(st *world.State) [][]sym.Lit {
	out := make([][]sym.Lit, len(pv.scopes))
	for i, sc := range pv.scopes {
		out[i] = pv.config(st, pv.b.Const(sc))
	}
	return out
}

// solveSplit asks for bad one event at a time: several small problems are
// often much easier for the solver than their disjunction.
func (pv *prover) solveSplit(r *run, s *step, bad sym.Lit) bool {
	for _, ev := range pv.w.Events {
		if sel := s.op.Sel[ev]; sel != pv.b.F && r.solve(pv.b.And(bad, sel)) {
			return true
		}
	}
	return false
}
