package compiler

import (
	"strings"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"

	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// lowerFast turns a checked expression into the fast form when it is made only
// of comparisons, string tests and set membership; nil otherwise (CEL runs it).
func lowerFast(m *tables.Model, ast *cel.Ast, vars tables.Vars, lets []celenv.LetDecl) *tables.Fast {
	l := &lowerer{m: m, a: ast.NativeRep(), vars: vars, lets: lets}
	f, ok := l.expr(l.a.Expr())
	if !ok {
		return nil
	}
	return f
}

type lowerer struct {
	m    *tables.Model
	a    *celast.AST
	vars tables.Vars
	lets []celenv.LetDecl
	// bound are the variables of the enclosing quantifiers, innermost last;
	// a variable's slot is its position.
	bound []boundVar
}

// boundVar is a quantifier's variable: a record of an entity.
type boundVar struct {
	name   string
	entity int32
}

// boundVar finds a quantifier's variable by name, innermost first.
func (l *lowerer) boundVar(name string) (int32, bool) {
	for i := len(l.bound) - 1; i >= 0; i-- {
		if l.bound[i].name == name {
			return int32(i), true
		}
	}
	return -1, false
}

// let is the let an identifier names, if it does.
func (l *lowerer) let(e celast.Expr) (*celenv.LetDecl, bool) {
	if e.Kind() != celast.IdentKind {
		return nil, false
	}
	ref, ok := l.a.ReferenceMap()[e.ID()]
	if !ok {
		return nil, false // a comprehension's variable
	}
	for i := range l.lets {
		if l.lets[i].Name == ref.Name {
			return &l.lets[i], true
		}
	}
	return nil, false
}

// letStrs is the constant strings of the let an identifier names, if it does.
func (l *lowerer) letStrs(e celast.Expr) ([]string, bool) {
	if let, ok := l.let(e); ok && let.Strs != nil {
		return let.Strs, true
	}
	return nil, false
}

func (l *lowerer) typeOf(e celast.Expr) tables.TypeKind {
	t := l.a.GetType(e.ID())
	switch {
	case t == nil:
		return 0
	case t.IsExactType(types.BoolType):
		return tables.TBool
	case t.IsExactType(types.IntType):
		return tables.TInt
	case t.IsExactType(types.StringType):
		return tables.TString
	case t.Kind() == types.ListKind:
		return tables.TList
	}
	return 0
}

func (l *lowerer) expr(e celast.Expr) (*tables.Fast, bool) {
	if ref, ok := l.a.ReferenceMap()[e.ID()]; ok && ref.Value != nil {
		return literal(ref.Value.Value())
	}
	switch e.Kind() {
	case celast.LiteralKind:
		return literal(e.AsLiteral().Value())
	case celast.ComprehensionKind:
		return l.quantifier(e)
	case celast.IdentKind:
		if _, ok := l.boundVar(e.AsIdent()); ok {
			return nil, false // a record as a value
		}
		if let, ok := l.let(e); ok && let.IsInt {
			return &tables.Fast{Op: tables.FLit, Type: tables.TInt, Int: let.Int}, true
		}
		if l.vars.Scope >= 0 && e.AsIdent() == l.m.Entities[l.vars.Scope].Name && l.vars.Scope != l.vars.Elem {
			return &tables.Fast{Op: tables.FScope, Type: tables.TString}, true
		}
	case celast.SelectKind:
		return l.sel(e)
	case celast.CallKind:
		return l.call(e)
	}
	return nil, false
}

func literal(v any) (*tables.Fast, bool) {
	switch x := v.(type) {
	case string:
		return &tables.Fast{Op: tables.FLit, Type: tables.TString, Str: x}, true
	case int64:
		return &tables.Fast{Op: tables.FLit, Type: tables.TInt, Int: x}, true
	case bool:
		return &tables.Fast{Op: tables.FLit, Type: tables.TBool, Bool: x}, true
	}
	return nil, false
}

// sel lowers op.param, element.field and cloud.X_by_id[id].field.
func (l *lowerer) sel(e celast.Expr) (*tables.Fast, bool) {
	s := e.AsSelect()
	if s.IsTestOnly() {
		return l.has(s)
	}
	typ := l.typeOf(e)
	op := s.Operand()
	if op.Kind() == celast.IdentKind {
		if slot, ok := l.boundVar(op.AsIdent()); ok {
			e := l.bound[slot].entity
			f := fieldIndex(l.m, e, s.FieldName())
			return &tables.Fast{Op: tables.FVar, Type: typ, A: f, B: e, Int: int64(slot)}, f >= 0
		}
	}
	switch {
	case op.Kind() == celast.IdentKind && op.AsIdent() == celenv.VarOp && l.vars.Event >= 0:
		p := l.m.Events[l.vars.Event].ParamIndex(s.FieldName())
		return &tables.Fast{Op: tables.FParam, Type: typ, A: p}, p >= 0
	case op.Kind() == celast.IdentKind && l.vars.Elem >= 0 && op.AsIdent() == l.m.Entities[l.vars.Elem].Name:
		f := fieldIndex(l.m, l.vars.Elem, s.FieldName())
		return &tables.Fast{Op: tables.FElem, Type: typ, A: f}, f >= 0
	case op.Kind() == celast.CallKind && op.AsCall().FunctionName() == operators.Index:
		return l.byIDField(op, s.FieldName(), typ)
	}
	return nil, false
}

func (l *lowerer) byIDField(index celast.Expr, field string, typ tables.TypeKind) (*tables.Fast, bool) {
	args := index.AsCall().Args()
	ent := l.cloudField(args[0], "_by_id")
	if ent < 0 {
		return nil, false
	}
	id, ok := l.expr(args[1])
	f := fieldIndex(l.m, ent, field)
	return &tables.Fast{Op: tables.FField, Type: typ, A: f, B: ent, Args: []*tables.Fast{id}}, ok && f >= 0
}

// cloudField recognises cloud.<entity><suffix> and returns the entity, or -1.
func (l *lowerer) cloudField(e celast.Expr, suffix string) int32 {
	if e.Kind() != celast.SelectKind {
		return -1
	}
	s := e.AsSelect()
	if s.Operand().Kind() != celast.IdentKind || s.Operand().AsIdent() != celenv.VarCloud || !strings.HasSuffix(s.FieldName(), suffix) {
		return -1
	}
	return l.m.EntityIndex(strings.TrimSuffix(s.FieldName(), suffix))
}

func fieldIndex(m *tables.Model, e int32, name string) int32 {
	for i, n := range m.FieldNames(e) {
		if n == name {
			return int32(i)
		}
	}
	return -1
}

var compareOps = map[string]tables.FastOp{
	operators.Equals: tables.FEq, operators.NotEquals: tables.FNe,
	operators.Less: tables.FLt, operators.LessEquals: tables.FLe,
	operators.Greater: tables.FGt, operators.GreaterEquals: tables.FGe,
}

var stringOps = map[string]tables.FastOp{"startsWith": tables.FPrefix, "endsWith": tables.FSuffix, "contains": tables.FContains}

func (l *lowerer) call(e celast.Expr) (*tables.Fast, bool) {
	c := e.AsCall()
	name := c.FunctionName()
	switch {
	case name == operators.LogicalAnd || name == operators.LogicalOr:
		op := tables.FAnd
		if name == operators.LogicalOr {
			op = tables.FOr
		}
		return l.nary(op, tables.TBool, c.Args())
	case name == operators.LogicalNot:
		return l.nary(tables.FNot, tables.TBool, c.Args())
	case compareOps[name] != 0:
		return l.compare(compareOps[name], c.Args())
	case stringOps[name] != 0 && c.IsMemberFunction() && len(c.Args()) == 1:
		return l.nary(stringOps[name], tables.TBool, []celast.Expr{c.Target(), c.Args()[0]})
	case name == operators.In:
		return l.in(c.Args()[0], c.Args()[1])
	case name == operators.Add:
		return l.add(c.Args())
	case name == operators.Conditional:
		return l.cond(e)
	case name == "size" && len(c.Args()) == 1 && !c.IsMemberFunction():
		return l.count(c.Args()[0])
	case name == "size" && len(c.Args()) == 0 && c.IsMemberFunction():
		return l.count(c.Target())
	}
	return nil, false
}

// cond lowers x ? y : z when y and z have the same fast type.
func (l *lowerer) cond(e celast.Expr) (*tables.Fast, bool) {
	f, ok := l.nary(tables.FCond, l.typeOf(e), e.AsCall().Args())
	if !ok || f.Type == 0 || f.Args[0].Type != tables.TBool || f.Args[1].Type != f.Type || f.Args[2].Type != f.Type {
		return nil, false
	}
	return f, true
}

// add lowers a sum of counts and int literals. Other sums stay in CEL, which reports an
// overflow as an error (a denial) where Go would wrap.
func (l *lowerer) add(args []celast.Expr) (*tables.Fast, bool) {
	f, ok := l.nary(tables.FAdd, tables.TInt, args)
	if !ok {
		return nil, false
	}
	for _, a := range f.Args {
		small := a.Op == tables.FCount || a.Op == tables.FAdd || a.Op == tables.FLit && a.Type == tables.TInt && a.Int >= -1<<31 && a.Int < 1<<31
		if !small {
			return nil, false
		}
	}
	return f, true
}

// count lowers size(cloud.<plural>_by_<field>[key]): how many records the index holds for the key.
func (l *lowerer) count(x celast.Expr) (*tables.Fast, bool) {
	f, ok := l.indexRange(x)
	if !ok {
		return nil, false
	}
	f.Op, f.Type = tables.FCount, tables.TInt
	return f, true
}

func (l *lowerer) nary(op tables.FastOp, typ tables.TypeKind, args []celast.Expr) (*tables.Fast, bool) {
	f := &tables.Fast{Op: op, Type: typ}
	for _, a := range args {
		x, ok := l.expr(a)
		if !ok {
			return nil, false
		}
		f.Args = append(f.Args, x)
	}
	return f, true
}

func (l *lowerer) compare(op tables.FastOp, args []celast.Expr) (*tables.Fast, bool) {
	f, ok := l.nary(op, tables.TBool, args)
	if !ok || f.Args[0].Type != f.Args[1].Type || f.Args[0].Type == tables.TList {
		return nil, false
	}
	return f, true
}

// in lowers membership in the watchlist, in an entity's ids, in a constant list or in a list value.
func (l *lowerer) in(x, container celast.Expr) (*tables.Fast, bool) {
	if container.Kind() == celast.IdentKind && container.AsIdent() == celenv.VarWatchlist {
		elems := []celast.Expr{x}
		if x.Kind() == celast.ListKind {
			elems = x.AsList().Elements()
		}
		return l.nary(tables.FInWL, tables.TBool, elems)
	}
	if ent := l.cloudField(container, "_ids"); ent >= 0 {
		f, ok := l.nary(tables.FExists, tables.TBool, []celast.Expr{x})
		if ok {
			f.B = ent
		}
		return f, ok
	}
	if container.Kind() == celast.ListKind {
		return l.inConsts(x, container.AsList().Elements())
	}
	if let, ok := l.let(container); ok && let.Pairs != nil && x.Kind() == celast.ListKind && len(x.AsList().Elements()) == 2 {
		f, ok := l.nary(tables.FInPairs, tables.TBool, x.AsList().Elements())
		if !ok || f.Args[0].Type != tables.TString || f.Args[1].Type != tables.TString {
			return nil, false
		}
		f.Strs = let.Pairs
		return f, true
	}
	if strs, ok := l.letStrs(container); ok {
		f, ok := l.nary(tables.FInConsts, tables.TBool, []celast.Expr{x})
		if ok {
			f.Strs = strs
		}
		return f, ok
	}
	return l.nary(tables.FInList, tables.TBool, []celast.Expr{x, container})
}

func (l *lowerer) inConsts(x celast.Expr, elems []celast.Expr) (*tables.Fast, bool) {
	f, ok := l.nary(tables.FInConsts, tables.TBool, []celast.Expr{x})
	if !ok {
		return nil, false
	}
	for _, el := range elems {
		lit, ok := l.expr(el)
		if !ok || lit.Op != tables.FLit || lit.Type != tables.TString {
			return nil, false
		}
		f.Strs = append(f.Strs, lit.Str)
	}
	return f, true
}

// quantifier lowers cloud.<plural>_by_<field>[key].all(v, body) and .exists(v, body):
// the records an index holds for a key, each bound to v while body runs.
func (l *lowerer) quantifier(e celast.Expr) (*tables.Fast, bool) {
	c := e.AsComprehension()
	if c.HasIterVar2() || len(l.bound) >= tables.MaxFastVars || c.AccuInit().Kind() != celast.LiteralKind {
		return nil, false
	}
	step := c.LoopStep()
	if step.Kind() != celast.CallKind || len(step.AsCall().Args()) != 2 {
		return nil, false
	}
	accu := step.AsCall().Args()[0]
	if accu.Kind() != celast.IdentKind || accu.AsIdent() != c.AccuVar() {
		return nil, false
	}
	op := tables.FAll
	switch {
	case step.AsCall().FunctionName() == operators.LogicalAnd && c.AccuInit().AsLiteral() == types.True:
	case step.AsCall().FunctionName() == operators.LogicalOr && c.AccuInit().AsLiteral() == types.False:
		op = tables.FAny
	default:
		return nil, false
	}
	ix, ok := l.indexRange(c.IterRange())
	if !ok {
		return nil, false
	}
	l.bound = append(l.bound, boundVar{name: c.IterVar(), entity: ix.B})
	body, ok := l.expr(step.AsCall().Args()[1])
	l.bound = l.bound[:len(l.bound)-1]
	if !ok || body.Type != tables.TBool {
		return nil, false
	}
	ix.Op, ix.Type, ix.Int = op, tables.TBool, int64(len(l.bound))
	ix.Args = append(ix.Args, body)
	return ix, true
}

// indexRange lowers cloud.<plural>_by_<field>[key]: entity B, field A, the key in Args[0].
func (l *lowerer) indexRange(r celast.Expr) (*tables.Fast, bool) {
	if r.Kind() != celast.CallKind || r.AsCall().FunctionName() != operators.Index {
		return nil, false
	}
	args := r.AsCall().Args()
	if args[0].Kind() != celast.SelectKind {
		return nil, false
	}
	s := args[0].AsSelect()
	if s.Operand().Kind() != celast.IdentKind || s.Operand().AsIdent() != celenv.VarCloud {
		return nil, false
	}
	for _, f := range l.m.CloudFields() {
		if f.Kind != tables.CloudIndex || f.Name != s.FieldName() {
			continue
		}
		key, ok := l.expr(args[1])
		if !ok || key.Type != tables.TString {
			return nil, false
		}
		return &tables.Fast{B: f.Entity, A: int32(f.Field), Args: []*tables.Fast{key}}, true
	}
	return nil, false
}

// has lowers has(op.x), the presence test of an operation parameter.
func (l *lowerer) has(s celast.SelectExpr) (*tables.Fast, bool) {
	op := s.Operand()
	if op.Kind() != celast.IdentKind || op.AsIdent() != celenv.VarOp || l.vars.Event < 0 {
		return nil, false
	}
	p := l.m.Events[l.vars.Event].ParamIndex(s.FieldName())
	return &tables.Fast{Op: tables.FHas, Type: tables.TBool, A: p}, p >= 0
}
