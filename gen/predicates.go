package gen

import (
	"fmt"
	"strconv"
	"strings"

	"pvsc.dev/pvsc/tables"
)

// predicates compiles fast expressions to Go functions over genimpl.Ctx.
// Identical expressions share one function.
type predicates struct {
	funcs       map[string]string // name → source
	order       []string          // names in creation order
	bySig       map[string]string // expression source → name
	consts      []string          // constant string sets, by index
	usesStrings bool
}

func (ps *predicates) compile(m *tables.Model, f *tables.Fast) (string, bool) {
	body, ok := ps.boolExpr(m, f)
	if !ok {
		return "", false
	}
	if ps.funcs == nil {
		ps.funcs, ps.bySig = map[string]string{}, map[string]string{}
	}
	if name, ok := ps.bySig[body]; ok {
		return name, true
	}
	name := "pred" + strconv.Itoa(len(ps.funcs))
	ps.bySig[body] = name
	ps.order = append(ps.order, name)
	ps.funcs[name] = fmt.Sprintf("func %s(c genimpl.Ctx) bool {\n\treturn %s\n}\n\n", name, body)
	return name, true
}

func (ps *predicates) helpers() string {
	if len(ps.consts) == 0 {
		return ""
	}
	var b strings.Builder
	for i, c := range ps.consts {
		fmt.Fprintf(&b, "var consts%d = []string{%s}\n", i, c)
	}
	b.WriteString("\nfunc inConsts(s string, set []string) bool {\n\tfor _, c := range set {\n\t\tif s == c {\n\t\t\treturn true\n\t\t}\n\t}\n\treturn false\n}\n")
	return b.String()
}

var cmpOps = map[tables.FastOp]string{
	tables.FEq: "==", tables.FNe: "!=", tables.FLt: "<", tables.FLe: "<=", tables.FGt: ">", tables.FGe: ">=",
}

var strFuncs = map[tables.FastOp]string{tables.FPrefix: "strings.HasPrefix", tables.FSuffix: "strings.HasSuffix", tables.FContains: "strings.Contains"}

// boolExpr renders a boolean fast expression.
func (ps *predicates) boolExpr(m *tables.Model, f *tables.Fast) (string, bool) {
	switch f.Op {
	case tables.FLit:
		return strconv.FormatBool(f.Bool), f.Type == tables.TBool
	case tables.FNot:
		x, ok := ps.boolExpr(m, f.Args[0])
		return "!(" + x + ")", ok
	case tables.FAnd, tables.FOr:
		return ps.logical(m, f)
	case tables.FEq, tables.FNe, tables.FLt, tables.FLe, tables.FGt, tables.FGe:
		return ps.compare(m, f)
	case tables.FPrefix, tables.FSuffix, tables.FContains:
		return ps.stringTest(m, f)
	case tables.FHas:
		return fmt.Sprintf("c.Has(%d)", f.A), true
	case tables.FExists:
		id, ok := ps.symExpr(m, f.Args[0])
		return fmt.Sprintf("c.Exists(%d, %s)", f.B, id), ok
	case tables.FInWL:
		return ps.inWatchlist(m, f)
	case tables.FInList:
		return ps.inList(m, f)
	case tables.FInConsts:
		return ps.inConsts(m, f)
	case tables.FInPairs:
		return ps.inPairs(m, f)
	case tables.FAll, tables.FAny:
		return ps.quantifier(m, f)
	case tables.FCond:
		return ps.cond(m, f, "bool", ps.boolExpr)
	}
	if f.Type == tables.TBool {
		v, ok := ps.valueExpr(m, f)
		return v + ".I != 0", ok
	}
	return "", false
}

func (ps *predicates) logical(m *tables.Model, f *tables.Fast) (string, bool) {
	op := " && "
	if f.Op == tables.FOr {
		op = " || "
	}
	parts := make([]string, len(f.Args))
	for i, a := range f.Args {
		x, ok := ps.boolExpr(m, a)
		if !ok {
			return "", false
		}
		parts[i] = "(" + x + ")"
	}
	return strings.Join(parts, op), true
}

func (ps *predicates) compare(m *tables.Model, f *tables.Fast) (string, bool) {
	a, b := f.Args[0], f.Args[1]
	op := cmpOps[f.Op]
	switch a.Type {
	case tables.TString:
		// Two values compare as interned ids; against a literal, as strings.
		if a.Op != tables.FLit && b.Op != tables.FLit && (f.Op == tables.FEq || f.Op == tables.FNe) {
			x, ok1 := ps.symExpr(m, a)
			y, ok2 := ps.symExpr(m, b)
			if ok1 && ok2 {
				return x + " " + op + " " + y, true
			}
		}
		x, ok1 := ps.strExpr(m, a)
		y, ok2 := ps.strExpr(m, b)
		return x + " " + op + " " + y, ok1 && ok2
	case tables.TInt:
		x, ok1 := ps.intExpr(m, a)
		y, ok2 := ps.intExpr(m, b)
		return x + " " + op + " " + y, ok1 && ok2
	case tables.TBool:
		x, ok1 := ps.boolExpr(m, a)
		y, ok2 := ps.boolExpr(m, b)
		return "(" + x + ") " + op + " (" + y + ")", ok1 && ok2 && (op == "==" || op == "!=")
	}
	return "", false
}

func (ps *predicates) stringTest(m *tables.Model, f *tables.Fast) (string, bool) {
	x, ok1 := ps.strExpr(m, f.Args[0])
	y, ok2 := ps.strExpr(m, f.Args[1])
	ps.usesStrings = true
	return fmt.Sprintf("%s(%s, %s)", strFuncs[f.Op], x, y), ok1 && ok2
}

func (ps *predicates) inWatchlist(m *tables.Model, f *tables.Fast) (string, bool) {
	a, ok := ps.symExpr(m, f.Args[0])
	if !ok {
		return "", false
	}
	b := "0"
	if len(f.Args) == 2 {
		if b, ok = ps.symExpr(m, f.Args[1]); !ok {
			return "", false
		}
	}
	return fmt.Sprintf("c.InWatchlist(%s, %s)", a, b), true
}

func (ps *predicates) inList(m *tables.Model, f *tables.Fast) (string, bool) {
	list, ok := ps.valueExpr(m, f.Args[1])
	if !ok || f.Args[1].Type != tables.TList {
		return "", false
	}
	var x string
	switch f.Args[0].Type {
	case tables.TString:
		s, ok := ps.symExpr(m, f.Args[0])
		if !ok {
			return "", false
		}
		x = "int64(" + s + ")"
	case tables.TInt:
		if x, ok = ps.intExpr(m, f.Args[0]); !ok {
			return "", false
		}
	default:
		return "", false
	}
	return fmt.Sprintf("c.InList(%s, %s)", x, list), true
}

func (ps *predicates) inConsts(m *tables.Model, f *tables.Fast) (string, bool) {
	s, ok := ps.strExpr(m, f.Args[0])
	return fmt.Sprintf("inConsts(%s, consts%d)", s, ps.constSet(f.Strs)), ok
}

// constSet numbers a constant string list; equal lists share one variable.
func (ps *predicates) constSet(strs []string) int {
	quoted := make([]string, len(strs))
	for i, c := range strs {
		quoted[i] = strconv.Quote(c)
	}
	set := strings.Join(quoted, ", ")
	for i, c := range ps.consts {
		if c == set {
			return i
		}
	}
	ps.consts = append(ps.consts, set)
	return len(ps.consts) - 1
}

// quantifier renders FAll and FAny as a loop over the index's rows; the row is
// variable r<slot>, which the body's FVar nodes read.
func (ps *predicates) quantifier(m *tables.Model, f *tables.Fast) (string, bool) {
	key, ok1 := ps.symExpr(m, f.Args[0])
	body, ok2 := ps.boolExpr(m, f.Args[1])
	fn := "genimpl.All"
	if f.Op == tables.FAny {
		fn = "genimpl.Any"
	}
	return fmt.Sprintf("%s(c.Indexed(%d, %d, %s), func(r%d int32) bool {\n\treturn %s\n})", fn, f.B, f.A, key, f.Int, body), ok1 && ok2
}

// cond renders x ? y : z as a function literal called at once: only the branch taken runs.
func (ps *predicates) cond(m *tables.Model, f *tables.Fast, typ string, branch func(*tables.Model, *tables.Fast) (string, bool)) (string, bool) {
	x, ok1 := ps.boolExpr(m, f.Args[0])
	y, ok2 := branch(m, f.Args[1])
	z, ok3 := branch(m, f.Args[2])
	return fmt.Sprintf("func() %s {\n\tif %s {\n\t\treturn %s\n\t}\n\treturn %s\n}()", typ, x, y, z), ok1 && ok2 && ok3
}

func (ps *predicates) inPairs(m *tables.Model, f *tables.Fast) (string, bool) {
	x, ok1 := ps.strExpr(m, f.Args[0])
	y, ok2 := ps.strExpr(m, f.Args[1])
	return fmt.Sprintf("genimpl.InPairs(%s, %s, consts%d)", x, y, ps.constSet(f.Strs)), ok1 && ok2
}

// valueExpr renders a node that reads a state.Value.
func (ps *predicates) valueExpr(m *tables.Model, f *tables.Fast) (string, bool) {
	switch f.Op {
	case tables.FVar:
		return fmt.Sprintf("c.RowField(%d, r%d, %d)", f.B, f.Int, f.A), true
	case tables.FCond:
		if f.Args[1].Op == tables.FLit || f.Args[2].Op == tables.FLit {
			return "", false // a literal has no Value: read it as a string or an id
		}
		return ps.cond(m, f, "genimpl.Value", ps.valueExpr)
	case tables.FParam:
		return fmt.Sprintf("c.Param(%d)", f.A), true
	case tables.FElem:
		return fmt.Sprintf("c.Elem(%d)", f.A), true
	case tables.FField:
		id, ok := ps.symExpr(m, f.Args[0])
		return fmt.Sprintf("c.Field(%d, %s, %d)", f.B, id, f.A), ok
	}
	return "", false
}

// symExpr renders a string-valued node as an interned id (state.Sym).
func (ps *predicates) symExpr(m *tables.Model, f *tables.Fast) (string, bool) {
	switch {
	case f.Op == tables.FScope:
		return "c.Scope()", true
	case f.Op == tables.FLit && f.Type == tables.TString:
		return "c.Lookup(" + strconv.Quote(f.Str) + ")", true
	case f.Op == tables.FCond && f.Type == tables.TString:
		return ps.cond(m, f, "genimpl.Sym", ps.symExpr)
	}
	v, ok := ps.valueExpr(m, f)
	return v + ".Sym()", ok && f.Type == tables.TString
}

// strExpr renders a string-valued node as a Go string.
func (ps *predicates) strExpr(m *tables.Model, f *tables.Fast) (string, bool) {
	switch {
	case f.Op == tables.FLit:
		return strconv.Quote(f.Str), f.Type == tables.TString
	case f.Op == tables.FCond && f.Type == tables.TString:
		return ps.cond(m, f, "string", ps.strExpr)
	}
	s, ok := ps.symExpr(m, f)
	return "c.Str(" + s + ")", ok
}

func (ps *predicates) intExpr(m *tables.Model, f *tables.Fast) (string, bool) {
	switch f.Op {
	case tables.FLit:
		return strconv.FormatInt(f.Int, 10), f.Type == tables.TInt
	case tables.FCount:
		key, ok := ps.symExpr(m, f.Args[0])
		return fmt.Sprintf("int64(len(c.Indexed(%d, %d, %s)))", f.B, f.A, key), ok
	case tables.FAdd:
		x, ok1 := ps.intExpr(m, f.Args[0])
		y, ok2 := ps.intExpr(m, f.Args[1])
		return "(" + x + " + " + y + ")", ok1 && ok2
	case tables.FCond:
		return ps.cond(m, f, "int64", ps.intExpr)
	}
	v, ok := ps.valueExpr(m, f)
	return v + ".I", ok && f.Type == tables.TInt
}
