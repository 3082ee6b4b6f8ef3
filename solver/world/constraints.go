package world

import (
	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/symcel"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Env is the evaluation environment of state st with the given variables.
func (st *State) Env(vars map[string]sym.Val) *symcel.Env {
	return &symcel.Env{B: st.W.B, Names: st.W.Names, Cloud: st, Vars: vars}
}

// Constraints must hold for the operation to be a step of a run from st: its
// event's guard holds (else it is malformed and changes nothing), the records
// it creates fit in the bounded scope, and, with Fresh, it creates new ids and
// names only records that were created.
func (st *State) Constraints(op *Op) ([]sym.Lit, error) {
	var out []sym.Lit
	b := st.W.B
	for _, ev := range st.W.Events {
		sel := op.Sel[ev]
		if sel == b.F {
			continue
		}
		if g := st.W.Where[ev]; g != nil {
			ok, err := g.EvalBool(st.Env(map[string]sym.Val{celenv.VarOp: st.View(op, ev)}))
			if err != nil {
				return nil, err
			}
			out = append(out, b.Implies(sel, ok))
		}
		out = append(out, st.named(op, ev)...)
		out = append(out, st.creations(op, ev)...)
		if st.W.Fresh {
			out = append(out, st.namesCreated(op, ev)...)
			if st.W.Redeliver {
				out = append(out, st.faithful(op, ev)...)
			}
		}
	}
	return out, nil
}

// named: the ids a malformed operation would lack are not "".
func (st *State) named(op *Op, ev int32) []sym.Lit {
	b, e := st.W.B, &st.W.M.Events[ev]
	var out []sym.Lit
	for i := range e.Params {
		if st.W.required(ev, int32(i)) {
			out = append(out, b.Implies(op.Sel[ev], b.Is(op.param(ev, int32(i)).S, 0).Not()))
		}
	}
	return out
}

// creations: a created record's id is a slot's, and with Fresh one never
// used (with Redeliver, also one whose record exists).
func (st *State) creations(op *Op, ev int32) []sym.Lit {
	b, e := st.W.B, &st.W.M.Events[ev]
	var id sym.Scalar
	var t int32
	when := op.Sel[ev]
	switch e.Kind {
	case tables.Creates:
		id, t = op.param(ev, e.Key).S, e.Target.Index
	case tables.Associates:
		id, t = op.param(ev, e.OtherKey).S, e.Other
		when = b.And(when, b.Any(st.hits(op, ev, e.Link.Entity, op.param(ev, e.Key).S, true)))
	default:
		return nil
	}
	var inScope []sym.Lit
	var out []sym.Lit
	for i, k := range st.W.IDs[t] {
		is := b.Is(id, k)
		inScope = append(inScope, is)
		if st.W.Fresh {
			// A deleted record's id is never created again; a create of a
			// record that exists is a re-delivery (it acts as an update), only
			// with Redeliver.
			reuse := b.And(is, b.And(st.Ever[t][i], st.Exists[t][i].Not()))
			if e.Kind == tables.Creates && !st.W.Redeliver {
				reuse = b.And(is, st.Ever[t][i])
			}
			out = append(out, b.Implies(when, reuse.Not()))
		}
	}
	return append(out, b.Implies(when, b.Any(inScope)))
}

// faithful: a create of a record that exists is a re-delivery of what the
// cloud said before: the attributes it gives are the record's, and the
// parents it names are the record's, or ones the record did not know yet
// (which it fills in). Without Fresh a re-delivery may say anything.
// Redeliver only.
func (st *State) faithful(op *Op, ev int32) []sym.Lit {
	b, e := st.W.B, &st.W.M.Events[ev]
	if e.Kind != tables.Creates {
		return nil
	}
	t := e.Target.Index
	var out []sym.Lit
	for i, hit := range st.hits(op, ev, t, op.param(ev, e.Key).S, true) {
		if hit == b.F {
			continue
		}
		for _, s := range e.Sets {
			if s.Entity != t || !st.W.needAttr(t, int(s.Attr)) {
				continue
			}
			same, err := b.Eq(op.Params[ev][s.Param], st.Attrs[t][i][s.Attr])
			if err != nil {
				same = b.F
			}
			out = append(out, b.Implies(b.And(hit, op.Has[ev][s.Param]), same))
		}
		for pi, pk := range e.ParentKeys {
			if pk < 0 {
				continue
			}
			cur, given := st.Parents[t][i][pi], op.param(ev, pk).S
			named := b.All([]sym.Lit{hit, op.Has[ev][pk], b.Is(given, 0).Not(), b.Is(cur, 0).Not()})
			out = append(out, b.Implies(named, b.EqS(given, cur)))
		}
	}
	return out
}

// namesCreated: every id parameter other than the one a creation introduces names a record that was created.
func (st *State) namesCreated(op *Op, ev int32) []sym.Lit {
	b, e := st.W.B, &st.W.M.Events[ev]
	var out []sym.Lit
	for i, p := range e.Params {
		if p.Type.Ref < 0 || p.Type.Kind != tables.TRef && !(p.Type.Kind == tables.TList && p.Type.Elem == tables.TRef) {
			continue
		}
		if int32(i) == e.Key && e.Kind == tables.Creates || int32(i) == e.OtherKey && e.Kind == tables.Associates {
			continue
		}
		given := b.And(op.Sel[ev], op.Has[ev][i])
		out = append(out, st.onlyCreated(given, op.Params[ev][i], p.Type.Ref)...)
	}
	return out
}

// onlyCreated: when given holds, value v (an id or a list of ids of entity t) names no slot that was never created.
func (st *State) onlyCreated(given sym.Lit, v sym.Val, t int32) []sym.Lit {
	b := st.W.B
	var out []sym.Lit
	check := func(s sym.Scalar, g sym.Lit) {
		for _, a := range s {
			if i, ok := st.W.SlotOf(t, a.Key); ok {
				out = append(out, b.Implies(b.And(given, b.And(g, a.L)), st.Ever[t][i]))
			}
		}
	}
	if v.K == sym.KList {
		for _, el := range v.L.Elems() {
			check(el.V.S, el.G)
		}
		return out
	}
	check(v.S, b.T)
	return out
}

// InitConstraints make an arbitrary state well formed: ancestors agree with
// parents as far as every reachable state has them agree, and, with Fresh,
// every id it holds names a record that was created.
func (st *State) InitConstraints() []sym.Lit {
	out := st.ancestorConstraints()
	if !st.W.Fresh {
		return out
	}
	b := st.W.B
	for e, ent := range st.W.M.Entities {
		for i := range st.Exists[e] {
			ex := st.Exists[e][i]
			for pi, pe := range ent.Parents {
				out = append(out, st.onlyCreated(ex, sym.Str(st.Parents[e][i][pi]), pe)...)
			}
			for k, a := range ent.Ancestors {
				out = append(out, st.onlyCreated(ex, sym.Str(st.Anc[e][i][k]), a)...)
			}
			for a, at := range ent.Attrs {
				if at.Type.Ref >= 0 && (at.Type.Kind == tables.TRef || at.Type.Kind == tables.TList && at.Type.Elem == tables.TRef) {
					out = append(out, st.onlyCreated(b.T, st.Attrs[e][i][a], at.Type.Ref)...)
				}
			}
		}
	}
	return out
}

// ancestorConstraints hold in every reachable state (SEMANTICS §1): a
// parent of an ancestor's type, once known, makes the ancestor known (it is
// the walk's first stop, or was found before the parent was filled in); an
// ancestor reached only through that parent is that parent.
func (st *State) ancestorConstraints() []sym.Lit {
	var out []sym.Lit
	b := st.W.B
	for e, ent := range st.W.M.Entities {
		for k, a := range ent.Ancestors {
			for pi, p := range ent.Parents {
				if p != a {
					continue
				}
				paths := st.W.PathsTo(int32(e), a)
				only := len(paths) == 1 && len(paths[0]) == 1
				for i := range st.Anc[e] {
					if st.Exists[e][i] == b.F {
						continue
					}
					par, anc := st.Parents[e][i][pi], st.Anc[e][i][k]
					if only {
						out = append(out, b.Implies(st.Exists[e][i], b.EqS(anc, par)))
					} else {
						out = append(out, b.Implies(b.And(st.Exists[e][i], b.Is(par, 0).Not()), b.Is(anc, 0).Not()))
					}
				}
				break
			}
		}
	}
	return out
}
