package compiler

import (
	"regexp"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// buildEnvs declares each model's CEL environment and checks event guards.
func (c *compiler) buildEnvs() {
	for _, m := range c.models {
		if m.broken {
			continue
		}
		env, err := celenv.New(m.t)
		if err != nil {
			c.errorf(m.ast.Name.Pos, "%v", err)
			m.broken = true
			continue
		}
		m.env = env
		for i, ae := range m.eventAST {
			if ae.Where == nil || m.badEvent[i] {
				continue
			}
			vars := tables.Vars{Event: int32(i), Elem: -1, Scope: -1}
			if x, ok := c.checkExpr(m, ae.Where, vars, exprCtx{}, cel.BoolType); ok {
				m.t.Events[i].Where = x
			}
		}
	}
}

// exprCtx is what an expression sees besides its Vars: the watchlist's element type and the property's constants.
type exprCtx struct {
	wl   tables.ElemType
	lets []celenv.LetDecl
}

// checkExpr type-checks one embedded CEL expression, reporting errors at their
// position in the .pvsc file, and checks that its type is one of want.
func (c *compiler) checkExpr(m *modelInfo, src *dsl.CEL, vars tables.Vars, ctx exprCtx, want ...*cel.Type) (*tables.Expr, bool) {
	ast, text, ok := c.compileCEL(m, src, vars, ctx)
	if !ok {
		return nil, false
	}
	if !typeIn(ast.OutputType(), want) {
		c.errorf(src.At(1, 0), "expression has type %s, want %s", ast.OutputType(), typeList(want))
		return nil, false
	}
	vars = usedVars(m.t, ast, vars)
	x := &tables.Expr{Src: text, Vars: vars}
	x.Fast = lowerFast(m.t, ast, vars, ctx.lets)
	if sc := scans(m.t, ast, src); len(sc) > 0 {
		c.scanAt[x] = sc
		for _, s := range sc {
			x.Scans = append(x.Scans, s.field)
		}
	}
	return x, true
}

// compileCEL parses and checks an expression in the environment its variables give. The
// text it returns is the expression as the tables keep it: with its bindings inlined.
func (c *compiler) compileCEL(m *modelInfo, src *dsl.CEL, vars tables.Vars, ctx exprCtx) (*cel.Ast, string, bool) {
	env, err := m.env.For(vars, ctx.wl, ctx.lets)
	if err != nil {
		c.errorf(src.Pos, "%v", err)
		return nil, "", false
	}
	text := src.Text()
	if hasBind(text) {
		// Checked as written first, so errors point into the text the engineer wrote.
		if !c.celOK(src, ctx, m, bindEnv(env), text) {
			return nil, "", false
		}
		if text, err = inlineBindsText(text); err != nil {
			c.errorf(src.At(1, 0), "%v", err)
			return nil, "", false
		}
	}
	ast, iss := env.Compile(text)
	if iss != nil && iss.Err() != nil {
		c.reportCEL(src, ctx, m, iss)
		return nil, "", false
	}
	return ast, text, true
}

// bindEnv is env with CEL's bindings extension (cel.bind); nil when it cannot be extended.
func bindEnv(env *cel.Env) *cel.Env {
	b, err := env.Extend(ext.Bindings())
	if err != nil {
		return nil
	}
	return b
}

// celOK checks text in env, reporting its errors.
func (c *compiler) celOK(src *dsl.CEL, ctx exprCtx, m *modelInfo, env *cel.Env, text string) bool {
	if env == nil {
		c.errorf(src.Pos, "cel.bind is not available here")
		return false
	}
	if _, iss := env.Compile(text); iss != nil && iss.Err() != nil {
		c.reportCEL(src, ctx, m, iss)
		return false
	}
	return true
}

func (c *compiler) reportCEL(src *dsl.CEL, ctx exprCtx, m *modelInfo, iss *cel.Issues) {
	for _, e := range iss.Errors() {
		c.errorf(src.At(e.Location.Line(), e.Location.Column()), "%s%s", e.Message, celHint(m, ctx, e.Message))
	}
}

func typeIn(t *cel.Type, want []*cel.Type) bool {
	for _, w := range want {
		if t.IsExactType(w) {
			return true
		}
	}
	return false
}

func typeList(ts []*cel.Type) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += " or "
		}
		s += t.String()
	}
	return s
}

// usedVars clears the watchlist and scope variables an expression does not
// read, so the runtime knows a critical operation needs no scope to decide it.
func usedVars(m *tables.Model, ast *cel.Ast, vars tables.Vars) tables.Vars {
	used := map[string]bool{}
	for _, ref := range ast.NativeRep().ReferenceMap() {
		used[ref.Name] = true
	}
	if vars.Watchlist && !used[celenv.VarWatchlist] {
		vars.Watchlist = false
	}
	if vars.Scope >= 0 && vars.Scope != vars.Elem && !used[m.Entities[vars.Scope].Name] {
		vars.Scope = -1
	}
	return vars
}

var (
	undefinedField = regexp.MustCompile(`^undefined field '(\w+)'`)
	undeclaredRef  = regexp.MustCompile(`^undeclared reference to '(\w+)'`)
)

// celHint suggests a name for CEL's "undefined field" (any field of the model's records or of
// the cloud view) and "undeclared reference" (the variables an expression sees) errors.
func celHint(m *modelInfo, ctx exprCtx, msg string) string {
	if g := undefinedField.FindStringSubmatch(msg); g != nil {
		var fields []string
		for i := range m.t.Entities {
			fields = append(fields, m.t.FieldNames(int32(i))...)
		}
		fields = append(fields, celenv.CloudFields(m.t)...)
		return didYouMean(g[1], fields)
	}
	if g := undeclaredRef.FindStringSubmatch(msg); g != nil {
		names := append([]string{celenv.VarOp, celenv.VarCloud, celenv.VarWatchlist}, keys(m.entities)...)
		for _, l := range ctx.lets {
			names = append(names, l.Name)
		}
		return didYouMean(g[1], names)
	}
	return ""
}
