package symcel

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/common/ast"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/tables/celenv"
)

func (x *evaluator) call(c ast.CallExpr, sc *scope) (sym.Val, error) {
	switch c.FunctionName() {
	case "_&&_", "_||_":
		return x.logical(c, sc)
	case "_?_:_":
		return x.conditional(c, sc)
	}
	args, err := x.args(c, sc)
	if err != nil {
		return sym.Val{}, err
	}
	return x.apply(c.FunctionName(), args)
}

func (x *evaluator) args(c ast.CallExpr, sc *scope) ([]sym.Val, error) {
	es := c.Args()
	if c.IsMemberFunction() {
		es = append([]ast.Expr{c.Target()}, es...)
	}
	out := make([]sym.Val, len(es))
	for i, e := range es {
		v, err := x.eval(e, sc)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (x *evaluator) logical(c ast.CallExpr, sc *scope) (sym.Val, error) {
	args, err := x.args(c, sc)
	if err != nil {
		return sym.Val{}, err
	}
	if c.FunctionName() == "_&&_" {
		return sym.Bool(x.b().And(args[0].B, args[1].B)), nil
	}
	return sym.Bool(x.b().Or(args[0].B, args[1].B)), nil
}

func (x *evaluator) conditional(c ast.CallExpr, sc *scope) (sym.Val, error) {
	args, err := x.args(c, sc)
	if err != nil {
		return sym.Val{}, err
	}
	return x.b().Ite(args[0].B, args[1], args[2]), nil
}

func (x *evaluator) apply(fn string, a []sym.Val) (sym.Val, error) {
	b := x.b()
	switch fn {
	case "!_":
		return sym.Bool(a[0].B.Not()), nil
	case "@not_strictly_false":
		return a[0], nil
	case "_==_", "_!=_":
		eq, err := b.Eq(a[0], a[1])
		if fn == "_!=_" {
			eq = eq.Not()
		}
		return sym.Bool(eq), err
	case "_<_", "_<=_", "_>_", "_>=_":
		return x.compare(fn, a[0], a[1])
	case "@in":
		return x.in(a[0], a[1])
	case "startsWith", "endsWith", "contains":
		return x.stringTest(fn, a[0], a[1])
	case "size":
		return x.size(a[0])
	case "_[_]":
		return x.index(a[0], a[1])
	case celenv.FnFlatten:
		return x.flatten(a[0])
	case "_+_", "_-_":
		return x.arith(fn, a[0], a[1])
	}
	return sym.Val{}, fmt.Errorf("function %s is not supported", fn)
}

func (x *evaluator) compare(fn string, l, r sym.Val) (sym.Val, error) {
	var less func(a, b int64) int
	switch l.K {
	case sym.KInt:
		less = func(a, b int64) int { return cmpInt(a, b) }
	case sym.KStr:
		dom := x.b().Dom
		less = func(a, b int64) int { return strings.Compare(dom.Str(a), dom.Str(b)) }
	default:
		return sym.Val{}, fmt.Errorf("%s on values that are not ints or strings", fn)
	}
	ok := map[string]func(int) bool{
		"_<_": func(c int) bool { return c < 0 }, "_<=_": func(c int) bool { return c <= 0 },
		"_>_": func(c int) bool { return c > 0 }, "_>=_": func(c int) bool { return c >= 0 },
	}[fn]
	return sym.Bool(x.b().Rel(l.S, r.S, func(a, b int64) bool { return ok(less(a, b)) })), nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (x *evaluator) in(el, coll sym.Val) (sym.Val, error) {
	switch coll.K {
	case sym.KList:
		l, err := x.b().Has(coll.L, el)
		return sym.Bool(l), err
	case sym.KMap:
		l, err := x.b().Has(x.env.Cloud.IDs(coll.E), el)
		return sym.Bool(l), err
	case sym.KDict:
		l, err := x.b().Has(coll.D.KeyList(x.b()), el)
		return sym.Bool(l), err
	case sym.KIndex:
		recs, err := x.indexed(coll, el)
		if err != nil {
			return sym.Val{}, err
		}
		var gs []sym.Lit
		for _, e := range recs.Elems() {
			gs = append(gs, e.G)
		}
		return sym.Bool(x.b().Any(gs)), nil
	}
	return sym.Val{}, fmt.Errorf("`in` on a value that is not a list or map")
}

func (x *evaluator) stringTest(fn string, s, arg sym.Val) (sym.Val, error) {
	dom := x.b().Dom
	test := map[string]func(a, b string) bool{
		"startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix, "contains": strings.Contains,
	}[fn]
	return sym.Bool(x.b().Rel(s.S, arg.S, func(a, b int64) bool { return test(dom.Str(a), dom.Str(b)) })), nil
}

func (x *evaluator) size(v sym.Val) (sym.Val, error) {
	switch v.K {
	case sym.KList:
		return sym.Int(x.b().Count(v.L)), nil
	case sym.KStr:
		dom := x.b().Dom
		return sym.Int(x.b().Map(v.S, func(k int64) int64 { return int64(len(dom.Str(k))) })), nil
	}
	return sym.Val{}, fmt.Errorf("size of a value that is not a list or string")
}

func (x *evaluator) index(coll, key sym.Val) (sym.Val, error) {
	switch coll.K {
	case sym.KMap:
		return sym.Val{K: sym.KRec, E: coll.E, R: x.env.Cloud.Lookup(coll.E, key.S)}, nil
	case sym.KDict:
		return x.b().Lookup(coll.D, key)
	case sym.KIndex:
		l, err := x.indexed(coll, key)
		return sym.ListOf(l), err
	}
	k, ok := key.S.Const()
	if coll.K != sym.KList || key.K != sym.KInt || !ok {
		return sym.Val{}, fmt.Errorf("indexing is supported on by_id maps and on lists with a constant index")
	}
	es := coll.L.Elems()
	if k < 0 || int(k) >= len(es) {
		return sym.Val{}, fmt.Errorf("index %d out of range", k)
	}
	for _, e := range es[:k+1] {
		if e.G != x.b().T {
			return sym.Val{}, fmt.Errorf("indexing a list whose length is not fixed")
		}
	}
	return es[k].V, nil
}

func (x *evaluator) arith(fn string, l, r sym.Val) (sym.Val, error) {
	switch {
	case l.K == sym.KList && fn == "_+_":
		return sym.ListOf(x.b().Concat(l.L, r.L)), nil
	case l.K == sym.KInt && fn == "_+_":
		return sym.Int(x.b().Apply2(l.S, r.S, func(a, b int64) int64 { return a + b })), nil
	case l.K == sym.KInt:
		return sym.Int(x.b().Apply2(l.S, r.S, func(a, b int64) int64 { return a - b })), nil
	}
	return sym.Val{}, fmt.Errorf("%s on strings is not supported (the string domain is finite)", fn)
}

// flatten joins a list of lists: an inner element is there when its list is and it is in it.
func (x *evaluator) flatten(v sym.Val) (sym.Val, error) {
	if v.K != sym.KList {
		return v, fmt.Errorf("flatten of a value that is not a list")
	}
	var out []*sym.Elem
	for _, outer := range v.L.Elems() {
		if outer.V.K != sym.KList {
			return v, fmt.Errorf("flatten of a list whose elements are not lists")
		}
		for _, inner := range outer.V.L.Elems() {
			if g := x.b().And(outer.G, inner.G); g != x.b().F {
				out = append(out, &sym.Elem{G: g, V: inner.V})
			}
		}
	}
	return sym.ListOf(sym.NewList(out)), nil
}
