package world

import (
	"sort"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/tables"
)

// State is the cloud at one point of a run: per slot, whether the record
// exists, whether it ever existed, its parent ids, its ancestor ids (fixed
// when it was created, SEMANTICS §1) and its attributes.
type State struct {
	W       *World
	Exists  [][]sym.Lit
	Ever    [][]sym.Lit
	Parents [][][]sym.Scalar
	// Anc[e][i][k] is the id of slot i's k-th ancestor (Entity.Ancestors order).
	Anc   [][][]sym.Scalar
	Attrs [][][]sym.Val
}

// Empty is the state with no records.
func (w *World) Empty() *State {
	return w.newState(func(e int32, i int) slotInit {
		return slotInit{exists: w.B.F, ever: w.B.F, zero: true}
	})
}

// Arbitrary is a state whose every field is a fresh variable; Constraints says which are well formed.
func (w *World) Arbitrary() *State {
	return w.newState(func(e int32, i int) slotInit {
		ex := w.B.Lit()
		ever := ex
		if w.Fresh {
			ever = w.B.Or(ex, w.B.Lit())
		}
		return slotInit{exists: ex, ever: ever}
	})
}

type slotInit struct {
	exists, ever sym.Lit
	zero         bool
}

func (w *World) newState(init func(e int32, i int) slotInit) *State {
	st := &State{W: w}
	for e, ent := range w.M.Entities {
		n := w.Count[e]
		st.Exists = append(st.Exists, make([]sym.Lit, n))
		st.Ever = append(st.Ever, make([]sym.Lit, n))
		st.Parents = append(st.Parents, make([][]sym.Scalar, n))
		st.Anc = append(st.Anc, make([][]sym.Scalar, n))
		st.Attrs = append(st.Attrs, make([][]sym.Val, n))
		for i := 0; i < n; i++ {
			si := init(int32(e), i)
			st.Exists[e][i], st.Ever[e][i] = si.exists, si.ever
			st.Parents[e][i] = make([]sym.Scalar, len(ent.Parents))
			for p, pe := range ent.Parents {
				st.Parents[e][i][p] = w.value(tables.Type{Kind: tables.TRef, Ref: pe}, si.zero).S
			}
			st.Anc[e][i] = make([]sym.Scalar, len(ent.Ancestors))
			for k, a := range ent.Ancestors {
				st.Anc[e][i][k] = w.value(tables.Type{Kind: tables.TRef, Ref: a}, si.zero).S
			}
			st.Attrs[e][i] = make([]sym.Val, len(ent.Attrs))
			for a, at := range ent.Attrs {
				if si.zero || !w.needAttr(int32(e), a) {
					st.Attrs[e][i][a] = w.Zero(at.Type)
				} else {
					st.Attrs[e][i][a] = w.AttrVal(int32(e), a)
				}
			}
		}
	}
	return st
}

func (w *World) value(t tables.Type, zero bool) sym.Val {
	if zero {
		return w.Zero(t)
	}
	return w.FreshVal(t)
}

// clone copies the slot tables so an effect can overwrite entries.
func (st *State) clone() *State {
	out := &State{W: st.W}
	for e := range st.Exists {
		out.Exists = append(out.Exists, append([]sym.Lit(nil), st.Exists[e]...))
		out.Ever = append(out.Ever, append([]sym.Lit(nil), st.Ever[e]...))
		ps := make([][]sym.Scalar, len(st.Parents[e]))
		an := make([][]sym.Scalar, len(st.Anc[e]))
		as := make([][]sym.Val, len(st.Attrs[e]))
		for i := range ps {
			ps[i] = append([]sym.Scalar(nil), st.Parents[e][i]...)
			an[i] = append([]sym.Scalar(nil), st.Anc[e][i]...)
			as[i] = append([]sym.Val(nil), st.Attrs[e][i]...)
		}
		out.Parents, out.Anc, out.Attrs = append(out.Parents, ps), append(out.Anc, an), append(out.Attrs, as)
	}
	return out
}

// Ite is the state "c ? x : y", field by field.
func (w *World) Ite(c sym.Lit, x, y *State) *State {
	b := w.B
	out := y.clone()
	for e := range out.Exists {
		for i := range out.Exists[e] {
			out.Exists[e][i] = b.Choice(c, x.Exists[e][i], y.Exists[e][i])
			out.Ever[e][i] = b.Choice(c, x.Ever[e][i], y.Ever[e][i])
			for p := range out.Parents[e][i] {
				out.Parents[e][i][p] = b.IteS(c, x.Parents[e][i][p], y.Parents[e][i][p])
			}
			for k := range out.Anc[e][i] {
				out.Anc[e][i][k] = b.IteS(c, x.Anc[e][i][k], y.Anc[e][i][k])
			}
			for a := range out.Attrs[e][i] {
				out.Attrs[e][i][a] = b.Ite(c, x.Attrs[e][i][a], y.Attrs[e][i][a])
			}
		}
	}
	return out
}

// Records is cloud.<plural>.
func (st *State) Records(e int32) *sym.List {
	var elems []*sym.Elem
	for i, ex := range st.Exists[e] {
		if ex != st.W.B.F {
			elems = append(elems, &sym.Elem{G: ex, V: st.Record(e, int32(i))})
		}
	}
	return sym.NewList(elems)
}

// Record is the record in slot i, as a value.
func (st *State) Record(e, i int32) sym.Val {
	return sym.Val{K: sym.KRec, E: e, R: &sym.Rec{E: e, Alts: []sym.RecAlt{{Slot: i, L: st.W.B.T}}}}
}

// IDs is cloud.<e>_ids, a set over the slots' ids.
func (st *State) IDs(e int32) *sym.List {
	ids := st.W.IDs[e]
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return ids[order[a]] < ids[order[b]] })
	keys := make([]int64, len(ids))
	ls := make([]sym.Lit, len(ids))
	for j, i := range order {
		keys[j], ls[j] = ids[i], st.Exists[e][i]
	}
	return st.W.B.NewSet(sym.KStr, keys, ls)
}

// Lookup is cloud.<e>_by_id[id]: the slot with that id, if its record exists.
func (st *State) Lookup(e int32, id sym.Scalar) *sym.Rec {
	r := &sym.Rec{E: e}
	for _, a := range id {
		if i, ok := st.W.SlotOf(e, a.Key); ok {
			if l := st.W.B.And(a.L, st.Exists[e][i]); l != st.W.B.F {
				r.Alts = append(r.Alts, sym.RecAlt{Slot: i, L: l})
			}
		}
	}
	sort.Slice(r.Alts, func(a, b int) bool { return r.Alts[a].Slot < r.Alts[b].Slot })
	return r
}

// Field is field f of slot i: its id, an ancestor's id, or an attribute.
func (st *State) Field(e, i int32, f int) sym.Val {
	anc := st.W.M.Entities[e].Ancestors
	switch {
	case f == 0:
		return sym.Str(st.W.B.Const(st.W.IDs[e][i]))
	case f <= len(anc):
		return sym.Str(st.Anc[e][i][f-1])
	}
	return st.Attrs[e][i][f-1-len(anc)]
}

// Given is the value of one slot of a state built by StateOf.
type Given struct {
	Exists, Ever sym.Lit
	Parents, Anc []sym.Scalar
	Attrs        []sym.Val
}

// StateOf is a state whose slots hold given values (the intercept-and-check
// baseline builds the records an operation touches from the cloud's).
func (w *World) StateOf(given func(e int32, i int) Given) *State {
	st := &State{W: w}
	for e := range w.M.Entities {
		n := w.Count[e]
		st.Exists = append(st.Exists, make([]sym.Lit, n))
		st.Ever = append(st.Ever, make([]sym.Lit, n))
		st.Parents = append(st.Parents, make([][]sym.Scalar, n))
		st.Anc = append(st.Anc, make([][]sym.Scalar, n))
		st.Attrs = append(st.Attrs, make([][]sym.Val, n))
		for i := 0; i < n; i++ {
			g := given(int32(e), i)
			st.Exists[e][i], st.Ever[e][i], st.Parents[e][i], st.Anc[e][i], st.Attrs[e][i] = g.Exists, g.Ever, g.Parents, g.Anc, g.Attrs
		}
	}
	return st
}
