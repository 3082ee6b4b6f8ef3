package symcel

import (
	"fmt"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Cloud is the `cloud` view of one symbolic state.
type Cloud interface {
	// Records is cloud.<plural>: the records of entity e.
	Records(e int32) *sym.List
	// IDs is cloud.<e>_ids.
	IDs(e int32) *sym.List
	// Lookup is cloud.<e>_by_id[id]: a missing id gives the zero record.
	Lookup(e int32, id sym.Scalar) *sym.Rec
	// Field is field f (tables.Model.FieldNames) of the record in a slot.
	Field(e int32, slot int32, f int) sym.Val
}

// Env is what one evaluation sees: the builder, the cloud and the variables.
type Env struct {
	B     *sym.B
	Names *Names
	Cloud Cloud
	Vars  map[string]sym.Val
	Lets  map[string]*Program
	lets  map[string]sym.Val
}

// scope binds comprehension variables.
type scope struct {
	name string
	val  sym.Val
	next *scope
}

func (s *scope) find(name string) (sym.Val, bool) {
	for ; s != nil; s = s.next {
		if s.name == name {
			return s.val, true
		}
	}
	return sym.Val{}, false
}

// Eval evaluates the program.
func (p *Program) Eval(env *Env) (sym.Val, error) {
	v, err := (&evaluator{p: p, env: env}).eval(p.root, nil)
	if err != nil {
		return v, p.errorf("%v", err)
	}
	return v, nil
}

// EvalBool evaluates a boolean program to its literal.
func (p *Program) EvalBool(env *Env) (sym.Lit, error) {
	v, err := p.Eval(env)
	if err == nil && v.K != sym.KBool {
		err = p.errorf("not a boolean")
	}
	return v.B, err
}

// Conjuncts splits a boolean program at its top-level `&&`s.
func (p *Program) Conjuncts() []*Program {
	if p.root.Kind() != ast.CallKind || p.root.AsCall().FunctionName() != "_&&_" {
		return []*Program{p}
	}
	var out []*Program
	for _, a := range p.root.AsCall().Args() {
		out = append(out, p.sub(a).Conjuncts()...)
	}
	return out
}

func (p *Program) sub(root ast.Expr) *Program {
	return &Program{ast: p.ast, root: root, What: p.What, Src: p.Src, Vars: p.Vars, Idents: p.Idents, Fields: p.Fields, consts: p.consts, fields: p.fields}
}

// Quantifier recognises `cloud.<plural>.all(v, body)`, so instances can be evaluated one by one.
func (p *Program) Quantifier() (plural, v string, body *Program, ok bool) {
	root := p.root
	if root.Kind() != ast.ComprehensionKind {
		return "", "", nil, false
	}
	cx := root.AsComprehension()
	step := cx.LoopStep()
	if cx.HasIterVar2() || step.Kind() != ast.CallKind || step.AsCall().FunctionName() != "_&&_" ||
		!isIdent(step.AsCall().Args()[0], cx.AccuVar()) || !isBoolLit(cx.AccuInit(), true) || !isIdent(cx.Result(), cx.AccuVar()) {
		return "", "", nil, false
	}
	rng := cx.IterRange()
	if rng.Kind() != ast.SelectKind || !isIdent(rng.AsSelect().Operand(), celenv.VarCloud) {
		return "", "", nil, false
	}
	return rng.AsSelect().FieldName(), cx.IterVar(), p.sub(step.AsCall().Args()[1]), true
}

func isIdent(e ast.Expr, name string) bool { return e.Kind() == ast.IdentKind && e.AsIdent() == name }

func isBoolLit(e ast.Expr, b bool) bool {
	return e.Kind() == ast.LiteralKind && e.AsLiteral() == types.Bool(b)
}

type evaluator struct {
	p   *Program
	env *Env
}

func (x *evaluator) b() *sym.B { return x.env.B }

func (x *evaluator) eval(e ast.Expr, sc *scope) (sym.Val, error) {
	if len(x.p.consts) > 0 && x.p.consts[e.ID()] {
		return x.literal(x.p.ast.ReferenceMap()[e.ID()].Value)
	}
	switch e.Kind() {
	case ast.LiteralKind:
		return x.literal(e.AsLiteral())
	case ast.IdentKind:
		return x.ident(e.AsIdent(), sc)
	case ast.SelectKind:
		return x.selectField(e.AsSelect(), e.ID(), sc)
	case ast.ListKind:
		return x.list(e.AsList(), sc)
	case ast.CallKind:
		return x.call(e.AsCall(), sc)
	case ast.ComprehensionKind:
		return x.comprehension(e.AsComprehension(), sc)
	case ast.MapKind:
		return x.mapLiteral(e.AsMap(), sc)
	}
	return sym.Val{}, fmt.Errorf("unsupported expression kind %d", e.Kind())
}

func (x *evaluator) literal(v ref.Val) (sym.Val, error) {
	b := x.b()
	switch v := v.(type) {
	case types.String:
		return sym.Str(b.Const(b.Dom.Key(string(v)))), nil
	case types.Int:
		return sym.Int(b.Const(int64(v))), nil
	case types.Bool:
		if v {
			return sym.Bool(b.T), nil
		}
		return sym.Bool(b.F), nil
	}
	return sym.Val{}, fmt.Errorf("constant %v is not supported", v)
}

func (x *evaluator) ident(name string, sc *scope) (sym.Val, error) {
	if v, ok := sc.find(name); ok {
		return v, nil
	}
	if v, ok := x.env.Vars[name]; ok {
		return v, nil
	}
	if name == celenv.VarCloud {
		return sym.Val{K: sym.KCloud}, nil
	}
	if prog, ok := x.env.Lets[name]; ok {
		return x.let(name, prog)
	}
	return sym.Val{}, fmt.Errorf("unknown variable %s", name)
}

func (x *evaluator) let(name string, prog *Program) (sym.Val, error) {
	if v, ok := x.env.lets[name]; ok {
		return v, nil
	}
	v, err := prog.Eval(x.env)
	if err != nil {
		return v, err
	}
	if x.env.lets == nil {
		x.env.lets = map[string]sym.Val{}
	}
	x.env.lets[name] = v
	return v, nil
}

func (x *evaluator) selectField(s ast.SelectExpr, id int64, sc *scope) (sym.Val, error) {
	op, err := x.eval(s.Operand(), sc)
	if err != nil {
		return op, err
	}
	name := s.FieldName()
	switch op.K {
	case sym.KCloud:
		return x.cloudField(name)
	case sym.KRec:
		return x.recordField(op, name, x.fieldIndex(id, func() int { return x.env.Names.field(op.E, name) }))
	case sym.KObj:
		i := x.fieldIndex(id, func() int { return x.env.Names.param(op.E, name) })
		if i < 0 {
			return op, fmt.Errorf("operation has no parameter %s", name)
		}
		if s.IsTestOnly() {
			return x.present(op, i), nil
		}
		return op.O[i], nil
	}
	return op, fmt.Errorf("field %s of a value that has no fields", name)
}

func (x *evaluator) cloudField(name string) (sym.Val, error) {
	cf, ok := x.env.Names.cloud[name]
	if !ok {
		return sym.Val{}, fmt.Errorf("cloud has no field %s", name)
	}
	switch cf.kind {
	case cloudRecords:
		return sym.ListOf(x.env.Cloud.Records(cf.entity)), nil
	case cloudIDs:
		return sym.ListOf(x.env.Cloud.IDs(cf.entity)), nil
	case cloudIndex:
		return sym.Val{K: sym.KIndex, E: cf.entity, F: int32(cf.field)}, nil
	}
	return sym.Val{K: sym.KMap, E: cf.entity}, nil
}

// indexed is cloud.<plural>_by_<field>[key]: every record, present when it
// exists and its field holds key (its list field contains it).
func (x *evaluator) indexed(ix sym.Val, key sym.Val) (*sym.List, error) {
	b := x.b()
	list := x.env.Names.M.FieldType(ix.E, int(ix.F)).Kind == tables.TList
	var out []*sym.Elem
	for _, el := range x.env.Cloud.Records(ix.E).Elems() {
		v := x.env.Cloud.Field(ix.E, el.V.R.Alts[0].Slot, int(ix.F))
		hit := b.T
		if list {
			l, err := b.Has(v.L, key)
			if err != nil {
				return nil, err
			}
			hit = l
		} else {
			hit = b.EqS(v.S, key.S)
		}
		if g := b.And(el.G, hit); g != b.F {
			out = append(out, &sym.Elem{G: g, V: el.V})
		}
	}
	return sym.NewList(out), nil
}

// fieldIndex resolves a select once: the operand's type, hence the index, is fixed per node.
func (x *evaluator) fieldIndex(id int64, resolve func() int) int {
	slot := &x.p.fields[id]
	if v := slot.Load(); v != 0 {
		return int(v) - 1
	}
	i := resolve()
	slot.Store(int32(i) + 1)
	return i
}

func (x *evaluator) recordField(r sym.Val, name string, f int) (sym.Val, error) {
	if f < 0 {
		return r, fmt.Errorf("%s records have no field %s", x.env.Names.M.Entities[r.E].Name, name)
	}
	zero := Zero(x.b(), x.env.Names.M.FieldType(r.E, f))
	return x.b().Select(r.R, func(slot int32) sym.Val { return x.env.Cloud.Field(r.E, slot, f) }, zero), nil
}

func (x *evaluator) list(l ast.ListExpr, sc *scope) (sym.Val, error) {
	if len(l.OptionalIndices()) > 0 {
		return sym.Val{}, fmt.Errorf("optional list elements are not supported")
	}
	var elems []*sym.Elem
	for _, e := range l.Elements() {
		v, err := x.eval(e, sc)
		if err != nil {
			return v, err
		}
		elems = append(elems, &sym.Elem{G: x.b().T, V: v})
	}
	return sym.ListOf(sym.NewList(elems)), nil
}

// comprehension runs the loop over every possible element: an absent element leaves the accumulator as it is.
func (x *evaluator) comprehension(cx ast.ComprehensionExpr, sc *scope) (sym.Val, error) {
	rng, err := x.eval(cx.IterRange(), sc)
	if err != nil {
		return rng, err
	}
	if rng.K != sym.KList {
		return rng, fmt.Errorf("comprehension over a value that is not a list")
	}
	accu, err := x.eval(cx.AccuInit(), sc)
	if err != nil {
		return accu, err
	}
	for _, el := range rng.L.Elems() {
		inner := &scope{name: cx.IterVar(), val: el.V, next: &scope{name: cx.AccuVar(), val: accu, next: sc}}
		next, err := x.eval(cx.LoopStep(), inner)
		if err != nil {
			return next, err
		}
		accu = x.b().Ite(el.G, next, accu)
	}
	return x.eval(cx.Result(), &scope{name: cx.AccuVar(), val: accu, next: sc})
}

// mapLiteral builds a map value: its keys as a list, its entries in order.
func (x *evaluator) mapLiteral(m ast.MapExpr, sc *scope) (sym.Val, error) {
	d := &sym.Dict{}
	for _, en := range m.Entries() {
		me := en.AsMapEntry()
		k, err := x.eval(me.Key(), sc)
		if err != nil {
			return k, err
		}
		v, err := x.eval(me.Value(), sc)
		if err != nil {
			return v, err
		}
		d.Keys, d.Vals = append(d.Keys, k), append(d.Vals, v)
	}
	return sym.Val{K: sym.KDict, D: d}, nil
}

// CloudReads lists the cloud fields the program reads, nested comprehensions included.
func (p *Program) CloudReads() []string {
	var out []string
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		switch e.Kind() {
		case ast.SelectKind:
			if op := e.AsSelect().Operand(); isIdent(op, celenv.VarCloud) {
				out = append(out, e.AsSelect().FieldName())
			}
			walk(e.AsSelect().Operand())
		case ast.CallKind:
			if e.AsCall().IsMemberFunction() {
				walk(e.AsCall().Target())
			}
			for _, a := range e.AsCall().Args() {
				walk(a)
			}
		case ast.ListKind:
			for _, a := range e.AsList().Elements() {
				walk(a)
			}
		case ast.ComprehensionKind:
			cx := e.AsComprehension()
			for _, a := range []ast.Expr{cx.IterRange(), cx.AccuInit(), cx.LoopStep(), cx.Result()} {
				walk(a)
			}
		case ast.MapKind:
			for _, en := range e.AsMap().Entries() {
				walk(en.AsMapEntry().Key())
				walk(en.AsMapEntry().Value())
			}
		}
	}
	walk(p.root)
	return out
}

// present is has(op.x): the operation gave the parameter. An operation built without presence
// (a baseline's concrete one) gives every parameter it has.
func (x *evaluator) present(op sym.Val, i int) sym.Val {
	if op.H == nil {
		return sym.Bool(x.env.B.T)
	}
	return sym.Bool(op.H[i])
}
