package solver

import (
	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/world"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// advance runs the non-critical path on the applied operation: reconsider the
// operation's own scope and every scope whose fact counts changed (all known
// scopes when a cloud-wide fact changed), then the event's update rules.
func (pv *prover) advance(s *step, pl plan) error {
	b := pv.b
	process := b.T
	for ev, k := range pv.p.EventKinds {
		if k == tables.None {
			process = b.And(process, s.op.Sel[ev].Not())
		}
	}
	s.cfgPost = pv.configs(s.post)
	global := pv.globalChanged(s)
	work := pv.copyPlan(pl)
	rebuilt := make([]sym.Lit, len(pv.scopes))
	built := make([][]sym.Lit, len(pv.scopes))
	for i, sc := range pv.scopes {
		var err error
		if built[i], err = pv.rebuild(s.post, b.Const(sc)); err != nil {
			return err
		}
		work.kn[i] = b.Or(pl.kn[i], pv.known(s.post, s.cfgPost[i], sc))
		rebuilt[i] = pv.reconsider(s, i, global, &work, built[i])
	}
	if err := pv.rules(s, &work, rebuilt, built); err != nil {
		return err
	}
	s.next = pv.dropDeleted(s, pv.choosePlan(process, work, pl))
	return nil
}

// dropDeleted forgets the watchlists of scopes whose own record the operation
// deleted, whatever the event is to the property (SEMANTICS §6).
func (pv *prover) dropDeleted(s *step, pl plan) plan {
	b := pv.b
	for i, sc := range pv.scopes {
		j, ok := pv.w.SlotOf(pv.p.Scope, sc)
		if !ok {
			continue
		}
		gone := b.And(s.pre.Exists[pv.p.Scope][j], s.post.Exists[pv.p.Scope][j].Not())
		pl.has[i] = b.And(pl.has[i], gone.Not())
		for k := range pl.wl[i] {
			pl.wl[i][k] = b.And(pl.wl[i][k], gone.Not())
		}
	}
	return pl
}

// scopeExists is "scope sc's own record exists".
func (pv *prover) scopeExists(st *world.State, sc int64) sym.Lit {
	if j, ok := pv.w.SlotOf(pv.p.Scope, sc); ok {
		return st.Exists[pv.p.Scope][j]
	}
	return pv.b.F
}

// reconsider is step 1 for scope i; it reports whether the scope was rebuilt.
func (pv *prover) reconsider(s *step, i int, global sym.Lit, work *plan, built []sym.Lit) sym.Lit {
	b := pv.b
	own := b.Is(s.scope, pv.scopes[i])
	visited := b.Or(work.has[i], work.kn[i])
	again := b.Any([]sym.Lit{own, pv.localChanged(s, i), b.And(global, visited)})
	zone := pv.zone(s.cfgPost[i])
	fresh := b.Or(work.has[i].Not(), b.Or(own.Not(), b.And(pv.atTh(s.cfgPost[i]), pv.atTh(s.cfgPre[i]).Not())))
	rebuild := b.All([]sym.Lit{again, zone, fresh})
	drop := b.And(again, zone.Not())
	work.has[i] = b.Choice(again, zone, work.has[i])
	for j := range pv.elems {
		work.wl[i][j] = b.And(drop.Not(), b.Choice(rebuild, built[j], work.wl[i][j]))
	}
	return rebuild
}

// localChanged is "the operation changed a count of one of scope i's local facts".
func (pv *prover) localChanged(s *step, i int) sym.Lit {
	b := pv.b
	sc := b.Const(pv.scopes[i])
	var ls []sym.Lit
	for _, f := range pv.p.Facts {
		if !f.Local {
			continue
		}
		pre, post := pv.contributions(s.pre, f, sc), pv.contributions(s.post, f, sc)
		for j := range pre {
			ls = append(ls, b.Xor(pre[j], post[j]))
		}
	}
	return b.Any(ls)
}

// globalChanged is "a cloud-wide fact turned true or false".
func (pv *prover) globalChanged(s *step) sym.Lit {
	var ls []sym.Lit
	if len(pv.scopes) == 0 {
		return pv.b.F
	}
	for k, f := range pv.p.Facts {
		if !f.Local {
			ls = append(ls, pv.b.Xor(s.cfgPre[0][k], s.cfgPost[0][k]))
		}
	}
	return pv.b.Any(ls)
}

// rules is step 2: the event's rules, in order, on each target scope that
// has a watchlist and was not rebuilt; `for` targets are read before the
// operation, elements after it.
func (pv *prover) rules(s *step, work *plan, rebuilt []sym.Lit, built [][]sym.Lit) error {
	b := pv.b
	for _, r := range pv.updates {
		sel := s.op.Sel[r.u.Event]
		if sel == b.F {
			continue
		}
		targets, err := pv.targets(s, r)
		if err != nil {
			return err
		}
		for i := range pv.scopes {
			cond := b.All([]sym.Lit{sel, targets[i], work.has[i], rebuilt[i].Not()})
			if r.u.Op == tables.Rebuild {
				for j := range pv.elems {
					work.wl[i][j] = b.Choice(cond, built[i][j], work.wl[i][j])
				}
				rebuilt[i] = b.Or(rebuilt[i], cond)
				continue
			}
			if work.wl[i], err = pv.addRemove(s, r, i, cond, work.wl[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// targets is, per scope, "the rule applies to it": its `for` scopes (on the state before), else the operation's.
func (pv *prover) targets(s *step, r updateRule) ([]sym.Lit, error) {
	b := pv.b
	out := make([]sym.Lit, len(pv.scopes))
	if r.scopes == nil {
		for i, sc := range pv.scopes {
			out[i] = b.Is(s.scope, sc)
		}
		return out, nil
	}
	view := s.pre.View(s.op, r.u.Event)
	v, err := r.scopes.Eval(pv.env(s.pre, map[string]sym.Val{celenv.VarOp: view}))
	if err != nil {
		return nil, err
	}
	for i, sc := range pv.scopes {
		if v.K == sym.KList {
			if out[i], err = b.Has(v.L, sym.Str(b.Const(sc))); err != nil {
				return nil, err
			}
			continue
		}
		out[i] = b.Is(v.S, sc)
	}
	return out, nil
}

func (pv *prover) addRemove(s *step, r updateRule, i int, cond sym.Lit, cur []sym.Lit) ([]sym.Lit, error) {
	b := pv.b
	if cond == b.F {
		return cur, nil
	}
	view := s.post.View(s.op, r.u.Event)
	vars := map[string]sym.Val{celenv.VarOp: view, celenv.VarWatchlist: pv.watchlist(cur), pv.m.Entities[pv.p.Scope].Name: sym.Str(b.Const(pv.scopes[i]))}
	v, err := r.expr.Eval(pv.env(s.post, vars))
	if err != nil {
		return nil, err
	}
	els := pv.elements(v)
	out := make([]sym.Lit, len(cur))
	for j := range cur {
		var hit []sym.Lit
		for _, el := range els {
			hit = append(hit, b.And(el.G, pv.elemIs(el.V, j)))
		}
		h := b.And(cond, b.Any(hit))
		if r.u.Op == tables.Add {
			out[j] = b.Or(cur[j], h)
		} else {
			out[j] = b.And(cur[j], h.Not())
		}
	}
	return out, nil
}

// known is "the runtime knows scope sc": the scope's record exists or one of its local facts holds (it has counters).
func (pv *prover) known(st *world.State, cfg []sym.Lit, sc int64) sym.Lit {
	b := pv.b
	var ls []sym.Lit
	if i, ok := pv.w.SlotOf(pv.p.Scope, sc); ok {
		ls = append(ls, st.Exists[pv.p.Scope][i])
	}
	for k, f := range pv.p.Facts {
		if f.Local {
			ls = append(ls, cfg[k])
		}
	}
	return b.Any(ls)
}

func (pv *prover) none() []sym.Lit {
	out := make([]sym.Lit, len(pv.elems))
	for j := range out {
		out[j] = pv.b.F
	}
	return out
}

func (pv *prover) copyPlan(pl plan) plan {
	out := plan{has: append([]sym.Lit(nil), pl.has...), kn: append([]sym.Lit(nil), pl.kn...), wl: make([][]sym.Lit, len(pl.wl))}
	for i := range pl.wl {
		out.wl[i] = append([]sym.Lit(nil), pl.wl[i]...)
	}
	return out
}

// choosePlan is "c ? x : y" on plans.
func (pv *prover) choosePlan(c sym.Lit, x, y plan) plan {
	b := pv.b
	out := pv.copyPlan(y)
	for i := range out.has {
		out.has[i] = b.Choice(c, x.has[i], y.has[i])
		out.kn[i] = b.Choice(c, x.kn[i], y.kn[i])
		for j := range out.wl[i] {
			out.wl[i][j] = b.Choice(c, x.wl[i][j], y.wl[i][j])
		}
	}
	return out
}
