package solver

import (
	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/world"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// step is one operation of a run, processed as the runtime does (SEMANTICS
// §6; where the text leaves room, as runtime/decide.go and apply.go read it),
// with everything the proof and the counterexample need.
type step struct {
	pre, post *world.State
	pl, next  plan
	cfgPre    [][]sym.Lit // per scope, before; cfgPost after
	cfgPost   [][]sym.Lit
	op        *world.Op
	cons      []sym.Lit
	scope     sym.Scalar
	// critical: a critical event whose `when` holds; decided: its allow rule
	// was evaluated (else the fail mode answered); allow: the verdict allows it;
	// uses: the rule reads the watchlist, which must then be ready.
	critical, decided, uses, allow, known, ready, blocked, noop sym.Lit
	// inZone: the operation's scope is at or below N-th before it.
	inZone          sym.Lit
	invPre, invPost sym.Lit
	wlUsed          []sym.Lit
	bad             [numKinds]sym.Lit
}

// encodeStep adds one operation after state pre with plan pl.
func (pv *prover) encodeStep(pre *world.State, pl plan, cfgPre [][]sym.Lit, invPre sym.Lit) (*step, error) {
	b := pv.b
	s := &step{pre: pre, pl: pl, cfgPre: cfgPre, invPre: invPre, op: pv.w.FreshOp()}
	var err error
	if s.cons, err = pre.Constraints(s.op); err != nil {
		return nil, err
	}
	s.post = pre.Apply(s.op)
	if s.invPost, err = pv.inv.EvalBool(pv.env(s.post, nil)); err != nil {
		return nil, err
	}
	s.scope = pre.ScopeOf(s.op, pv.p.Scope, pv.p.ScopeBy)
	s.known = b.Is(s.scope, 0).Not()
	s.noop = pre.Noop(s.op)
	var built []sym.Lit
	if built, err = pv.decide(s); err != nil {
		return nil, err
	}
	pv.badness(s)
	return s, pv.advance(s, pv.slowPathStore(s, built))
}

// decide runs the critical path: the watchlist of the operation's scope (or
// one built now when it has none: the slow path) and the allow rule.
func (pv *prover) decide(s *step) ([]sym.Lit, error) {
	b := pv.b
	s.ready, s.inZone = b.F, b.F
	cur := pv.none()
	for i, sc := range pv.scopes {
		here := b.Is(s.scope, sc)
		s.ready = b.Or(s.ready, b.And(here, s.pl.has[i]))
		s.inZone = b.Or(s.inZone, b.And(here, pv.zone(s.cfgPre[i])))
		for j := range cur {
			cur[j] = b.Or(cur[j], b.And(here, s.pl.wl[i][j]))
		}
	}
	built, err := pv.rebuild(s.pre, s.scope)
	if err != nil {
		return nil, err
	}
	s.wlUsed = make([]sym.Lit, len(cur))
	for j := range cur {
		s.wlUsed[j] = b.Choice(s.ready, cur[j], built[j])
	}
	s.critical, s.decided, s.uses, s.allow = b.F, b.F, b.F, b.F
	for _, cr := range pv.crits {
		if err := pv.decideCritical(s, cr); err != nil {
			return nil, err
		}
	}
	s.blocked = b.F
	if pv.p.Enforce == tables.Deny {
		s.blocked = b.And(s.critical, s.allow.Not())
	}
	return built, nil
}

func (pv *prover) decideCritical(s *step, cr critical) error {
	b := pv.b
	sel := s.op.Sel[cr.ev]
	if sel == b.F {
		return nil
	}
	view := s.pre.View(s.op, cr.ev)
	when := b.T
	if cr.when != nil {
		var err error
		if when, err = cr.when.EvalBool(pv.env(s.pre, map[string]sym.Val{celenv.VarOp: view})); err != nil {
			return err
		}
	}
	vars := map[string]sym.Val{celenv.VarOp: view, celenv.VarWatchlist: pv.watchlist(s.wlUsed), pv.m.Entities[pv.p.Scope].Name: sym.Str(s.scope)}
	ok, err := cr.allow.EvalBool(pv.env(s.pre, vars))
	if err != nil {
		return err
	}
	crit := b.And(sel, when)
	// Like the runtime, a rule that reads the watchlist or the scope is answered by the fail mode when the scope is unknown.
	uses := b.F
	if cr.uses {
		uses = b.T
	}
	decided := b.Or(s.known, uses.Not())
	failMode := b.F
	if pv.p.FailOpen {
		failMode = b.T
	}
	s.critical = b.Or(s.critical, crit)
	s.decided = b.Or(s.decided, b.And(crit, decided))
	s.uses = b.Or(s.uses, b.And(crit, uses))
	s.allow = b.Or(s.allow, b.And(crit, b.Choice(decided, ok, failMode)))
	return nil
}

// slowPathStore is the plan after the critical path: a watchlist built on the
// slow path is kept when the scope's record exists and its N-cp is at or below N-th.
func (pv *prover) slowPathStore(s *step, built []sym.Lit) plan {
	b := pv.b
	out := pv.copyPlan(s.pl)
	slow := b.All([]sym.Lit{s.critical, s.known, s.uses, s.ready.Not()})
	for i, sc := range pv.scopes {
		store := b.All([]sym.Lit{slow, b.Is(s.scope, sc), pv.zone(s.cfgPre[i]), pv.scopeExists(s.pre, sc)})
		out.has[i] = b.Or(out.has[i], store)
		for j := range pv.elems {
			out.wl[i][j] = b.Choice(store, built[j], out.wl[i][j])
		}
	}
	return out
}

// badness: each way the proactive plan can disagree with the invariant, on a run whose state satisfied it so far.
func (pv *prover) badness(s *step) {
	b := pv.b
	compared := s.decided
	if pv.p.FailOpen {
		compared = s.critical // fail open lets an undecided operation through: that must be harmless
	}
	// An operation on a record that does not exist changes nothing: denying it is harmless.
	s.bad[Mismatch] = b.All([]sym.Lit{s.invPre, compared, s.noop.Not(), b.Xor(s.allow, s.invPost)})
	s.bad[Broken] = b.All([]sym.Lit{s.invPre, s.critical.Not(), s.invPost.Not()})
	// Not ready means above N-th (or unreachable by the N abstraction) when a violation arrives;
	// a scope at or below N-th the runtime had not met yet just takes the slow path.
	s.bad[NotReady] = b.All([]sym.Lit{s.invPre, s.critical, s.known, s.uses, s.inZone.Not(), s.invPost.Not()})
}
