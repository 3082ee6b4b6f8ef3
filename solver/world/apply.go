package world

import (
	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/tables"
)

// Apply is the state after the operation (SEMANTICS §3): creates, updates,
// deletes, associations and dissociations; nothing cascades.
func (st *State) Apply(op *Op) *State {
	out := st.clone()
	for _, ev := range st.W.Events {
		if op.Sel[ev] == st.W.B.F {
			continue
		}
		switch st.W.M.Events[ev].Kind {
		case tables.Creates:
			st.create(out, op, ev)
		case tables.Updates:
			st.update(out, op, ev)
		case tables.Deletes:
			st.delete(out, op, ev)
		case tables.Associates:
			st.associate(out, op, ev)
		case tables.Dissociates:
			st.dissociate(out, op, ev)
		}
	}
	return out
}

// hits is, per slot of entity e, "the operation is ev and id names that slot".
func (st *State) hits(op *Op, ev, e int32, id sym.Scalar, mustExist bool) []sym.Lit {
	b := st.W.B
	out := make([]sym.Lit, st.W.Count[e])
	for i := range out {
		out[i] = b.And(op.Sel[ev], b.Is(id, st.W.IDs[e][i]))
		if mustExist {
			out[i] = b.And(out[i], st.Exists[e][i])
		}
	}
	return out
}

// setter is the parameter of ev that sets attribute a of entity e, -1 if none.
func setter(ev *tables.Event, e int32, a int) int32 {
	for _, s := range ev.Sets {
		if s.Entity == e && int(s.Attr) == a {
			return s.Param
		}
	}
	return -1
}

func (st *State) create(out *State, op *Op, ev int32) {
	b, e := st.W.B, &st.W.M.Events[ev]
	t := e.Target.Index
	given := make([]sym.Scalar, len(e.ParentKeys))
	for pi, pk := range e.ParentKeys {
		given[pi] = b.Const(0)
		if pk >= 0 {
			given[pi] = b.IteS(op.Has[ev][pk], op.param(ev, pk).S, b.Const(0))
		}
	}
	for i, hit := range st.hits(op, ev, t, op.param(ev, e.Key).S, false) {
		if hit == b.F {
			continue
		}
		made := b.And(hit, st.Exists[t][i].Not())
		kept := b.And(hit, st.Exists[t][i])
		out.Exists[t][i] = b.Or(out.Exists[t][i], made)
		out.Ever[t][i] = b.Or(out.Ever[t][i], hit)
		// A new record takes the parents named; an existing one is filled in
		// with the parents it did not know yet, and its unknown ancestors are
		// resolved again (SEMANTICS §1, §3).
		parents := make([]sym.Scalar, len(e.ParentKeys))
		filled := b.F
		for pi := range e.ParentKeys {
			cur := st.Parents[t][i][pi]
			fill := b.All([]sym.Lit{kept, b.Is(cur, 0), b.Is(given[pi], 0).Not()})
			filled = b.Or(filled, fill)
			parents[pi] = b.IteS(made, given[pi], b.IteS(fill, given[pi], cur))
			out.Parents[t][i][pi] = b.IteS(b.Or(made, fill), given[pi], out.Parents[t][i][pi])
		}
		if len(st.Anc[t][i]) > 0 {
			resolved := st.Resolve(t, parents)
			for k := range resolved {
				again := b.And(filled, b.Is(st.Anc[t][i][k], 0))
				out.Anc[t][i][k] = b.IteS(b.Or(made, again), resolved[k], out.Anc[t][i][k])
			}
		}
		st.setAttrs(out, op, ev, t, int32(i), made, kept)
	}
}

// setAttrs writes the event's attributes on a slot: a new record gets the
// present parameters and zero elsewhere, an existing one the present parameters.
func (st *State) setAttrs(out *State, op *Op, ev, t, i int32, made, kept sym.Lit) {
	b, e := st.W.B, &st.W.M.Events[ev]
	for a, at := range st.W.M.Entities[t].Attrs {
		if !st.W.needAttr(t, a) {
			continue
		}
		old := out.Attrs[t][i][a]
		fresh := st.W.Zero(at.Type)
		if p := setter(e, t, a); p >= 0 {
			fresh = b.Ite(op.Has[ev][p], op.Params[ev][p], fresh)
			old = b.Ite(b.And(kept, op.Has[ev][p]), op.Params[ev][p], old)
		}
		out.Attrs[t][i][a] = b.Ite(made, fresh, old)
	}
}

func (st *State) update(out *State, op *Op, ev int32) {
	e := &st.W.M.Events[ev]
	t := e.Target.Index
	for i, hit := range st.hits(op, ev, t, op.param(ev, e.Key).S, true) {
		if hit != st.W.B.F {
			st.setAttrs(out, op, ev, t, int32(i), st.W.B.F, hit)
		}
	}
}

func (st *State) delete(out *State, op *Op, ev int32) {
	b, e := st.W.B, &st.W.M.Events[ev]
	t := e.Target.Index
	for i, hit := range st.hits(op, ev, t, op.param(ev, e.Key).S, true) {
		out.Exists[t][i] = b.And(out.Exists[t][i], hit.Not())
	}
}

// associate sets the link member's link to the B side, creating the B record
// when none has that id (parents from the parameters or the link member's ancestors).
func (st *State) associate(out *State, op *Op, ev int32) {
	b, e := st.W.B, &st.W.M.Events[ev]
	l, other := e.Link, op.param(ev, e.OtherKey).S
	lhits := st.hits(op, ev, l.Entity, op.param(ev, e.Key).S, true)
	linked := b.Any(lhits)
	for i, hit := range st.hits(op, ev, e.Other, other, false) {
		hit = b.And(hit, linked)
		if hit == b.F {
			continue
		}
		made := b.And(hit, st.Exists[e.Other][i].Not())
		out.Exists[e.Other][i] = b.Or(out.Exists[e.Other][i], made)
		out.Ever[e.Other][i] = b.Or(out.Ever[e.Other][i], made)
		parents := make([]sym.Scalar, len(st.W.M.Entities[e.Other].Parents))
		for pi := range parents {
			parents[pi] = st.newParent(op, ev, pi)
			out.Parents[e.Other][i][pi] = b.IteS(made, parents[pi], out.Parents[e.Other][i][pi])
		}
		if len(st.Anc[e.Other][i]) > 0 {
			for k, a := range st.Resolve(e.Other, parents) {
				out.Anc[e.Other][i][k] = b.IteS(made, a, out.Anc[e.Other][i][k])
			}
		}
		st.setAttrs(out, op, ev, e.Other, int32(i), made, b.And(hit, st.Exists[e.Other][i]))
	}
	for j, hit := range lhits {
		if hit == b.F {
			continue
		}
		if st.W.needAttr(l.Entity, int(l.Attr)) {
			out.Attrs[l.Entity][j][l.Attr] = b.Ite(hit, sym.Str(other), out.Attrs[l.Entity][j][l.Attr])
		}
		st.setAttrs(out, op, ev, l.Entity, int32(j), b.F, hit)
	}
}

// newParent is parent pi of a B record an association creates: the parameter
// when given, else the link member's ancestor of that type.
func (st *State) newParent(op *Op, ev int32, pi int) sym.Scalar {
	b, e := st.W.B, &st.W.M.Events[ev]
	pt := st.W.ParentType(e.Other, pi)
	l := e.Link.Entity
	rec := st.Lookup(l, op.param(ev, e.Key).S)
	anc := b.Select(rec, func(slot int32) sym.Val { return sym.Str(st.AncestorOrSelf(l, slot, pt)) }, sym.Str(b.Const(0))).S
	if pk := e.ParentKeys[pi]; pk >= 0 {
		given := b.And(op.Has[ev][pk], b.Is(op.param(ev, pk).S, 0).Not())
		return b.IteS(given, op.param(ev, pk).S, anc)
	}
	return anc
}

func (st *State) dissociate(out *State, op *Op, ev int32) {
	b, e := st.W.B, &st.W.M.Events[ev]
	l := e.Link
	for j, hit := range st.hits(op, ev, l.Entity, op.param(ev, e.Key).S, true) {
		if hit == b.F {
			continue
		}
		if st.W.needAttr(l.Entity, int(l.Attr)) {
			out.Attrs[l.Entity][j][l.Attr] = b.Ite(hit, sym.Str(b.Const(0)), out.Attrs[l.Entity][j][l.Attr])
		}
		st.setAttrs(out, op, ev, l.Entity, int32(j), b.F, hit)
	}
}

// Noop is "the operation changes nothing": the record an update, delete or
// (dis)association acts on does not exist.
func (st *State) Noop(op *Op) sym.Lit {
	b := st.W.B
	out := b.F
	for _, ev := range st.W.Events {
		e := &st.W.M.Events[ev]
		t := e.Target.Index
		switch e.Kind {
		case tables.Creates:
			continue
		case tables.Associates, tables.Dissociates:
			t = e.Link.Entity
		}
		missing := b.Found(st.Lookup(t, op.param(ev, e.Key).S)).Not()
		out = b.Or(out, b.And(op.Sel[ev], missing))
	}
	return out
}
