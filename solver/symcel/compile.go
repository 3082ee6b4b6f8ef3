// Package symcel evaluates checked CEL expressions of the PVSC subset symbolically, over sym values.
package symcel

import (
	"fmt"
	"sync/atomic"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"

	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Program is one checked expression, ready for symbolic evaluation.
type Program struct {
	ast  *ast.AST
	root ast.Expr
	// Cloud lists the cloud fields the expression reads (`ports`, `vm_ids`, `vm_by_id`).
	Cloud []string
	// Idents lists the identifiers it names; Fields the fields it selects on records and operations.
	Idents, Fields map[string]bool
	// consts are the nodes the checker resolved to constants (enum values); fields caches each select's resolved index.
	consts map[int64]bool
	fields []atomic.Int32 // index+1; 0 unresolved (evaluations may run concurrently)
	What   string         // where the expression is: "property P, invariant"
	Src    string
	// Vars are the variables the expression sees besides `cloud`.
	Vars tables.Vars
}

// Compiler checks a property's expressions in the environments the compiler used.
type Compiler struct {
	env  *celenv.Env
	m    *tables.Model
	wl   tables.ElemType
	lets []celenv.LetDecl
	// Lets are the property's constants, compiled.
	Lets map[string]*Program
	// Strings and Ints are the constants met in every compiled expression: they join the bounded domain.
	Strings []string
	Ints    []int64
	prop    string
}

// NewCompiler compiles the property's lets; later expressions see them.
func NewCompiler(env *celenv.Env, p *tables.Property) (*Compiler, error) {
	c := &Compiler{env: env, m: env.Model, wl: p.Watchlist.Elem, Lets: map[string]*Program{}, prop: p.Name}
	for _, l := range p.Lets {
		prog, err := c.Compile(l.Expr, "let "+l.Name)
		if err != nil {
			return nil, err
		}
		c.Lets[l.Name] = prog
		c.lets = append(c.lets, celenv.LetDecl{Name: l.Name, Type: prog.ast.GetType(prog.ast.Expr().ID())})
	}
	return c, nil
}

// Compile checks one expression and rejects what the symbolic evaluator does not support.
func (c *Compiler) Compile(x *tables.Expr, clause string) (*Program, error) {
	what := fmt.Sprintf("property %s, %s", c.prop, clause)
	env, err := c.env.For(x.Vars, c.wl, c.lets)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	checked, iss := env.Compile(x.Src)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("%s: `%s`: %w", what, x.Src, iss.Err())
	}
	p := &Program{ast: checked.NativeRep(), What: what, Src: x.Src, Vars: x.Vars, Idents: map[string]bool{}, Fields: map[string]bool{}, consts: map[int64]bool{}}
	p.root = p.ast.Expr()
	p.fields = make([]atomic.Int32, ast.MaxID(p.ast)+1)
	if err := c.scan(p, p.ast.Expr()); err != nil {
		return nil, p.errorf("%v", err)
	}
	return p, nil
}

func (p *Program) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: `%s`: %s", p.What, p.Src, fmt.Sprintf(format, args...))
}

// supported are the functions the evaluator implements.
var supported = map[string]bool{
	"_&&_": true, "_||_": true, "!_": true, "_?_:_": true,
	"_==_": true, "_!=_": true, "_<_": true, "_<=_": true, "_>_": true, "_>=_": true,
	"@in": true, "startsWith": true, "endsWith": true, "contains": true, "size": true,
	"_[_]": true, "_+_": true, "_-_": true, "@not_strictly_false": true,
	celenv.FnFlatten: true,
}

// scan collects constants and rejects unsupported constructs before any evaluation.
func (c *Compiler) scan(p *Program, e ast.Expr) error {
	if r := p.ast.ReferenceMap()[e.ID()]; r != nil && r.Value != nil {
		p.consts[e.ID()] = true
		return c.constant(r.Value)
	}
	switch e.Kind() {
	case ast.LiteralKind:
		return c.constant(e.AsLiteral())
	case ast.IdentKind:
		p.Idents[e.AsIdent()] = true
		return nil
	case ast.SelectKind:
		if s := e.AsSelect(); s.IsTestOnly() && !isIdent(s.Operand(), celenv.VarOp) {
			return fmt.Errorf("has() is supported on op parameters only")
		}
		if op := e.AsSelect().Operand(); op.Kind() == ast.IdentKind && op.AsIdent() == celenv.VarCloud {
			p.Cloud = append(p.Cloud, e.AsSelect().FieldName())
		} else {
			p.Fields[e.AsSelect().FieldName()] = true
		}
		return c.scan(p, e.AsSelect().Operand())
	case ast.ListKind:
		return c.scanAll(p, e.AsList().Elements())
	case ast.CallKind:
		return c.scanCall(p, e.AsCall())
	case ast.ComprehensionKind:
		return c.scanComprehension(p, e.AsComprehension())
	case ast.MapKind:
		return c.scanMap(p, e.AsMap())
	}
	return fmt.Errorf("message literals are not supported")
}

func (c *Compiler) scanMap(p *Program, m ast.MapExpr) error {
	for _, en := range m.Entries() {
		me := en.AsMapEntry()
		if me.IsOptional() {
			return fmt.Errorf("optional map entries are not supported")
		}
		if err := c.scanAll(p, []ast.Expr{me.Key(), me.Value()}); err != nil {
			return err
		}
	}
	return nil
}

func (c *Compiler) scanCall(p *Program, call ast.CallExpr) error {
	if !supported[call.FunctionName()] {
		return fmt.Errorf("function %s is not supported", call.FunctionName())
	}
	if call.IsMemberFunction() {
		if err := c.scan(p, call.Target()); err != nil {
			return err
		}
	}
	return c.scanAll(p, call.Args())
}

func (c *Compiler) scanComprehension(p *Program, cx ast.ComprehensionExpr) error {
	if cx.HasIterVar2() {
		return fmt.Errorf("two-variable comprehensions are not supported")
	}
	return c.scanAll(p, []ast.Expr{cx.IterRange(), cx.AccuInit(), cx.LoopStep(), cx.Result()})
}

func (c *Compiler) scanAll(p *Program, es []ast.Expr) error {
	for _, x := range es {
		if err := c.scan(p, x); err != nil {
			return err
		}
	}
	return nil
}

func (c *Compiler) constant(v any) error {
	switch v := v.(type) {
	case types.String:
		c.Strings = append(c.Strings, string(v))
	case types.Int:
		c.Ints = append(c.Ints, int64(v))
	case types.Bool:
	default:
		return fmt.Errorf("constant %v of type %T is not supported", v, v)
	}
	return nil
}
