// Package world encodes a bounded cloud symbolically: record slots, their state, operations and their effects (SEMANTICS §1–3, §5).
package world

import (
	"fmt"
	"sort"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/symcel"
	"pvsc.dev/pvsc/tables"
)

// Other is the string that stands for every id and string the bounded scope does not name.
const Other = "other"

// World is a bounded scope: a fixed number of record slots per entity, each
// with a fixed id, and the finite domains values range over.
type World struct {
	B     *sym.B
	M     *tables.Model
	Names *symcel.Names
	// Count is the number of slots per entity; IDs their ids (domain keys).
	Count []int
	IDs   [][]int64
	// Events are the events operations may be; the others never occur.
	Events []int32
	// Fresh: created ids are new (never created before) and operations name
	// only records that were created, like UUIDs; otherwise ids may be reused.
	Fresh bool
	// Redeliver: with Fresh, a create may also name a record that exists (a
	// re-delivery, which acts as an update): faithfully, repeating its
	// attributes and known parents, and naming parents it did not know.
	Redeliver bool
	// Where are the events' guards, compiled; nil when an event has none.
	Where []*symcel.Program
	// NeedAttr and NeedParam say which attributes and parameters can matter;
	// the others stay zero and absent (nil: all matter).
	NeedAttr  func(e int32, a int) bool
	NeedParam func(ev int32, i int) bool
	Critical  func(ev int32) bool

	slot    map[int64]slotRef
	consts  []int64
	strs    []int64
	ints    []int64
	other   int64
	paths   map[[2]int32][][]int32
	anc     [][]int
	evIndex []bool
	cfg     Config
	sorted  bool
	bySort  map[int][]int64
}

type slotRef struct{ e, i int32 }

// Config says how big a world is and what it may contain.
type Config struct {
	Count   []int      // slots per entity
	IDs     [][]string // slot ids per entity; nil: entity name plus number
	Events  []int32    // events in play
	Strings []string   // string constants of the expressions
	Ints    []int64    // int constants of the expressions
	Fresh   bool
	// Redeliver admits faithful re-deliveries of creates (with Fresh).
	Redeliver bool
	// NeedAttr and NeedParam, when set, say which attributes and parameters can matter.
	NeedAttr  func(e int32, a int) bool
	NeedParam func(ev int32, i int) bool
	// Critical, when set, says which events are critical for the property: their required
	// parameters are always given (without one, the fail mode decides, SEMANTICS §7).
	Critical func(ev int32) bool
	// Names, when set, is the model's name index (else it is built).
	Names *symcel.Names
	// Sorts, when set, says which strings each value may be: "", the
	// constants of its sort, the slot ids of the entities its sort holds,
	// and Other. Without, a string may be any string the world knows.
	Sorts *symcel.Sorts
}

// New builds a world: slot ids are entity name plus number ("port1").
func New(b *sym.B, m *tables.Model, cfg Config) *World {
	names := cfg.Names
	if names == nil {
		names = symcel.NewNames(m)
	}
	w := &World{B: b, M: m, Names: names, Count: cfg.Count, Events: cfg.Events, Fresh: cfg.Fresh, Redeliver: cfg.Redeliver, NeedAttr: cfg.NeedAttr, NeedParam: cfg.NeedParam, Critical: cfg.Critical,
		slot: map[int64]slotRef{}, paths: map[[2]int32][][]int32{}, evIndex: make([]bool, len(m.Events))}
	for _, ev := range cfg.Events {
		w.evIndex[ev] = true
	}
	w.Where = make([]*symcel.Program, len(m.Events))
	for e := range m.Entities {
		var ids []int64
		for i := 0; i < cfg.Count[e]; i++ {
			name := fmt.Sprintf("%s%d", m.Entities[e].Name, i+1)
			if cfg.IDs != nil {
				name = cfg.IDs[e][i]
			}
			k := b.Dom.Key(name)
			ids = append(ids, k)
			w.slot[k] = slotRef{e: int32(e), i: int32(i)}
		}
		w.IDs = append(w.IDs, ids)
	}
	w.cfg = cfg
	w.anc = make([][]int, len(m.Entities))
	for e := range m.Entities {
		w.anc[e] = make([]int, len(m.Entities))
		for a := range w.anc[e] {
			w.anc[e][a] = -1
		}
		for k, a := range m.Entities[e].Ancestors {
			w.anc[e][a] = k
		}
	}
	return w
}

// ancPos is the position of ancestor type a among entity e's ancestors, -1 when it is not one.
func (w *World) ancPos(e, a int32) int { return w.anc[e][a] }

// sorts interns the constants and lists the domains, on first use (the
// baseline, which never chooses values, does without).
func (w *World) sorts() {
	if w.sorted {
		return
	}
	w.sorted = true
	cfg := w.cfg
	d := w.B.Dom
	for _, s := range cfg.Strings {
		if k := d.Key(s); k != 0 {
			if _, isID := w.slot[k]; !isID {
				w.consts = append(w.consts, k)
			}
		}
	}
	w.other = d.Key(Other)
	w.consts = uniq(w.consts)
	for k := 0; k < d.Len(); k++ {
		w.strs = append(w.strs, int64(k))
	}
	ints := []int64{0}
	for _, c := range cfg.Ints {
		ints = append(ints, c-1, c, c+1)
	}
	w.ints = uniq(ints)
}

func uniq(ks []int64) []int64 {
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	out := ks[:0]
	for i, k := range ks {
		if i == 0 || k != ks[i-1] {
			out = append(out, k)
		}
	}
	return out
}

// InPlay reports whether an event may occur.
func (w *World) InPlay(ev int32) bool { return w.evIndex[ev] }

// SlotOf finds the slot whose id is key, if any.
func (w *World) SlotOf(e int32, key int64) (int32, bool) {
	r, ok := w.slot[key]
	return r.i, ok && r.e == e
}

// Sort lists the keys a value of type t (or a list's element) may take.
func (w *World) Sort(t tables.Type) []int64 {
	w.sorts()
	kind := t.Kind
	if kind == tables.TList {
		kind = t.Elem
	}
	switch kind {
	case tables.TInt:
		return w.ints
	case tables.TEnum:
		var out []int64
		for i := range w.M.Enums[t.Ref].Values {
			out = append(out, int64(i))
		}
		return out
	case tables.TRef:
		return w.RefSort(t.Ref)
	}
	return w.strs
}

// RefSort lists what an id of entity e may be: "", the slots' ids, the
// string constants (of its sort), and Other. Ids of other entities are not
// among them even when an expression compares them (ids are UUIDs).
func (w *World) RefSort(e int32) []int64 {
	if w.cfg.Sorts != nil {
		w.sorts()
		consts, _ := w.cfg.Sorts.Members(w.cfg.Sorts.Entity(e))
		out := append([]int64{0, w.other}, w.IDs[e]...)
		for _, c := range consts {
			out = append(out, w.B.Dom.Key(c))
		}
		return uniq(out)
	}
	w.sorts()
	out := append([]int64{0}, w.IDs[e]...)
	out = append(out, w.consts...)
	return uniq(append(out, w.other))
}

// SortKeys lists what a string of sort x may be: "", its constants, the slot
// ids of the entities it holds, and Other.
func (w *World) SortKeys(x int) []int64 {
	w.sorts()
	root := w.cfg.Sorts.Root(x)
	if keys, ok := w.bySort[root]; ok {
		return keys
	}
	consts, ents := w.cfg.Sorts.Members(x)
	out := []int64{0, w.other}
	for _, c := range consts {
		out = append(out, w.B.Dom.Key(c))
	}
	for _, e := range ents {
		out = append(out, w.IDs[e]...)
	}
	out = uniq(out)
	if w.bySort == nil {
		w.bySort = map[int][]int64{}
	}
	w.bySort[root] = out
	return out
}

// sortFor is what a value of type t whose strings are of sort x may be (x < 0: by type alone).
func (w *World) sortFor(t tables.Type, x int) []int64 {
	kind := t.Kind
	if kind == tables.TList {
		kind = t.Elem
	}
	if w.cfg.Sorts != nil && x >= 0 && kind == tables.TString {
		return w.SortKeys(x)
	}
	return w.Sort(t)
}

// FreshVal is a new unconstrained value of type t.
func (w *World) FreshVal(t tables.Type) sym.Val { return w.freshOf(t, w.Sort(t)) }

// AttrVal is a new unconstrained value of attribute a of entity e.
func (w *World) AttrVal(e int32, a int) sym.Val {
	t := w.M.Entities[e].Attrs[a].Type
	x := -1
	if w.cfg.Sorts != nil {
		x = w.cfg.Sorts.Attr(e, a)
	}
	return w.freshOf(t, w.sortFor(t, x))
}

// ParamVal is a new unconstrained value of parameter i of event ev.
func (w *World) ParamVal(ev int32, i int) sym.Val {
	t := w.M.Events[ev].Params[i].Type
	x := -1
	if w.cfg.Sorts != nil {
		x = w.cfg.Sorts.Param(ev, i)
	}
	return w.freshOf(t, w.sortFor(t, x))
}

func (w *World) freshOf(t tables.Type, keys []int64) sym.Val {
	b := w.B
	switch t.Kind {
	case tables.TBool:
		return sym.Bool(b.Lit())
	case tables.TList:
		ls := make([]sym.Lit, len(keys))
		for i := range ls {
			ls[i] = b.Lit()
		}
		return sym.ListOf(b.NewSet(symcel.ValueKind(tables.Type{Kind: t.Elem}), keys, ls))
	}
	return sym.Val{K: symcel.ValueKind(t), S: b.Fresh(keys)}
}

// Zero is the zero value of type t.
func (w *World) Zero(t tables.Type) sym.Val { return symcel.Zero(w.B, t) }

// ParentType is the entity of parent pi of entity e.
func (w *World) ParentType(e int32, pi int) int32 { return w.M.Entities[e].Parents[pi] }

func (w *World) needAttr(e int32, a int) bool { return w.NeedAttr == nil || w.NeedAttr(e, a) }

func (w *World) needParam(ev int32, i int) bool { return w.NeedParam == nil || w.NeedParam(ev, i) }
