package world

import (
	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/tables"
)

// ScopeOf is the operation's scope for scope entity s (and, when by >= 0,
// scope-by entity by), on the state before it (SEMANTICS §5); "" when unknown.
func (st *State) ScopeOf(op *Op, s, by int32) sym.Scalar {
	b := st.W.B
	out := b.Const(0)
	for _, ev := range st.W.Events {
		if op.Sel[ev] == b.F {
			continue
		}
		out = b.IteS(op.Sel[ev], st.eventScope(op, ev, s, by), out)
	}
	return out
}

func (st *State) eventScope(op *Op, ev, s, by int32) sym.Scalar {
	e := &st.W.M.Events[ev]
	view := st.View(op, ev)
	b := st.W.B
	if by >= 0 {
		for i, p := range e.Params {
			if p.Type.Kind == tables.TRef && p.Type.Ref == by {
				scope := st.recordScope(by, view.O[i].S, s)
				if e.Kind == tables.Creates && int32(i) == e.Key && e.Target.Index == by {
					// A create of the ScopeBy record itself: when it does not exist yet, walk from its parents.
					return b.IteS(b.Found(st.Lookup(by, view.O[i].S)), scope, st.newScope(e, view, s))
				}
				return scope
			}
		}
	}
	t := e.Target.Index
	if e.Kind == tables.Associates || e.Kind == tables.Dissociates {
		t = e.Link.Entity
	}
	key := view.O[e.Key].S
	scope := st.recordScope(t, key, s)
	if e.Kind != tables.Creates || t == s {
		return scope
	}
	// A create's record does not exist yet: walk from the parent ids it names.
	return b.IteS(b.Found(st.Lookup(t, key)), scope, st.newScope(e, view, s))
}

// newScope is the s-ancestor a create's record would get: breadth-first from the parent ids it names.
func (st *State) newScope(e *tables.Event, view sym.Val, s int32) sym.Scalar {
	t := e.Target.Index
	if t == s {
		return view.O[e.Key].S
	}
	first := make([]sym.Scalar, len(e.ParentKeys))
	for pi, pk := range e.ParentKeys {
		first[pi] = st.W.B.Const(0)
		if pk >= 0 {
			first[pi] = view.O[pk].S
		}
	}
	return st.walk(t, first, s)
}

// recordScope is the s-ancestor-or-self of the record of entity t named id; an id typed s is its own scope.
func (st *State) recordScope(t int32, id sym.Scalar, s int32) sym.Scalar {
	if t == s {
		return id
	}
	b := st.W.B
	rec := st.Lookup(t, id)
	return b.Select(rec, func(slot int32) sym.Val { return sym.Str(st.Ancestor(t, slot, s)) }, sym.Str(b.Const(0))).S
}
