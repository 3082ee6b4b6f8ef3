package solver

import (
	"fmt"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/world"
)

// inductive tries to prove the plan for runs of any length. The invariant is:
// a scope with a watchlist is at or below N-th; a known scope (one the
// runtime has counters for) at or below N-th has one; and a watchlist holds
// exactly its rebuild's elements among the records in the scope (elements
// whose record left the scope, say because a parent was deleted, may linger
// with any value). From any state with such a plan, no operation is bad and
// every operation the plan lets through keeps the invariant; runs start in
// such a state, so by induction no run is bad. When either check fails the
// caller falls back to bounded model checking, which decides whether the
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
// bad; the looser, the likelier it is kept by every step. Each is sound.
type loose struct {
	// deleted: ids of records that were deleted (a record that had moved out of a scope and was then deleted is not removed there).
	deleted bool
	// dead: everything in scopes whose own record was deleted, or foreign (a `for` rule over existing ids no longer reaches them; operations on them change nothing).
	dead bool
}

var looseness = []loose{{}, {deleted: true}, {deleted: true, dead: true}}

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
	if r.solve(pv.b.And(s.blocked.Not(), kept.Not())) {
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

func (pv *prover) debugCTI(r *run, s *step) {
	want, _ := pv.initial(s.post)
	defer func() { recover() }()
	cx := pv.decode(r, []*step{s}, Mismatch)
	d := &decoder{pv: pv, vs: r.model()}
	fmt.Print(cx)
	for i, sc := range pv.scopes {
		fmt.Printf("scope %s: has %v want %v:", pv.b.Dom.Str(sc), d.lit(s.next.has[i]), d.lit(want.has[i]))
		for j, k := range pv.elems {
			if d.lit(pv.belongs(s.post, sc, j)) && d.lit(s.next.wl[i][j]) != d.lit(want.wl[i][j]) {
				fmt.Printf(" %s runtime=%v rebuild=%v", d.elem(k), d.lit(s.next.wl[i][j]), d.lit(want.wl[i][j]))
			}
		}
		fmt.Println()
	}
}

// loosePlan is any plan satisfying the invariant on st.
func (pv *prover) loosePlan(st *world.State) (plan, error) {
	pl, err := pv.initial(st)
	if err != nil {
		return pl, err
	}
	b := pv.b
	for i, sc := range pv.scopes {
		cfg := pv.config(st, b.Const(sc))
		// With fresh ids nothing can have met a scope whose record was never created.
		met := b.T
		if j, ok := pv.w.SlotOf(pv.p.Scope, sc); ok && pv.w.Fresh {
			met = st.Ever[pv.p.Scope][j]
		}
		pl.kn[i] = b.Or(pl.kn[i], b.And(met, b.Lit()))
		pl.has[i] = b.And(pv.zone(cfg), b.Or(pl.kn[i], b.And(met, b.Lit())))
		members, err := pv.rebuild(st, b.Const(sc))
		if err != nil {
			return pl, err
		}
		pl.wl[i] = pv.gate(pl.has[i], members)
		for j := range pv.elems {
			stale := pv.b.And(pl.has[i], pv.b.Lit())
			pl.wl[i][j] = pv.b.Choice(pv.belongs(st, sc, j), pl.wl[i][j], stale)
		}
	}
	return pl, nil
}

// consistent is the invariant after the step.
func (pv *prover) consistent(s *step) (sym.Lit, error) {
	want, err := pv.initial(s.post)
	if err != nil {
		return pv.b.F, err
	}
	b := pv.b
	var eq []sym.Lit
	for i, sc := range pv.scopes {
		zone := pv.zone(s.cfgPost[i])
		eq = append(eq, b.Implies(s.next.has[i], zone), b.Implies(b.And(s.next.kn[i], zone), s.next.has[i]))
		members, err := pv.rebuild(s.post, b.Const(sc))
		if err != nil {
			return b.F, err
		}
		want.wl[i] = pv.gate(s.next.has[i], members)
		for j := range pv.elems {
			same := pv.b.Iff(s.next.wl[i][j], want.wl[i][j])
			eq = append(eq, pv.b.Implies(pv.belongs(s.post, sc, j), same))
		}
	}
	return pv.b.All(eq), nil
}

// belongs is "element j must be exactly as a rebuild of scope sc says": always,
// unless it is the id of an existing record of an init entity that is not in
// the scope (a parent's deletion moved it out).
func (pv *prover) belongs(st *world.State, sc int64, j int) sym.Lit {
	if pv.loose.dead {
		return pv.b.And(pv.scopeRecord(st, sc), pv.belongsIn(st, sc, j))
	}
	return pv.belongsIn(st, sc, j)
}

// movable is "the record's scope can change": it is not named by a parent
// of the scope's type but found through intermediate records, whose deletion
// moves it.
func (pv *prover) movable(st *world.State, e, i int32) sym.Lit {
	deep := false
	for _, path := range pv.w.PathsTo(e, pv.p.Scope) {
		deep = deep || len(path) > 1
	}
	if e == pv.p.Scope || !deep {
		return pv.b.F
	}
	for pi, p := range pv.m.Entities[e].Parents {
		if p == pv.p.Scope {
			return pv.b.Is(st.Parents[e][i][pi], 0)
		}
	}
	return pv.b.T
}

// scopeRecord is "scope sc is not dead": its own record exists or was never
// created (with fresh ids nothing can have met it yet). Foreign ids count as dead.
func (pv *prover) scopeRecord(st *world.State, sc int64) sym.Lit {
	if i, ok := pv.w.SlotOf(pv.p.Scope, sc); ok {
		return pv.b.Or(st.Exists[pv.p.Scope][i], st.Ever[pv.p.Scope][i].Not())
	}
	return pv.b.F
}

func (pv *prover) belongsIn(st *world.State, sc int64, j int) sym.Lit {
	k := pv.elems[j]
	if k.snd >= 0 {
		return pv.b.T
	}
	for _, in := range pv.inits {
		if in.entity < 0 {
			continue
		}
		if i, ok := pv.w.SlotOf(in.entity, k.fst); ok {
			home := st.AncestorOrSelf(in.entity, i, pv.p.Scope)
			elsewhere := pv.b.All([]sym.Lit{st.Exists[in.entity][i], pv.b.Is(home, sc).Not(), pv.movable(st, in.entity, i)})
			if pv.loose.deleted {
				elsewhere = pv.b.And(st.Ever[in.entity][i], pv.b.And(st.Exists[in.entity][i], pv.b.Is(home, sc)).Not())
			}
			return elsewhere.Not()
		}
	}
	return pv.b.T
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
