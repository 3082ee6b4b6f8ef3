package compiler

import (
	"fmt"
	"strconv"
	"strings"

	"cel.dev/cel-go/common"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/parser"
)

// term is a CEL expression as derive rewrites it: parsed without macros, so `l.all(x, p)`
// stays a member call and a rewrite builds new text without CEL's expanded loops.
type term struct {
	kind    termKind
	name    string  // identifier, selected field, or function
	recv    *term   // operand of a select, target of a member call
	args    []*term // call arguments, list elements, map keys and values in turn
	lit     string  // a literal as CEL text
	boolean int8    // for a literal bool: 1 true, -1 false
}

type termKind uint8

const (
	tIdent termKind = iota + 1
	tSelect
	tCall
	tLit
	tList
	tMap
)

// parseTerm reads a CEL expression into a term.
func parseTerm(src string) (*term, error) {
	p, err := parser.NewParser(parser.EnableOptionalSyntax(false))
	if err != nil {
		return nil, err
	}
	a, iss := p.Parse(common.NewTextSource(src))
	if iss != nil && len(iss.GetErrors()) > 0 {
		return nil, fmt.Errorf("%s", iss.ToDisplayString())
	}
	return fromCEL(a.Expr())
}

func fromCEL(x celast.Expr) (*term, error) {
	switch x.Kind() {
	case celast.IdentKind:
		return &term{kind: tIdent, name: x.AsIdent()}, nil
	case celast.SelectKind:
		s := x.AsSelect()
		if s.IsTestOnly() {
			return nil, fmt.Errorf("has() is not supported here")
		}
		op, err := fromCEL(s.Operand())
		return &term{kind: tSelect, name: s.FieldName(), recv: op}, err
	case celast.LiteralKind:
		return celLiteral(x.AsLiteral())
	case celast.ListKind:
		t := &term{kind: tList}
		for _, e := range x.AsList().Elements() {
			a, err := fromCEL(e)
			if err != nil {
				return nil, err
			}
			t.args = append(t.args, a)
		}
		return t, nil
	case celast.MapKind:
		t := &term{kind: tMap}
		for _, e := range x.AsMap().Entries() {
			me := e.AsMapEntry()
			k, err := fromCEL(me.Key())
			if err != nil {
				return nil, err
			}
			v, err := fromCEL(me.Value())
			if err != nil {
				return nil, err
			}
			t.args = append(t.args, k, v)
		}
		return t, nil
	case celast.CallKind:
		c := x.AsCall()
		t := &term{kind: tCall, name: c.FunctionName()}
		if c.IsMemberFunction() {
			r, err := fromCEL(c.Target())
			if err != nil {
				return nil, err
			}
			t.recv = r
		}
		for _, e := range c.Args() {
			a, err := fromCEL(e)
			if err != nil {
				return nil, err
			}
			t.args = append(t.args, a)
		}
		return t, nil
	}
	return nil, fmt.Errorf("unsupported expression kind %v", x.Kind())
}

func celLiteral(v any) (*term, error) {
	switch x := v.(type) {
	case types.Bool:
		if x {
			return tTrue(), nil
		}
		return tFalse(), nil
	case types.String:
		return &term{kind: tLit, lit: strconv.Quote(string(x))}, nil
	case types.Int:
		return &term{kind: tLit, lit: strconv.FormatInt(int64(x), 10)}, nil
	case types.Uint:
		return &term{kind: tLit, lit: strconv.FormatUint(uint64(x), 10) + "u"}, nil
	case types.Double:
		return &term{kind: tLit, lit: strconv.FormatFloat(float64(x), 'g', -1, 64)}, nil
	case types.Null:
		return &term{kind: tLit, lit: "null"}, nil
	}
	return nil, fmt.Errorf("unsupported literal %v", v)
}

func tTrue() *term  { return &term{kind: tLit, lit: "true", boolean: 1} }
func tFalse() *term { return &term{kind: tLit, lit: "false", boolean: -1} }
func tStr(s string) *term {
	return &term{kind: tLit, lit: strconv.Quote(s)}
}
func tId(n string) *term             { return &term{kind: tIdent, name: n} }
func tSel(r *term, f string) *term   { return &term{kind: tSelect, name: f, recv: r} }
func tFn(f string, a ...*term) *term { return &term{kind: tCall, name: f, args: a} }
func tMember(r *term, f string, a ...*term) *term {
	return fold(&term{kind: tCall, name: f, recv: r, args: a})
}
func tCloud(field string) *term    { return tSel(tId("cloud"), field) }
func tIndex(m, k *term) *term      { return tFn(operators.Index, m, k) }
func tOp(param string) *term       { return tSel(tId("op"), param) }
func tEq(a, b *term) *term         { return fold(tFn(operators.Equals, a, b)) }
func tIn(a, b *term) *term         { return tFn(operators.In, a, b) }
func tNot(a *term) *term           { return fold(tFn(operators.LogicalNot, a)) }
func tAnd(a, b *term) *term        { return fold(tFn(operators.LogicalAnd, a, b)) }
func tOr(a, b *term) *term         { return fold(tFn(operators.LogicalOr, a, b)) }
func tCond(c, a, b *term) *term    { return fold(tFn(operators.Conditional, c, a, b)) }
func (t *term) isTrue() bool       { return t.kind == tLit && t.boolean == 1 }
func (t *term) isFalse() bool      { return t.kind == tLit && t.boolean == -1 }
func (t *term) is(f string) bool   { return t.kind == tCall && t.recv == nil && t.name == f }
func (t *term) String() string     { var b strings.Builder; t.print(&b, 0); return b.String() }
func (t *term) equal(u *term) bool { return t.String() == u.String() }

// fold simplifies the boolean constants a rewrite leaves behind, and `x == x`.
func fold(t *term) *term {
	if t.kind == tCall && t.recv != nil && (t.name == "all" && len(t.args) == 2 && t.args[1].isTrue() ||
		t.name == "exists" && len(t.args) == 2 && t.args[1].isFalse()) {
		return t.args[1] // over any list
	}
	if t.kind != tCall || t.recv != nil {
		return t
	}
	a := t.args
	switch t.name {
	case operators.LogicalAnd:
		switch {
		case a[0].isFalse() || a[1].isFalse():
			return tFalse()
		case a[0].isTrue():
			return a[1]
		case a[1].isTrue():
			return a[0]
		}
	case operators.LogicalOr:
		switch {
		case a[0].isTrue() || a[1].isTrue():
			return tTrue()
		case a[0].isFalse():
			return a[1]
		case a[1].isFalse():
			return a[0]
		}
	case operators.LogicalNot:
		switch {
		case a[0].isTrue():
			return tFalse()
		case a[0].isFalse():
			return tTrue()
		case a[0].is(operators.LogicalNot):
			return a[0].args[0]
		case a[0].is(operators.Equals):
			return tFn(operators.NotEquals, a[0].args...)
		case a[0].is(operators.NotEquals):
			return tFn(operators.Equals, a[0].args...)
		}
	case operators.Conditional:
		switch {
		case a[0].isTrue():
			return a[1]
		case a[0].isFalse():
			return a[2]
		case a[1].equal(a[2]):
			return a[1]
		case a[1].isTrue() && a[2].isFalse():
			return a[0]
		case a[0].is(operators.NotEquals) && a[0].args[0].equal(a[1]) && a[0].args[1].equal(a[2]):
			return a[1] // x != "" ? x : ""
		case a[2].equal(tStr("")) && lookedUpIn(a[1], a[0]):
			return a[1] // k in cloud.e_ids ? cloud.e_by_id[k].f : "": a missing record reads ""
		}
	case operators.In:
		// Ids are never empty: an operation without its key is malformed.
		if a[0].equal(tStr("")) && a[1].kind == tSelect && strings.HasSuffix(a[1].name, "_ids") {
			return tFalse()
		}
	case operators.Equals:
		if a[0].equal(a[1]) {
			return tTrue()
		}
	case operators.NotEquals:
		if a[0].equal(a[1]) {
			return tFalse()
		}
	case operators.Add, operators.Subtract:
		if a[1].kind == tLit && a[1].lit == "0" {
			return a[0]
		}
		if t.name == operators.Subtract && a[0].is(operators.Add) && a[0].args[1].equal(a[1]) {
			return a[0].args[0] // (x + 1) - 1
		}
	}
	return t
}

// Precedence of CEL's operators, loosest first (for printing parentheses).
var binaryPrec = map[string]int{
	operators.LogicalOr: 2, operators.LogicalAnd: 3,
	operators.Equals: 4, operators.NotEquals: 4, operators.Less: 4, operators.LessEquals: 4,
	operators.Greater: 4, operators.GreaterEquals: 4, operators.In: 4,
	operators.Add: 5, operators.Subtract: 5,
	operators.Multiply: 6, operators.Divide: 6, operators.Modulo: 6,
}

func (t *term) prec() int {
	if t.kind != tCall || t.recv != nil {
		return 9
	}
	if t.name == operators.Conditional {
		return 1
	}
	if p, ok := binaryPrec[t.name]; ok {
		return p
	}
	if t.name == operators.LogicalNot || t.name == operators.Negate {
		return 7
	}
	return 9
}

// print writes the term as CEL text, with the parentheses the precedence needs.
func (t *term) print(b *strings.Builder, outer int) {
	p := t.prec()
	if p < outer {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch t.kind {
	case tIdent:
		b.WriteString(t.name)
	case tLit:
		b.WriteString(t.lit)
	case tSelect:
		t.recv.print(b, 9)
		b.WriteString("." + t.name)
	case tList:
		b.WriteByte('[')
		for i, a := range t.args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.print(b, 0)
		}
		b.WriteByte(']')
	case tMap:
		b.WriteByte('{')
		for i := 0; i+1 < len(t.args); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			t.args[i].print(b, 0)
			b.WriteString(": ")
			t.args[i+1].print(b, 0)
		}
		b.WriteByte('}')
	case tCall:
		t.printCall(b, p)
	}
}

func (t *term) printCall(b *strings.Builder, p int) {
	a := t.args
	switch {
	case t.recv != nil:
		t.recv.print(b, 9)
		b.WriteString("." + t.name + "(")
		printArgs(b, a)
		b.WriteByte(')')
	case t.name == operators.Index:
		a[0].print(b, 9)
		b.WriteByte('[')
		a[1].print(b, 0)
		b.WriteByte(']')
	case t.name == operators.Conditional:
		a[0].print(b, 2)
		b.WriteString(" ? ")
		a[1].print(b, 2)
		b.WriteString(" : ")
		a[2].print(b, 1)
	case t.name == operators.LogicalNot:
		b.WriteByte('!')
		a[0].print(b, 8)
	case t.name == operators.Negate:
		b.WriteByte('-')
		a[0].print(b, 8)
	case binaryPrec[t.name] > 0:
		// Left-associative: the right operand of the same precedence keeps its parentheses.
		a[0].print(b, p)
		b.WriteString(" " + strings.Trim(t.name, "_@") + " ")
		right := p + 1
		if t.name == operators.LogicalAnd || t.name == operators.LogicalOr {
			right = p // associative
		}
		a[1].print(b, right)
	default:
		b.WriteString(t.name + "(")
		printArgs(b, a)
		b.WriteByte(')')
	}
}

func printArgs(b *strings.Builder, a []*term) {
	for i, x := range a {
		if i > 0 {
			b.WriteString(", ")
		}
		x.print(b, 0)
	}
}

// subst replaces every free occurrence of identifier v by r (a quantifier that binds v
// again hides it).
func (t *term) subst(v string, r *term) *term {
	switch t.kind {
	case tIdent:
		if t.name == v {
			return r
		}
		return t
	case tLit:
		return t
	}
	out := *t
	if t.recv != nil {
		out.recv = t.recv.subst(v, r)
	}
	if t.kind == tCall && t.recv != nil && isQuantifier(t.name) && len(t.args) == 2 && t.args[0].kind == tIdent && t.args[0].name == v {
		return &out
	}
	out.args = make([]*term, len(t.args))
	for i, a := range t.args {
		out.args[i] = a.subst(v, r)
	}
	return fold(&out)
}

// alpha is t's text with its quantifiers' variables renamed in the order they appear, so
// that two checks that differ only in those names have one key.
func (t *term) alpha() string {
	n := 0
	return t.renamed(&n).String()
}

func (t *term) renamed(n *int) *term {
	if t.kind == tIdent || t.kind == tLit {
		return t
	}
	out := *t
	if t.recv != nil {
		out.recv = t.recv.renamed(n)
	}
	args := t.args
	if t.kind == tCall && t.recv != nil && isQuantifier(t.name) && len(args) == 2 && args[0].kind == tIdent {
		*n++
		v := tId("_v" + strconv.Itoa(*n))
		args = []*term{v, args[1].subst(args[0].name, v)}
	}
	out.args = make([]*term, len(args))
	for i, a := range args {
		out.args[i] = a.renamed(n)
	}
	return &out
}

func isQuantifier(f string) bool {
	switch f {
	case "all", "exists", "exists_one", "filter", "map":
		return true
	}
	return false
}

// lookedUpIn: x is cloud.<e>_by_id[k].f and cond is k in cloud.<e>_ids (possibly last of
// a conjunction whose other parts, when false, give a missing record too).
func lookedUpIn(x, cond *term) bool {
	if x.kind != tSelect || !x.recv.is(operators.Index) || x.recv.args[0].kind != tSelect {
		return false
	}
	by := x.recv.args[0].name
	if !strings.HasSuffix(by, "_by_id") || !cond.is(operators.In) || cond.args[1].kind != tSelect {
		return false
	}
	return cond.args[1].name == strings.TrimSuffix(by, "_by_id")+"_ids" && cond.args[0].equal(x.recv.args[1])
}

// pretty prints the term broken over lines at its top-level || and && and inside long
// quantifiers, each continuation line starting with indent: for spec text people read.
func (t *term) pretty(indent string, width int) string {
	s := t.String()
	if len(indent)+len(s) <= width {
		return s
	}
	switch {
	case t.is(operators.LogicalOr) || t.is(operators.LogicalAnd):
		sep := " " + strings.Trim(t.name, "_") + " "
		parts := sameOp(t, t.name)
		var b strings.Builder
		for i, p := range parts {
			if i > 0 {
				b.WriteString("\n" + indent + strings.TrimLeft(sep, " "))
			}
			in := indent + strings.Repeat(" ", len(sep)-1)
			if p.prec() < t.prec() {
				b.WriteString("(" + p.pretty(in+" ", width) + ")")
			} else {
				b.WriteString(p.pretty(in, width))
			}
		}
		return b.String()
	case t.kind == tCall && t.recv != nil && isQuantifier(t.name) && len(t.args) == 2:
		in := indent + "  "
		var recv strings.Builder
		t.recv.print(&recv, 9)
		return recv.String() + "." + t.name + "(" + t.args[0].String() + ",\n" + in + t.args[1].pretty(in, width) + ")"
	}
	return s
}

// sameOp flattens a chain of one associative operator.
func sameOp(t *term, op string) []*term {
	if t.is(op) {
		return append(sameOp(t.args[0], op), sameOp(t.args[1], op)...)
	}
	return []*term{t}
}

// liftConditionals rewrites a boolean term so that no conditional is left outside a
// quantifier's body: `f(c ? x : y)` becomes `c && f(x) || !c && f(y)`. The runtime's fast
// form has no conditional; its comparisons, lookups and connectives then decide the rule
// without CEL.
func liftConditionals(t *term) *term {
	switch {
	case t.is(operators.LogicalAnd):
		return tAnd(liftConditionals(t.args[0]), liftConditionals(t.args[1]))
	case t.is(operators.LogicalOr):
		return tOr(liftConditionals(t.args[0]), liftConditionals(t.args[1]))
	case t.is(operators.LogicalNot):
		return tNot(liftConditionals(t.args[0]))
	case t.is(operators.Conditional):
		c := liftConditionals(t.args[0])
		return tOr(tAnd(c, liftConditionals(t.args[1])), tAnd(tNot(c), liftConditionals(t.args[2])))
	}
	c := firstConditional(t)
	if c == nil {
		return t
	}
	cond := c.args[0]
	return liftConditionals(tOr(tAnd(cond, replaceTerm(t, cond, tTrue())), tAnd(tNot(cond), replaceTerm(t, cond, tFalse()))))
}

// firstConditional is the first conditional in t outside a quantifier's body.
func firstConditional(t *term) *term {
	if t.is(operators.Conditional) {
		return t
	}
	if t.recv != nil {
		if c := firstConditional(t.recv); c != nil {
			return c
		}
	}
	if t.kind == tCall && t.recv != nil && isQuantifier(t.name) {
		return nil
	}
	for _, a := range t.args {
		if c := firstConditional(a); c != nil {
			return c
		}
	}
	return nil
}

// replaceTerm replaces every occurrence of x in t by with.
func replaceTerm(t, x, with *term) *term {
	s := x.String()
	return mapTerm(t, func(y *term) *term {
		if y.kind == x.kind && y.String() == s {
			return with
		}
		return nil
	})
}
