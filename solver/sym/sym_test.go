package sym

import (
	"testing"

	"github.com/go-air/gini"
	"github.com/stretchr/testify/assert"
)

// Every assignment of a fresh scalar's bits means exactly one key, and every key is reachable.
func TestFreshIsExactlyOne(t *testing.T) {
	b := New(NewDom())
	s := b.Fresh([]int64{3, 5, 8, 13, 21})
	g := gini.New()
	var roots []Lit
	for _, a := range s {
		roots = append(roots, a.L)
	}
	b.ToCnfFrom(g, roots...)
	seen := map[int64]bool{}
	for _, a := range s {
		g.Assume(a.L)
		if assert.Equal(t, 1, g.Solve(), "key %d unreachable", a.Key) {
			seen[a.Key] = true
			for _, o := range s {
				assert.Equal(t, o.Key == a.Key, g.Value(o.L))
			}
		}
	}
	assert.Len(t, seen, 5)
	g.Assume(b.Is(s, 4))
	assert.Equal(t, -1, g.Solve(), "4 is not a key")
}

func TestCountAndIteList(t *testing.T) {
	b := New(NewDom())
	x, y := b.Lit(), b.Lit()
	l := NewList([]*Elem{{G: b.T, V: Int(b.Const(1))}, {G: x, V: Int(b.Const(2))}, {G: y, V: Int(b.Const(3))}})
	n := b.Count(l)
	g := gini.New()
	b.ToCnfFrom(g, b.Is(n, 2))
	g.Assume(x, y.Not())
	assert.Equal(t, 1, g.Solve())
	assert.True(t, g.Value(b.Is(n, 2)))
	// A comprehension's step keeps the accumulator as a shared prefix: no duplication.
	acc := NewList([]*Elem{{G: b.T, V: Int(b.Const(1))}})
	grown := b.Concat(acc, NewList([]*Elem{{G: b.T, V: Int(b.Const(2))}}))
	assert.Len(t, b.IteList(x, grown, acc).Elems(), 2)
}
