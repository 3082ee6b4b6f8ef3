package sym

import "sort"

// Alt is one possible value of a scalar: the value is Key when L holds.
type Alt struct {
	Key int64
	L   Lit
}

// Scalar is a string (keys index the Dom) or an int (keys are the values),
// one-hot: exactly one alternative holds. Alternatives are sorted by key.
type Scalar []Alt

func (s Scalar) sorted() Scalar {
	sort.Slice(s, func(i, j int) bool { return s[i].Key < s[j].Key })
	return s
}

// Const is the scalar that is always k.
func (b *B) Const(k int64) Scalar { return Scalar{{Key: k, L: b.T}} }

// Is is the literal "s == k".
func (b *B) Is(s Scalar, k int64) Lit {
	i := sort.Search(len(s), func(i int) bool { return s[i].Key >= k })
	if i < len(s) && s[i].Key == k {
		return s[i].L
	}
	return b.F
}

// Const reports the scalar's value when it has a single alternative.
func (s Scalar) Const() (int64, bool) {
	if len(s) == 1 {
		return s[0].Key, true
	}
	return 0, false
}

// IteS is "c ? x : y" on scalars.
func (b *B) IteS(c Lit, x, y Scalar) Scalar {
	if c == b.T {
		return x
	}
	if c == b.F {
		return y
	}
	out := make(Scalar, 0, len(x)+len(y))
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case j == len(y) || i < len(x) && x[i].Key < y[j].Key:
			out = b.appendAlt(out, x[i].Key, b.And(c, x[i].L))
			i++
		case i == len(x) || y[j].Key < x[i].Key:
			out = b.appendAlt(out, y[j].Key, b.And(c.Not(), y[j].L))
			j++
		default:
			out = b.appendAlt(out, x[i].Key, b.Choice(c, x[i].L, y[j].L))
			i, j = i+1, j+1
		}
	}
	return out
}

func (b *B) appendAlt(s Scalar, k int64, l Lit) Scalar {
	if l == b.F {
		return s
	}
	return append(s, Alt{Key: k, L: l})
}

// EqS is the literal "x == y".
func (b *B) EqS(x, y Scalar) Lit {
	var ls []Lit
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i].Key < y[j].Key:
			i++
		case y[j].Key < x[i].Key:
			j++
		default:
			ls = append(ls, b.And(x[i].L, y[j].L))
			i, j = i+1, j+1
		}
	}
	return b.Any(ls)
}

// Test is the literal "f(s)".
func (b *B) Test(s Scalar, f func(k int64) bool) Lit {
	var ls []Lit
	for _, a := range s {
		if f(a.Key) {
			ls = append(ls, a.L)
		}
	}
	return b.Any(ls)
}

// Rel is the literal "f(x, y)" over every pair of alternatives.
func (b *B) Rel(x, y Scalar, f func(kx, ky int64) bool) Lit {
	var ls []Lit
	for _, a := range x {
		for _, c := range y {
			if f(a.Key, c.Key) {
				ls = append(ls, b.And(a.L, c.L))
			}
		}
	}
	return b.Any(ls)
}

// Map applies f to every alternative: the result is f(s).
func (b *B) Map(s Scalar, f func(k int64) int64) Scalar {
	out := make(Scalar, 0, len(s))
	for _, a := range s {
		out = append(out, Alt{Key: f(a.Key), L: a.L})
	}
	return b.merge(out.sorted())
}

// Apply2 is f(x, y) over every pair of alternatives (int arithmetic).
func (b *B) Apply2(x, y Scalar, f func(kx, ky int64) int64) Scalar {
	var out Scalar
	for _, a := range x {
		for _, c := range y {
			out = append(out, Alt{Key: f(a.Key, c.Key), L: b.And(a.L, c.L)})
		}
	}
	return b.merge(out.sorted())
}

// merge joins alternatives with equal keys of a sorted scalar.
func (b *B) merge(s Scalar) Scalar {
	out := s[:0]
	for _, a := range s {
		if a.L == b.F {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Key == a.Key {
			out[n-1].L = b.Or(out[n-1].L, a.L)
			continue
		}
		out = append(out, a)
	}
	return out
}
