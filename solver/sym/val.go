package sym

import (
	"errors"
	"fmt"
)

// Kind is the kind of a symbolic value.
type Kind uint8

// Value kinds. Obj is an operation (fields by parameter index), Cloud the
// `cloud` view, Map an entity's records by id, Index its records by a field.
const (
	KBool Kind = iota + 1
	KStr
	KInt
	KList
	KRec
	KObj
	KCloud
	KMap
	KDict
	KIndex
)

// Val is a symbolic value.
type Val struct {
	K Kind
	B Lit    // KBool
	S Scalar // KStr, KInt
	L *List  // KList
	R *Rec   // KRec
	O []Val  // KObj: the operation's parameters after fill-in
	H []Lit  // KObj: whether each parameter was given (has(op.x))
	D *Dict  // KDict
	E int32  // KRec, KMap, KIndex: the entity; KObj: the event
	F int32  // KIndex: the indexed field
}

// Bool wraps a literal.
func Bool(l Lit) Val { return Val{K: KBool, B: l} }

// Str wraps a string scalar.
func Str(s Scalar) Val { return Val{K: KStr, S: s} }

// Int wraps an int scalar.
func Int(s Scalar) Val { return Val{K: KInt, S: s} }

// ListOf wraps a list.
func ListOf(l *List) Val { return Val{K: KList, L: l} }

// RecAlt is one possible record: the value is slot Slot when L holds.
type RecAlt struct {
	Slot int32
	L    Lit
}

// Rec is a record of entity E chosen among slots: at most one alternative
// holds, and when none does the record is missing and reads as zero values.
type Rec struct {
	E    int32
	Alts []RecAlt
}

// Found is the literal "the record exists".
func (b *B) Found(r *Rec) Lit {
	ls := make([]Lit, len(r.Alts))
	for i, a := range r.Alts {
		ls[i] = a.L
	}
	return b.Any(ls)
}

// Select reads a field through a record: field(slot) for the slot that holds, zero when missing.
func (b *B) Select(r *Rec, field func(slot int32) Val, zero Val) Val {
	v := zero
	for i := len(r.Alts) - 1; i >= 0; i-- {
		a := r.Alts[i]
		v = b.Ite(a.L, field(a.Slot), v)
	}
	return v
}

// Ite is "c ? x : y" on values of the same kind.
func (b *B) Ite(c Lit, x, y Val) Val {
	if c == b.T {
		return x
	}
	if c == b.F {
		return y
	}
	switch x.K {
	case KBool:
		return Bool(b.Choice(c, x.B, y.B))
	case KStr, KInt:
		return Val{K: x.K, S: b.IteS(c, x.S, y.S)}
	case KList:
		return ListOf(b.IteList(c, x.L, y.L))
	case KRec:
		return Val{K: KRec, E: x.E, R: b.iteRec(c, x.R, y.R)}
	case KObj:
		out := Val{K: KObj, E: x.E, O: make([]Val, len(x.O))}
		for i := range x.O {
			out.O[i] = b.Ite(c, x.O[i], y.O[i])
		}
		if x.H != nil && y.H != nil {
			out.H = make([]Lit, len(x.H))
			for i := range x.H {
				out.H[i] = b.Choice(c, x.H[i], y.H[i])
			}
		}
		return out
	}
	panic(fmt.Sprintf("sym: ite on kind %d", x.K))
}

func (b *B) iteRec(c Lit, x, y *Rec) *Rec {
	out := &Rec{E: x.E}
	i, j := 0, 0
	for i < len(x.Alts) || j < len(y.Alts) {
		switch {
		case j == len(y.Alts) || i < len(x.Alts) && x.Alts[i].Slot < y.Alts[j].Slot:
			out.add(b, x.Alts[i].Slot, b.And(c, x.Alts[i].L))
			i++
		case i == len(x.Alts) || y.Alts[j].Slot < x.Alts[i].Slot:
			out.add(b, y.Alts[j].Slot, b.And(c.Not(), y.Alts[j].L))
			j++
		default:
			out.add(b, x.Alts[i].Slot, b.Choice(c, x.Alts[i].L, y.Alts[j].L))
			i, j = i+1, j+1
		}
	}
	return out
}

func (r *Rec) add(b *B, slot int32, l Lit) {
	if l != b.F {
		r.Alts = append(r.Alts, RecAlt{Slot: slot, L: l})
	}
}

// Eq is "x == y" for booleans, scalars and lists (element-wise, for pairs).
func (b *B) Eq(x, y Val) (Lit, error) {
	switch x.K {
	case KBool:
		return b.Iff(x.B, y.B), nil
	case KStr, KInt:
		return b.EqS(x.S, y.S), nil
	case KList:
		return b.eqList(x.L, y.L)
	}
	return b.F, fmt.Errorf("comparing values of kind %d", x.K)
}

// Dict is a map literal: entry i maps Keys[i] to Vals[i].
type Dict struct {
	Keys, Vals []Val
}

// KeyList is the map's keys as a list.
func (d *Dict) KeyList(b *B) *List {
	es := make([]*Elem, len(d.Keys))
	for i, k := range d.Keys {
		es[i] = &Elem{G: b.T, V: k}
	}
	return NewList(es)
}

// Lookup is d[key]. A missing key is an error in CEL; expressions guard
// against it (`k in m && m[k] ...`), so it reads as the first value here, and
// the guard decides.
func (b *B) Lookup(d *Dict, key Val) (Val, error) {
	if len(d.Vals) == 0 {
		return Val{}, errors.New("indexing an empty map")
	}
	v := d.Vals[0]
	for i := len(d.Keys) - 1; i >= 1; i-- {
		eq, err := b.Eq(key, d.Keys[i])
		if err != nil {
			return v, err
		}
		v = b.Ite(eq, d.Vals[i], v)
	}
	return v, nil
}
