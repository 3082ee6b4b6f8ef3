package solver

import (
	"sort"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/world"
	"pvsc.dev/pvsc/tables"
)

// overlay is the `cloud` the baseline evaluates: the records the operation
// touches are slots of a small symbolic world (their state before or after
// the operation), every other record is read from the Source as constants.
type overlay struct {
	b       *sym.B
	w       *world.World
	st      *world.State
	src     Source
	m       *tables.Model
	extra   [][]Record // per entity: Source records met so far, as slots after the world's
	extraAt []map[string]int32
}

func newOverlay(st *world.State, src Source) *overlay {
	n := len(st.W.M.Entities)
	o := &overlay{b: st.W.B, w: st.W, st: st, src: src, m: st.W.M, extra: make([][]Record, n), extraAt: make([]map[string]int32, n)}
	for e := range o.extraAt {
		o.extraAt[e] = map[string]int32{}
	}
	return o
}

// touched is the world slot holding id, if the operation touches it.
func (o *overlay) touched(e int32, id int64) (int32, bool) { return o.w.SlotOf(e, id) }

// extraSlot is the slot of a Source record, added on first use.
func (o *overlay) extraSlot(e int32, r Record) int32 {
	if i, ok := o.extraAt[e][r.ID()]; ok {
		return i
	}
	i := int32(o.w.Count[e] + len(o.extra[e]))
	o.extra[e] = append(o.extra[e], r)
	o.extraAt[e][r.ID()] = i
	return i
}

func (o *overlay) record(e, slot int32) sym.Val {
	return sym.Val{K: sym.KRec, E: e, R: &sym.Rec{E: e, Alts: []sym.RecAlt{{Slot: slot, L: o.b.T}}}}
}

// touchedRecords are the slots of the records the operation touches.
func (o *overlay) touchedRecords(e int32) []*sym.Elem {
	out := make([]*sym.Elem, 0, len(o.st.Exists[e]))
	for i, ex := range o.st.Exists[e] {
		out = append(out, &sym.Elem{G: ex, V: o.record(e, int32(i))})
	}
	return out
}

// Records lists the touched slots first (all of them, present or not) and,
// when scanned, every other record.
func (o *overlay) Records(e int32) *sym.List {
	return sym.NewLazy(func() []*sym.Elem {
		out := o.touchedRecords(e)
		o.src.Records(e, func(r Record) bool {
			if _, t := o.touched(e, o.b.Dom.Key(r.ID())); !t {
				out = append(out, &sym.Elem{G: o.b.T, V: o.record(e, o.extraSlot(e, r))})
			}
			return true
		})
		return out
	}, nil)
}

// IDs answers membership by lookup; a scan lists every id.
func (o *overlay) IDs(e int32) *sym.List {
	has := func(x sym.Scalar) sym.Lit {
		var ls []sym.Lit
		for _, a := range x {
			if i, ok := o.touched(e, a.Key); ok {
				ls = append(ls, o.b.And(a.L, o.st.Exists[e][i]))
			} else if _, ok := o.src.Record(e, o.b.Dom.Str(a.Key)); ok && a.Key != 0 {
				ls = append(ls, a.L)
			}
		}
		return o.b.Any(ls)
	}
	return sym.NewLazy(func() []*sym.Elem {
		var out []*sym.Elem
		for _, el := range o.Records(e).Elems() {
			id := o.Field(e, el.V.R.Alts[0].Slot, 0)
			out = append(out, &sym.Elem{G: el.G, V: id})
		}
		return out
	}, has)
}

// Lookup finds the record each possible id names.
func (o *overlay) Lookup(e int32, id sym.Scalar) *sym.Rec {
	r := &sym.Rec{E: e}
	for _, a := range id {
		if a.Key == 0 {
			continue
		}
		if i, ok := o.touched(e, a.Key); ok {
			r.Alts = append(r.Alts, sym.RecAlt{Slot: i, L: o.b.And(a.L, o.st.Exists[e][i])})
		} else if rec, ok := o.src.Record(e, o.b.Dom.Str(a.Key)); ok {
			r.Alts = append(r.Alts, sym.RecAlt{Slot: o.extraSlot(e, rec), L: a.L})
		}
	}
	sort.Slice(r.Alts, func(i, j int) bool { return r.Alts[i].Slot < r.Alts[j].Slot })
	return r
}

// Field reads a field of a touched slot (symbolic) or of a Source record (constant).
func (o *overlay) Field(e, slot int32, f int) sym.Val {
	anc := o.m.Entities[e].Ancestors
	switch {
	case f == 0:
		return sym.Str(o.b.Const(o.idKey(e, slot)))
	case f <= len(anc):
		return sym.Str(o.ancestor(e, slot, anc[f-1]))
	}
	a := f - 1 - len(anc)
	if int(slot) < o.w.Count[e] {
		return o.st.Attrs[e][slot][a]
	}
	return constVal(o.b, o.extra[e][int(slot)-o.w.Count[e]].Attr(a), o.m.Entities[e].Attrs[a].Type)
}

func (o *overlay) idKey(e, slot int32) int64 {
	if int(slot) < o.w.Count[e] {
		return o.w.IDs[e][slot]
	}
	return o.b.Dom.Key(o.extra[e][int(slot)-o.w.Count[e]].ID())
}

// ancestor is a record's ancestor of type target: for a touched slot as the
// world has it (fixed at creation, or resolved by the operation's create),
// for a Source record as stored.
func (o *overlay) ancestor(e, slot, target int32) sym.Scalar {
	if int(slot) < o.w.Count[e] {
		return o.st.Ancestor(e, slot, target)
	}
	for k, a := range o.m.Entities[e].Ancestors {
		if a == target {
			return o.b.Const(o.b.Dom.Key(o.extra[e][int(slot)-o.w.Count[e]].Ancestor(k)))
		}
	}
	return o.b.Const(0)
}

// constVal is a Value as a constant of type t.
func constVal(b *sym.B, v Value, t tables.Type) sym.Val {
	switch t.Kind {
	case tables.TBool:
		if v.Bool {
			return sym.Bool(b.T)
		}
		return sym.Bool(b.F)
	case tables.TInt, tables.TEnum:
		return sym.Int(b.Const(v.Int))
	case tables.TList:
		return constList(b, v, t)
	}
	return sym.Str(b.Const(b.Dom.Key(v.Str)))
}

func constList(b *sym.B, v Value, t tables.Type) sym.Val {
	kind := sym.KStr
	keys := make([]int64, 0, len(v.List))
	for _, x := range v.List {
		if t.Elem == tables.TInt || t.Elem == tables.TEnum {
			kind = sym.KInt
			keys = append(keys, x.Int)
		} else {
			keys = append(keys, b.Dom.Key(x.Str))
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var uniq []int64
	var ls []sym.Lit
	for i, k := range keys {
		if i == 0 || k != keys[i-1] {
			uniq, ls = append(uniq, k), append(ls, b.T)
		}
	}
	return sym.ListOf(b.NewSet(kind, uniq, ls))
}
