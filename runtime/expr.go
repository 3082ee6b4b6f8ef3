package runtime

import (
	"fmt"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"pvsc.dev/pvsc/runtime/genimpl"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Pred is an expression compiled to Go by gen; generated code binds it through genimpl.
type Pred = genimpl.Pred

// form says which of an expression's forms runs; tests force the slower ones to compare them.
type form uint8

const (
	formBest form = iota
	formFast
	formCEL
)

// expr is one expression ready to run in its best form.
type expr struct {
	t       *tables.Expr
	vars    tables.Vars
	boolean bool
	pair    bool // yields watchlist pairs
	pred    Pred
	fast    *fnode
	prg     cel.Program
	lets    []letVal
	// names of the element and scope variables CEL sees
	elemName, scopeName string
}

// exprOpts is what an expression is compiled with besides its own variables.
type exprOpts struct {
	boolean bool
	wl      tables.ElemType
	lets    []letVal
}

// letVal is a property constant, evaluated once when the engine is built.
type letVal struct {
	name string
	typ  *cel.Type
	val  ref.Val
}

func compileExpr(mr *modelRT, x *tables.Expr, o exprOpts) (*expr, error) {
	if x == nil {
		return nil, fmt.Errorf("missing expression")
	}
	out := &expr{t: x, vars: x.Vars, boolean: o.boolean, pair: o.wl.Pair, lets: o.lets}
	if x.Vars.Elem >= 0 {
		out.elemName = mr.m.Entities[x.Vars.Elem].Name
	}
	if x.Vars.Scope >= 0 && x.Vars.Scope != x.Vars.Elem {
		out.scopeName = mr.m.Entities[x.Vars.Scope].Name
	}
	if o.boolean {
		out.pred = genimpl.PredOf(x)
	}
	if x.Fast != nil {
		out.fast = prepareFast(mr.lits, x.Fast)
	}
	prg, err := compileCEL(mr, x, o)
	if err != nil {
		return nil, err
	}
	out.prg = prg
	return out, nil
}

// compileCEL compiles the CEL text once; its string literals join the
// literal table so that every string an expression can yield is interned.
func compileCEL(mr *modelRT, x *tables.Expr, o exprOpts) (cel.Program, error) {
	env, err := mr.env.For(x.Vars, o.wl, letDecls(o.lets))
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(x.Src)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("`%s`: %w", x.Src, iss.Err())
	}
	internLiterals(mr, ast)
	noteIndexes(mr, ast)
	return env.Program(ast)
}

// noteIndexes records the cloud indexes an expression reads: the store keeps
// those (and only those) as the cloud changes.
func noteIndexes(mr *modelRT, ast *cel.Ast) {
	celast.PostOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.SelectKind {
			return
		}
		sel := e.AsSelect()
		if op := sel.Operand(); op.Kind() != celast.IdentKind || op.AsIdent() != celenv.VarCloud {
			return
		}
		for _, f := range mr.m.CloudFields() {
			if f.Kind == tables.CloudIndex && f.Name == sel.FieldName() && !hasIndex(mr.indexes, f) {
				mr.indexes = append(mr.indexes, f)
			}
		}
	}))
}

func hasIndex(xs []tables.CloudField, f tables.CloudField) bool {
	for _, x := range xs {
		if x.Entity == f.Entity && x.Field == f.Field {
			return true
		}
	}
	return false
}

func internLiterals(mr *modelRT, ast *cel.Ast) {
	celast.PostOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() == celast.LiteralKind {
			if s, ok := e.AsLiteral().(types.String); ok {
				mr.lits.add(string(s))
			}
		}
	}))
}

func letDecls(lets []letVal) []celenv.LetDecl {
	out := make([]celenv.LetDecl, len(lets))
	for i, l := range lets {
		out[i] = celenv.LetDecl{Name: l.name, Type: l.typ}
	}
	return out
}

// evalLets evaluates a property's constants in order; each sees the ones before it.
// A let that reads the cloud is not a constant and is refused.
func evalLets(mr *modelRT, p *tables.Property) ([]letVal, error) {
	var out []letVal
	for _, l := range p.Lets {
		env, err := mr.env.For(l.Expr.Vars, p.Watchlist.Elem, letDecls(out))
		if err != nil {
			return nil, err
		}
		ast, iss := env.Compile(l.Expr.Src)
		if iss != nil && iss.Err() != nil {
			return nil, fmt.Errorf("let %s: %w", l.Name, iss.Err())
		}
		for _, r := range ast.NativeRep().ReferenceMap() {
			if r.Name == celenv.VarCloud {
				return nil, fmt.Errorf("let %s reads the cloud; lets are constants evaluated once", l.Name)
			}
		}
		prg, err := env.Program(ast)
		if err != nil {
			return nil, fmt.Errorf("let %s: %w", l.Name, err)
		}
		act := map[string]any{}
		for _, prev := range out {
			act[prev.name] = prev.val
		}
		v, _, err := prg.Eval(act)
		if err != nil {
			return nil, fmt.Errorf("let %s: %w", l.Name, err)
		}
		internLiterals(mr, ast)
		out = append(out, letVal{name: l.Name, typ: ast.OutputType(), val: v})
	}
	return out, nil
}
