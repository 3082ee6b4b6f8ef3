package runtime

import (
	"cmp"
	"fmt"
	"slices"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"

	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// An audit evaluates each property's invariant on the context as it stands and names
// the records that break it. The invariant is taken apart into a tree (conjunctions,
// disjunctions, quantifiers over the cloud's records, leaves run in CEL) so that a
// violation names its records, and an inner quantifier guarded by `w.f != E` runs over
// the index cloud.<plural>_by_<f>[E] instead of every record: the audit of a pairwise
// invariant (two VMs on one host) is linear in the pairs that share the key.

type anodeKind uint8

const (
	aLeaf anodeKind = iota
	aAnd
	aOr
	aAll
)

// anode is one node of an invariant's audit tree.
type anode struct {
	kind anodeKind
	kids []*anode
	prg  cel.Program // leaf: the expression; all: the range (every record)
	// all: narrower ranges, each sound alone (the records outside it satisfy the body);
	// the audit runs over the smallest one for each binding of the outer variables.
	narrow []narrowing
	src    string // leaf: the expression; all: the body, for reasons
	// all: the iteration variable, the entity of its records (-1: not records), the
	// fields of it the body reads (for reports), and whether the range is an index.
	v      string
	entity int32
	fields []int
	body   *anode
	rng    string // all: the range's source (cloud.<plural>)
}

// boundVar is an iteration variable in scope while a subtree compiles.
type boundVar struct {
	name string
	typ  *cel.Type
}

// auditCompiler compiles one invariant's tree.
type auditCompiler struct {
	mr   *modelRT
	env  *cel.Env
	info *celast.SourceInfo
	nat  *celast.AST
	lets []letVal
}

// compileAudit takes a property's invariant apart; nil when the property has none.
func compileAudit(mr *modelRT, p *tables.Property, lets []letVal) (*anode, error) {
	if p.Invariant == nil {
		return nil, nil
	}
	env, err := mr.env.For(tables.Vars{Event: -1, Elem: -1, Scope: -1}, tables.ElemType{}, letDecls(lets))
	if err != nil {
		return nil, err
	}
	if env, err = env.Extend(cel.EnableMacroCallTracking()); err != nil {
		return nil, err
	}
	ast, iss := env.Compile(p.Invariant.Src)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("invariant: %w", iss.Err())
	}
	nat := ast.NativeRep()
	ac := &auditCompiler{mr: mr, env: env, info: nat.SourceInfo(), nat: nat, lets: lets}
	return ac.build(nat.Expr(), nil)
}

func (ac *auditCompiler) build(x celast.Expr, scope []boundVar) (*anode, error) {
	if x.Kind() == celast.CallKind {
		switch fn := x.AsCall().FunctionName(); fn {
		case operators.LogicalAnd, operators.LogicalOr:
			n := &anode{kind: map[string]anodeKind{operators.LogicalAnd: aAnd, operators.LogicalOr: aOr}[fn]}
			for _, a := range x.AsCall().Args() {
				k, err := ac.build(a, scope)
				if err != nil {
					return nil, err
				}
				if k.kind == n.kind { // a && (b && c): one node
					n.kids = append(n.kids, k.kids...)
				} else {
					n.kids = append(n.kids, k)
				}
			}
			return n, nil
		}
	}
	if rng, v, body, ok := allOverCloud(x); ok {
		return ac.buildAll(rng, v, body, scope)
	}
	return ac.leaf(x, scope)
}

// allOverCloud recognises `cloud.<records>.all(v, body)` as CEL expands it.
func allOverCloud(x celast.Expr) (rng celast.Expr, v string, body celast.Expr, ok bool) {
	if x.Kind() != celast.ComprehensionKind {
		return nil, "", nil, false
	}
	c := x.AsComprehension()
	step := c.LoopStep()
	if c.HasIterVar2() || step.Kind() != celast.CallKind || step.AsCall().FunctionName() != operators.LogicalAnd ||
		c.AccuInit().Kind() != celast.LiteralKind || c.AccuInit().AsLiteral() != types.True {
		return nil, "", nil, false
	}
	args := step.AsCall().Args()
	if len(args) != 2 || args[0].Kind() != celast.IdentKind || args[0].AsIdent() != c.AccuVar() {
		return nil, "", nil, false
	}
	r := c.IterRange()
	if r.Kind() != celast.SelectKind || r.AsSelect().Operand().Kind() != celast.IdentKind ||
		r.AsSelect().Operand().AsIdent() != celenv.VarCloud {
		return nil, "", nil, false
	}
	return r, c.IterVar(), args[1], true
}

func (ac *auditCompiler) buildAll(rng celast.Expr, v string, body celast.Expr, scope []boundVar) (*anode, error) {
	lt := ac.nat.GetType(rng.ID())
	if lt == nil || len(lt.Parameters()) != 1 {
		return ac.leaf(rng, scope)
	}
	elem := lt.Parameters()[0]
	n := &anode{kind: aAll, v: v, entity: ac.entityOf(elem)}
	inner := append(slices.Clip(scope), boundVar{v, elem})
	var err error
	if n.body, err = ac.build(body, inner); err != nil {
		return nil, err
	}
	if n.src, err = cel.ExprToString(body, ac.info); err != nil {
		return nil, err
	}
	n.src = oneLine(n.src)
	n.fields = ac.fieldsRead(body, v, n.entity)
	n.rng = "cloud." + rng.AsSelect().FieldName()
	if n.prg, err = ac.program(n.rng, scope); err != nil {
		return nil, err
	}
	for _, nw := range ac.narrowings(rng.AsSelect().FieldName(), v, body) {
		var na narrowing
		if na.prg, err = ac.program(nw.src, scope); err != nil {
			return nil, err
		}
		if nw.keys != "" {
			if na.keys, err = ac.program(nw.keys, scope); err != nil {
				return nil, err
			}
		}
		n.narrow = append(n.narrow, na)
	}
	slices.SortStableFunc(n.narrow, func(a, b narrowing) int { // one lookup first
		return cmp.Compare(b2i(a.keys != nil), b2i(b.keys != nil))
	})
	return n, nil
}

// narrowing is a range narrower than every record; keys, for the `in` form, are the
// values whose records it gathers (their count bounds its cost).
type narrowing struct {
	prg, keys cel.Program
}

type narrowSrc struct{ src, keys string }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// narrowings are the index ranges the body allows: a disjunct `v.f != E` (E free of v)
// leaves only cloud.<plural>_by_<f>[E] to check, a disjunct `!(v.f in E)` only the records
// of E's values, when the model has that index. A whole cloud list (cloud.user_ids) is
// no narrowing.
func (ac *auditCompiler) narrowings(plural, v string, body celast.Expr) []narrowSrc {
	var out []narrowSrc
	for _, d := range disjuncts(body) {
		f, e, in, ok := keyOf(d, v)
		if !ok || mentions(e, v) || in && isCloudField(e) {
			continue
		}
		name := plural + "_by_" + f
		if !slices.Contains(celenv.CloudFields(ac.mr.m), name) {
			continue
		}
		k, err := cel.ExprToString(e, ac.info)
		if err != nil {
			continue
		}
		if in {
			out = append(out, narrowSrc{"(" + k + ").map(pvsc_key, cloud." + name + "[pvsc_key]).flatten()", k})
		} else {
			out = append(out, narrowSrc{src: "cloud." + name + "[" + k + "]"})
		}
	}
	return out
}

func isCloudField(x celast.Expr) bool {
	return x.Kind() == celast.SelectKind && x.AsSelect().Operand().Kind() == celast.IdentKind &&
		x.AsSelect().Operand().AsIdent() == celenv.VarCloud
}

func disjuncts(x celast.Expr) []celast.Expr {
	if x.Kind() == celast.CallKind && x.AsCall().FunctionName() == operators.LogicalOr {
		var out []celast.Expr
		for _, a := range x.AsCall().Args() {
			out = append(out, disjuncts(a)...)
		}
		return out
	}
	return []celast.Expr{x}
}

// keyOf matches `v.f != E`, `E != v.f`, `!(v.f == E)` and (in) `!(v.f in E)`.
func keyOf(x celast.Expr, v string) (field string, other celast.Expr, in, ok bool) {
	if x.Kind() != celast.CallKind {
		return "", nil, false, false
	}
	c := x.AsCall()
	args := c.Args()
	switch c.FunctionName() {
	case operators.LogicalNot:
		if len(args) != 1 || args[0].Kind() != celast.CallKind {
			return "", nil, false, false
		}
		switch args[0].AsCall().FunctionName() {
		case operators.In:
			a := args[0].AsCall().Args()
			if f, ok := fieldOf(a[0], v); ok && len(a) == 2 {
				return f, a[1], true, true
			}
			return "", nil, false, false
		case operators.Equals:
			args = args[0].AsCall().Args()
		default:
			return "", nil, false, false
		}
	case operators.NotEquals:
	default:
		return "", nil, false, false
	}
	if len(args) != 2 {
		return "", nil, false, false
	}
	for i := range 2 {
		if f, ok := fieldOf(args[i], v); ok {
			return f, args[1-i], false, true
		}
	}
	return "", nil, false, false
}

// fieldOf matches `v.f`.
func fieldOf(x celast.Expr, v string) (string, bool) {
	if x.Kind() != celast.SelectKind || x.AsSelect().IsTestOnly() {
		return "", false
	}
	op := x.AsSelect().Operand()
	if op.Kind() != celast.IdentKind || op.AsIdent() != v {
		return "", false
	}
	return x.AsSelect().FieldName(), true
}

func mentions(x celast.Expr, v string) bool {
	found := false
	celast.PostOrderVisit(x, celast.NewExprVisitor(func(e celast.Expr) {
		found = found || e.Kind() == celast.IdentKind && e.AsIdent() == v
	}))
	return found
}

// fieldsRead lists the fields of v's records that the body reads, in model order.
func (ac *auditCompiler) fieldsRead(body celast.Expr, v string, entity int32) []int {
	if entity < 0 {
		return nil
	}
	names := ac.mr.m.FieldNames(entity)
	var out []int
	celast.PostOrderVisit(body, celast.NewExprVisitor(func(e celast.Expr) {
		if f, ok := fieldOf(e, v); ok {
			if i := slices.Index(names, f); i > 0 && !slices.Contains(out, i) {
				out = append(out, i)
			}
		}
	}))
	slices.Sort(out)
	return out
}

func (ac *auditCompiler) entityOf(t *cel.Type) int32 {
	for i, rt := range ac.mr.env.RecordTypes {
		if rt.TypeName() == t.TypeName() {
			return int32(i)
		}
	}
	return -1
}

func (ac *auditCompiler) leaf(x celast.Expr, scope []boundVar) (*anode, error) {
	src, err := cel.ExprToString(x, ac.info)
	if err != nil {
		return nil, err
	}
	prg, err := ac.program(src, scope)
	return &anode{kind: aLeaf, prg: prg, src: oneLine(src)}, err
}

// program compiles one piece with the iteration variables in scope; the indexes it
// reads are kept by the store from the first load on.
func (ac *auditCompiler) program(src string, scope []boundVar) (cel.Program, error) {
	env := ac.env
	if len(scope) > 0 {
		opts := make([]cel.EnvOption, len(scope))
		for i, b := range scope {
			opts[i] = cel.Variable(b.name, b.typ)
		}
		var err error
		if env, err = env.Extend(opts...); err != nil {
			return nil, err
		}
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("invariant: `%s`: %w", src, iss.Err())
	}
	internLiterals(ac.mr, ast)
	noteIndexes(ac.mr, ast)
	return env.Program(ast)
}
