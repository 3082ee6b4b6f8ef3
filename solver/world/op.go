package world

import (
	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/tables"
)

// Op is one operation: which event it is and its parameters, each present or absent.
type Op struct {
	// Sel[ev] holds when the operation is event ev.
	Sel []sym.Lit
	// Params[ev][i] is parameter i's value when present; Has[ev][i] says it is.
	Params [][]sym.Val
	Has    [][]sym.Lit
}

// FreshOp is an unconstrained operation: any event in play, any parameters.
func (w *World) FreshOp() *Op {
	b := w.B
	keys := make([]int64, len(w.Events))
	for i, ev := range w.Events {
		keys[i] = int64(ev)
	}
	which := b.Fresh(keys)
	op := &Op{Sel: make([]sym.Lit, len(w.M.Events)), Params: make([][]sym.Val, len(w.M.Events)), Has: make([][]sym.Lit, len(w.M.Events))}
	for ev := range w.M.Events {
		op.Sel[ev] = b.Is(which, int64(ev))
		if op.Sel[ev] == b.F {
			continue
		}
		for i, p := range w.M.Events[ev].Params {
			if !w.needParam(int32(ev), i) {
				op.Params[ev] = append(op.Params[ev], w.Zero(p.Type))
				op.Has[ev] = append(op.Has[ev], b.F)
				continue
			}
			op.Params[ev] = append(op.Params[ev], w.ParamVal(int32(ev), i))
			has := b.Lit()
			if w.required(int32(ev), int32(i)) {
				has = b.T
			}
			op.Has[ev] = append(op.Has[ev], has)
		}
	}
	return op
}

// required are the ids without which an operation is malformed (refused,
// changing nothing): its key, and an association's B side. Runs with
// malformed operations are left out rather than encoded.
func (w *World) required(ev, i int32) bool {
	e := &w.M.Events[ev]
	if e.Params[i].Required && w.Critical != nil && w.Critical(ev) {
		return true
	}
	return i == e.Key || e.Kind == tables.Associates && i == e.OtherKey
}

// param is parameter i of event ev as given (present or not).
func (op *Op) param(ev, i int32) sym.Val { return op.Params[ev][i] }

// View is what expressions read as `op` for event ev on state st, with the
// fill-in of absent parameters (SEMANTICS §2).
func (st *State) View(op *Op, ev int32) sym.Val {
	b := st.W.B
	e := &st.W.M.Events[ev]
	out := sym.Val{K: sym.KObj, E: ev, O: make([]sym.Val, len(e.Params)), H: op.Has[ev]}
	order := make([]int32, 0, len(e.Params))
	if e.OtherKey >= 0 {
		order = append(order, e.OtherKey) // the B side's fill-in reads it
	}
	for i := range e.Params {
		if int32(i) != e.OtherKey {
			order = append(order, int32(i))
		}
	}
	for _, i := range order {
		out.O[i] = b.Ite(op.Has[ev][i], op.Params[ev][i], st.fillIn(op, ev, i, out))
	}
	return out
}

// fillIn is an absent parameter's value: the attribute it sets, read from the
// record it sets it on; for an association's B side, the link's value; else zero.
func (st *State) fillIn(op *Op, ev, i int32, view sym.Val) sym.Val {
	w := st.W
	e := &w.M.Events[ev]
	p := e.Params[i]
	for _, s := range e.Sets {
		if s.Param != i {
			continue
		}
		key := op.param(ev, e.Key).S
		if (e.Kind == tables.Associates || e.Kind == tables.Dissociates) && s.Entity == e.Other {
			key = view.O[e.OtherKey].S
		}
		rec := st.Lookup(s.Entity, key)
		return w.B.Select(rec, func(slot int32) sym.Val { return st.Attrs[s.Entity][slot][s.Attr] }, w.Zero(p.Type))
	}
	if i == e.OtherKey && (e.Kind == tables.Associates || e.Kind == tables.Dissociates) {
		l := e.Link
		rec := st.Lookup(l.Entity, op.param(ev, e.Key).S)
		return w.B.Select(rec, func(slot int32) sym.Val { return st.Attrs[l.Entity][slot][l.Attr] }, w.Zero(p.Type))
	}
	return w.Zero(p.Type)
}
