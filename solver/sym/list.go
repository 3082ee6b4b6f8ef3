package sym

import (
	"errors"
	"sort"
)

// Elem is a list element that is present when G holds.
type Elem struct {
	G Lit
	V Val
}

// List is a list of guarded elements. A set list holds constant scalars with
// distinct keys in key order (ids, watchlists, list attributes), which makes
// membership a lookup. A lazy list computes its elements only when scanned and
// answers membership through has.
type List struct {
	elems []*Elem
	set   bool
	lazy  func() []*Elem
	has   func(x Scalar) Lit
}

// NewList makes a list from guarded elements.
func NewList(elems []*Elem) *List { return &List{elems: elems} }

// NewSet makes a set list: key keys[i] is a member when ls[i] holds. Keys must be sorted and distinct.
func (b *B) NewSet(kind Kind, keys []int64, ls []Lit) *List {
	l := &List{set: true}
	for i, k := range keys {
		if ls[i] != b.F {
			l.elems = append(l.elems, &Elem{G: ls[i], V: Val{K: kind, S: b.Const(k)}})
		}
	}
	return l
}

// NewLazy makes a list whose elements are computed on the first scan; has answers membership without a scan.
func NewLazy(elems func() []*Elem, has func(x Scalar) Lit) *List {
	return &List{lazy: elems, has: has}
}

// Elems returns the guarded elements.
func (l *List) Elems() []*Elem {
	if l.lazy != nil {
		l.elems, l.lazy = l.lazy(), nil
	}
	return l.elems
}

// IsSet reports whether the list is a set of constant keys.
func (l *List) IsSet() bool { return l.set }

// Has is the literal "x in l".
func (b *B) Has(l *List, x Val) (Lit, error) {
	if l.has != nil && (x.K == KStr || x.K == KInt) {
		return l.has(x.S), nil
	}
	if l.set && (x.K == KStr || x.K == KInt) {
		return b.hasKey(l, x.S), nil
	}
	var ls []Lit
	for _, e := range l.Elems() {
		eq, err := b.Eq(x, e.V)
		if err != nil {
			return b.F, err
		}
		ls = append(ls, b.And(e.G, eq))
	}
	return b.Any(ls), nil
}

func (b *B) hasKey(l *List, x Scalar) Lit {
	var ls []Lit
	for _, a := range x {
		i := sort.Search(len(l.elems), func(i int) bool { return l.elems[i].V.S[0].Key >= a.Key })
		if i < len(l.elems) && l.elems[i].V.S[0].Key == a.Key {
			ls = append(ls, b.And(a.L, l.elems[i].G))
		}
	}
	return b.Any(ls)
}

// Count is the number of present elements, as an int scalar.
func (b *B) Count(l *List) Scalar {
	counts := []Lit{b.T} // counts[k]: exactly k present so far
	for _, e := range l.Elems() {
		next := make([]Lit, len(counts)+1)
		for k := range next {
			stay, step := b.F, b.F
			if k < len(counts) {
				stay = b.And(counts[k], e.G.Not())
			}
			if k > 0 {
				step = b.And(counts[k-1], e.G)
			}
			next[k] = b.Or(stay, step)
		}
		if e.G == b.F {
			next = next[:len(counts)]
		}
		counts = trimF(b, next)
	}
	var s Scalar
	for k, c := range counts {
		s = b.appendAlt(s, int64(k), c)
	}
	return s
}

func trimF(b *B, ls []Lit) []Lit {
	for len(ls) > 1 && ls[len(ls)-1] == b.F {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// Concat is l ++ r.
func (b *B) Concat(l, r *List) *List {
	out := append(append([]*Elem(nil), l.Elems()...), r.Elems()...)
	return &List{elems: out}
}

// IteList is "c ? x : y" on lists. Sets merge key by key; other lists keep
// their common prefix (a comprehension's accumulator) once and guard the rest.
func (b *B) IteList(c Lit, x, y *List) *List {
	if x.set && y.set {
		return b.iteSet(c, x, y)
	}
	xe, ye := x.Elems(), y.Elems()
	n := 0
	for n < len(xe) && n < len(ye) && xe[n] == ye[n] {
		n++
	}
	out := append([]*Elem(nil), xe[:n]...)
	for _, e := range xe[n:] {
		if g := b.And(c, e.G); g != b.F {
			out = append(out, &Elem{G: g, V: e.V})
		}
	}
	for _, e := range ye[n:] {
		if g := b.And(c.Not(), e.G); g != b.F {
			out = append(out, &Elem{G: g, V: e.V})
		}
	}
	return &List{elems: out}
}

func (b *B) iteSet(c Lit, x, y *List) *List {
	out := &List{set: true}
	xe, ye := x.Elems(), y.Elems()
	i, j := 0, 0
	add := func(e *Elem, g Lit) {
		if g != b.F {
			out.elems = append(out.elems, &Elem{G: g, V: e.V})
		}
	}
	for i < len(xe) || j < len(ye) {
		switch {
		case j == len(ye) || i < len(xe) && xe[i].V.S[0].Key < ye[j].V.S[0].Key:
			add(xe[i], b.And(c, xe[i].G))
			i++
		case i == len(xe) || ye[j].V.S[0].Key < xe[i].V.S[0].Key:
			add(ye[j], b.And(c.Not(), ye[j].G))
			j++
		default:
			add(xe[i], b.Choice(c, xe[i].G, ye[j].G))
			i, j = i+1, j+1
		}
	}
	return out
}

// eqList compares lists of fixed length element-wise (pairs such as `[a, b]`).
func (b *B) eqList(x, y *List) (Lit, error) {
	xe, ye := x.Elems(), y.Elems()
	if !b.fixed(xe) || !b.fixed(ye) {
		return b.F, errors.New("comparing lists whose length is not fixed")
	}
	if len(xe) != len(ye) {
		return b.F, nil
	}
	ls := make([]Lit, len(xe))
	for i := range xe {
		eq, err := b.Eq(xe[i].V, ye[i].V)
		if err != nil {
			return b.F, err
		}
		ls[i] = eq
	}
	return b.All(ls), nil
}

func (b *B) fixed(es []*Elem) bool {
	for _, e := range es {
		if e.G != b.T {
			return false
		}
	}
	return true
}
