// Package sym builds symbolic values on gini and-inverter graphs: one-hot scalars, guarded lists and records.
package sym

import (
	"github.com/go-air/gini/logic"
	"github.com/go-air/gini/z"
)

// Lit is a literal of the circuit (and of the solver it is written to).
type Lit = z.Lit

// B builds circuits and values. The circuit folds constants and hashes
// structure, so values computed from constants cost nothing.
type B struct {
	*logic.C
	Dom *Dom
}

// New returns a builder over a string domain.
func New(dom *Dom) *B { return NewSized(dom, 1<<12) }

// NewSized returns a builder whose circuit starts with room for n nodes.
func NewSized(dom *Dom, n int) *B { return &B{C: logic.NewCCap(n), Dom: dom} }

// All is the conjunction of ls, built as a balanced tree (deep chains make CNF conversion recurse deeply).
func (b *B) All(ls []Lit) Lit {
	switch len(ls) {
	case 0:
		return b.T
	case 1:
		return ls[0]
	}
	h := len(ls) / 2
	return b.And(b.All(ls[:h]), b.All(ls[h:]))
}

// Any is the disjunction of ls, built as a balanced tree.
func (b *B) Any(ls []Lit) Lit {
	switch len(ls) {
	case 0:
		return b.F
	case 1:
		return ls[0]
	}
	h := len(ls) / 2
	return b.Or(b.Any(ls[:h]), b.Any(ls[h:]))
}

// Iff is a literal equivalent to x == y.
func (b *B) Iff(x, y Lit) Lit { return b.Xor(x, y).Not() }

// Fresh returns a new scalar ranging over keys, in binary: every assignment
// of its bits means exactly one key, so no at-most-one clauses are needed.
func (b *B) Fresh(keys []int64) Scalar {
	if len(keys) == 1 {
		return Scalar{{Key: keys[0], L: b.T}}
	}
	n := 0
	for 1<<uint(n) < len(keys) {
		n++
	}
	bits := make([]Lit, n)
	for i := range bits {
		bits[i] = b.Lit()
	}
	out := make(Scalar, len(keys))
	for i, k := range keys {
		out[i] = Alt{Key: k, L: b.code(bits, i)}
	}
	// Codes beyond the keys also mean the last key.
	for code := len(keys); code < 1<<uint(n); code++ {
		out[len(keys)-1].L = b.Or(out[len(keys)-1].L, b.code(bits, code))
	}
	return out.sorted()
}

func (b *B) code(bits []Lit, code int) Lit {
	ls := make([]Lit, len(bits))
	for i, x := range bits {
		if code&(1<<uint(i)) != 0 {
			ls[i] = x
		} else {
			ls[i] = x.Not()
		}
	}
	return b.All(ls)
}
