package symcel

import (
	"fmt"
	"sort"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"

	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Sorts partitions the string values of a model into sorts: two values are of
// one sort when some expression compares them, directly or through what it
// builds (`==`, `in`, `startsWith`, a list literal, a conditional, a
// comprehension, a watchlist rule, an event setting an attribute). Ids of an
// entity, each string attribute and each string parameter start as their own
// sort, and every string constant as its own.
//
// A bounded proof ranges a value of a sort over "", the constants of its sort,
// the slot ids of the entities whose ids are of its sort, and one foreign
// value: a tenant id never ranges over "network:" when nothing compares a
// tenant id with a device owner, since no expression could tell them apart.
type Sorts struct {
	m      *tables.Model
	names  *Names
	parent []int
	consts [][]string // per atom: the constants it holds
	ents   [][]int32  // per atom: the entities whose ids it holds
	ent    []int
	attr   map[[2]int32]int
	param  map[[2]int32]int
	lets   map[string]*aval
	// letProgs are the property's lets (SetLets).
	letProgs map[string]*Program
	// Elem is the sort of watchlist elements.
	Elem int
}

// NewSorts starts the sorts of a model: every entity's ids, string attribute
// and string parameter its own, then events' effects joined (a parameter that
// sets an attribute is of its sort).
func NewSorts(m *tables.Model, names *Names) *Sorts {
	s := &Sorts{m: m, names: names, attr: map[[2]int32]int{}, param: map[[2]int32]int{}}
	for e := range m.Entities {
		a := s.atom()
		s.ents[a] = append(s.ents[a], int32(e))
		s.ent = append(s.ent, a)
	}
	s.Elem = s.atom()
	for ev := range m.Events {
		e := &m.Events[ev]
		for _, set := range e.Sets {
			s.unify(s.paramVal(int32(ev), int(set.Param)), s.attrVal(set.Entity, int(set.Attr)))
		}
	}
	return s
}

func (s *Sorts) atom() int {
	s.parent = append(s.parent, len(s.parent))
	s.consts = append(s.consts, nil)
	s.ents = append(s.ents, nil)
	return len(s.parent) - 1
}

func (s *Sorts) find(x int) int {
	for s.parent[x] != x {
		s.parent[x] = s.parent[s.parent[x]]
		x = s.parent[x]
	}
	return x
}

func (s *Sorts) union(x, y int) {
	x, y = s.find(x), s.find(y)
	if x == y {
		return
	}
	s.parent[y] = x
	s.consts[x] = append(s.consts[x], s.consts[y]...)
	s.ents[x] = append(s.ents[x], s.ents[y]...)
	s.consts[y], s.ents[y] = nil, nil
}

// Entity is the sort of entity e's ids.
func (s *Sorts) Entity(e int32) int { return s.ent[e] }

// Attr is the sort of attribute a of entity e (of its elements for a list), -1 when it is not a string.
func (s *Sorts) Attr(e int32, a int) int { return s.sortOf(s.attrVal(e, a)) }

// Param is the sort of parameter i of event ev (of its elements for a list), -1 when it is not a string.
func (s *Sorts) Param(ev int32, i int) int { return s.sortOf(s.paramVal(ev, i)) }

func (s *Sorts) sortOf(v *aval) int {
	v = v.find()
	if v.k == aList {
		v = v.elem.find()
	}
	if v.k != aStr {
		return -1
	}
	return v.s
}

// Members lists what a value of sort x may be: its constants and the entities whose ids it holds.
func (s *Sorts) Members(x int) (consts []string, ents []int32) {
	r := s.find(x)
	consts = append([]string(nil), s.consts[r]...)
	sort.Strings(consts)
	ents = append([]int32(nil), s.ents[r]...)
	sort.Slice(ents, func(i, j int) bool { return ents[i] < ents[j] })
	return consts, ents
}

// SetLets gives the property's let constants, which expressions may read.
func (s *Sorts) SetLets(lets map[string]*Program) { s.letProgs = lets }

// Root names the class of sort x: two sorts are one when their roots are equal.
func (s *Sorts) Root(x int) int { return s.find(x) }

// Join puts two sorts together.
func (s *Sorts) Join(x, y int) { s.union(x, y) }

// aval is an abstract value: what sort a string is, what a list holds.
type aval struct {
	k    akind
	s    int   // aStr: the atom
	e    int32 // aRec, aMap: the entity; aObj: the event
	elem *aval // aList
	key  *aval // aDict
	val  *aval // aDict
	ref  *aval // aVar: bound to
}

type akind uint8

const (
	aVar akind = iota // not known yet: unification binds it
	aStr
	aList
	aRec
	aObj
	aCloud
	aMap
	aDict
	aOther // booleans and ints
)

func (v *aval) find() *aval {
	for v.k == aVar && v.ref != nil {
		v = v.ref
	}
	return v
}

func (s *Sorts) unify(a, b *aval) {
	a, b = a.find(), b.find()
	switch {
	case a == b:
	case a.k == aVar:
		a.ref = b
	case b.k == aVar:
		b.ref = a
	case a.k == aStr && b.k == aStr:
		s.union(a.s, b.s)
	case a.k == aList && b.k == aList:
		s.unify(a.elem, b.elem)
	case a.k == aDict && b.k == aDict:
		s.unify(a.key, b.key)
		s.unify(a.val, b.val)
	}
}

func (s *Sorts) str(atom int) *aval { return &aval{k: aStr, s: atom} }

func other() *aval { return &aval{k: aOther} }

// typed is the abstract value of type t whose strings are of sort atom (made on demand).
func (s *Sorts) typed(t tables.Type, atom func() int) *aval {
	scalar := func(k tables.TypeKind) *aval {
		switch k {
		case tables.TRef:
			return s.str(s.ent[t.Ref])
		case tables.TString:
			return s.str(atom())
		}
		return other()
	}
	if t.Kind == tables.TList {
		return &aval{k: aList, elem: scalar(t.Elem)}
	}
	return scalar(t.Kind)
}

func (s *Sorts) attrVal(e int32, a int) *aval {
	return s.typed(s.m.Entities[e].Attrs[a].Type, func() int {
		k := [2]int32{e, int32(a)}
		if x, ok := s.attr[k]; ok {
			return x
		}
		s.attr[k] = s.atom()
		return s.attr[k]
	})
}

func (s *Sorts) paramVal(ev int32, i int) *aval {
	return s.typed(s.m.Events[ev].Params[i].Type, func() int {
		k := [2]int32{ev, int32(i)}
		if x, ok := s.param[k]; ok {
			return x
		}
		s.param[k] = s.atom()
		return s.param[k]
	})
}

func (s *Sorts) field(e int32, f int) *aval {
	anc := s.m.Entities[e].Ancestors
	switch {
	case f == 0:
		return s.str(s.ent[e])
	case f <= len(anc):
		return s.str(s.ent[anc[f-1]])
	}
	return s.attrVal(e, f-1-len(anc))
}

// ElemOf joins a value a watchlist rule yields (an element or a list of them) with the watchlist's elements.
func (s *Sorts) elemOf(v *aval) {
	v = v.find()
	if v.k == aList {
		s.unify(v.elem, s.str(s.Elem))
		return
	}
	s.unify(v, s.str(s.Elem))
}

// Watchlist joins the watchlist's declared element types with its elements.
func (s *Sorts) Watchlist(el tables.ElemType) {
	for _, t := range el.Types {
		if t.Kind == tables.TRef && t.Ref >= 0 {
			s.union(s.Elem, s.ent[t.Ref])
		}
	}
}

// Unify joins the sorts the program compares. Its variables are those its
// Vars declare: `op`, the element record, the scope id, the watchlist. As
// says what the value is: an element or list of elements of the watchlist
// (AsElem), a scope id or list of them (AsScope), or nothing (AsNothing).
func (s *Sorts) Unify(p *Program, scope int32, as int) error {
	vars := map[string]*aval{}
	if p.Vars.Event >= 0 {
		vars[celenv.VarOp] = &aval{k: aObj, e: p.Vars.Event}
	}
	if p.Vars.Elem >= 0 {
		vars[s.m.Entities[p.Vars.Elem].Name] = &aval{k: aRec, e: p.Vars.Elem}
	}
	if p.Vars.Scope >= 0 {
		vars[s.m.Entities[p.Vars.Scope].Name] = s.str(s.ent[p.Vars.Scope])
	}
	if p.Vars.Watchlist {
		vars[celenv.VarWatchlist] = &aval{k: aList, elem: s.str(s.Elem)}
	}
	u := &unifier{s: s, p: p, vars: vars}
	v, err := u.eval(p.root, nil)
	if err != nil {
		return p.errorf("sorts: %v", err)
	}
	switch as {
	case AsElem:
		s.elemOf(v)
	case AsScope:
		v = v.find()
		if v.k == aList {
			v = v.elem
		}
		s.unify(v, s.str(s.ent[scope]))
	}
	return nil
}

// What a program's value is, for Unify.
const (
	AsNothing = iota
	AsElem
	AsScope
)

type unifier struct {
	s    *Sorts
	p    *Program
	vars map[string]*aval
}

type ascope struct {
	name string
	val  *aval
	next *ascope
}

func (u *unifier) lookup(sc *ascope, name string) (*aval, bool) {
	for ; sc != nil; sc = sc.next {
		if sc.name == name {
			return sc.val, true
		}
	}
	v, ok := u.vars[name]
	return v, ok
}

func (u *unifier) eval(e ast.Expr, sc *ascope) (*aval, error) {
	s := u.s
	if u.p.consts[e.ID()] {
		return u.literal(u.p.ast.ReferenceMap()[e.ID()].Value), nil
	}
	switch e.Kind() {
	case ast.LiteralKind:
		return u.literal(e.AsLiteral()), nil
	case ast.IdentKind:
		name := e.AsIdent()
		if v, ok := u.lookup(sc, name); ok {
			return v, nil
		}
		if name == celenv.VarCloud {
			return &aval{k: aCloud}, nil
		}
		return u.let(name)
	case ast.SelectKind:
		op, err := u.eval(e.AsSelect().Operand(), sc)
		if err != nil {
			return nil, err
		}
		return u.selectField(op.find(), e.AsSelect().FieldName())
	case ast.ListKind:
		elem := &aval{}
		for _, x := range e.AsList().Elements() {
			v, err := u.eval(x, sc)
			if err != nil {
				return nil, err
			}
			s.unify(elem, v)
		}
		return &aval{k: aList, elem: elem}, nil
	case ast.MapKind:
		d := &aval{k: aDict, key: &aval{}, val: &aval{}}
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			k, err := u.eval(me.Key(), sc)
			if err != nil {
				return nil, err
			}
			v, err := u.eval(me.Value(), sc)
			if err != nil {
				return nil, err
			}
			s.unify(d.key, k)
			s.unify(d.val, v)
		}
		return d, nil
	case ast.CallKind:
		return u.call(e.AsCall(), sc)
	case ast.ComprehensionKind:
		return u.comprehension(e.AsComprehension(), sc)
	}
	return nil, fmt.Errorf("unsupported expression kind %d", e.Kind())
}

func (u *unifier) literal(v any) *aval {
	if str, ok := v.(types.String); ok {
		a := u.s.atom()
		u.s.consts[a] = append(u.s.consts[a], string(str))
		return u.s.str(a)
	}
	return other()
}

func (u *unifier) let(name string) (*aval, error) {
	if v, ok := u.s.lets[name]; ok {
		return v, nil
	}
	prog, ok := u.lets()[name]
	if !ok {
		return nil, fmt.Errorf("unknown variable %s", name)
	}
	v, err := (&unifier{s: u.s, p: prog, vars: map[string]*aval{}}).eval(prog.root, nil)
	if err != nil {
		return nil, err
	}
	if u.s.lets == nil {
		u.s.lets = map[string]*aval{}
	}
	u.s.lets[name] = v
	return v, nil
}

func (u *unifier) lets() map[string]*Program { return u.s.letProgs }

func (u *unifier) selectField(op *aval, name string) (*aval, error) {
	s := u.s
	switch op.k {
	case aCloud:
		cf, ok := s.names.cloud[name]
		if !ok {
			return nil, fmt.Errorf("cloud has no field %s", name)
		}
		switch cf.kind {
		case cloudRecords:
			return &aval{k: aList, elem: &aval{k: aRec, e: cf.entity}}, nil
		case cloudIDs:
			return &aval{k: aList, elem: s.str(s.ent[cf.entity])}, nil
		case cloudIndex:
			// An index is a map from a field's values to records: its keys are of the field's sort.
			key := s.field(cf.entity, cf.field).find()
			if key.k == aList {
				key = key.elem
			}
			return &aval{k: aDict, key: key, val: &aval{k: aList, elem: &aval{k: aRec, e: cf.entity}}}, nil
		}
		return &aval{k: aMap, e: cf.entity}, nil
	case aRec:
		f := s.names.field(op.e, name)
		if f < 0 {
			return nil, fmt.Errorf("no field %s", name)
		}
		return s.field(op.e, f), nil
	case aObj:
		i := s.names.param(op.e, name)
		if i < 0 {
			return nil, fmt.Errorf("operation has no parameter %s", name)
		}
		return s.paramVal(op.e, i), nil
	}
	return nil, fmt.Errorf("field %s of a value that has no fields", name)
}

func (u *unifier) call(c ast.CallExpr, sc *ascope) (*aval, error) {
	s := u.s
	es := c.Args()
	if c.IsMemberFunction() {
		es = append([]ast.Expr{c.Target()}, es...)
	}
	a := make([]*aval, len(es))
	for i, x := range es {
		v, err := u.eval(x, sc)
		if err != nil {
			return nil, err
		}
		a[i] = v
	}
	switch c.FunctionName() {
	case "_?_:_":
		s.unify(a[1], a[2])
		return a[1], nil
	case "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_", "startsWith", "endsWith", "contains":
		s.unify(a[0], a[1])
	case "@in":
		switch coll := a[1].find(); coll.k {
		case aList:
			s.unify(a[0], coll.elem)
		case aMap:
			s.unify(a[0], s.str(s.ent[coll.e]))
		case aDict:
			s.unify(a[0], coll.key)
		}
	case "_[_]":
		switch coll := a[0].find(); coll.k {
		case aMap:
			s.unify(a[1], s.str(s.ent[coll.e]))
			return &aval{k: aRec, e: coll.e}, nil
		case aDict:
			s.unify(a[1], coll.key)
			return coll.val, nil
		case aList:
			return coll.elem, nil
		}
	case "_+_":
		if l := a[0].find(); l.k == aList {
			s.unify(a[0], a[1])
			return a[0], nil
		}
	case "@not_strictly_false":
		return a[0], nil
	case celenv.FnFlatten:
		if l := a[0].find(); l.k == aList {
			if inner := l.elem.find(); inner.k == aList {
				return inner, nil
			}
		}
	}
	return other(), nil
}

func (u *unifier) comprehension(cx ast.ComprehensionExpr, sc *ascope) (*aval, error) {
	rng, err := u.eval(cx.IterRange(), sc)
	if err != nil {
		return nil, err
	}
	elem := &aval{}
	switch r := rng.find(); r.k {
	case aList:
		elem = r.elem
	case aMap:
		elem = u.s.str(u.s.ent[r.e])
	case aDict:
		elem = r.key
	}
	accu, err := u.eval(cx.AccuInit(), sc)
	if err != nil {
		return nil, err
	}
	inner := &ascope{name: cx.IterVar(), val: elem, next: &ascope{name: cx.AccuVar(), val: accu, next: sc}}
	step, err := u.eval(cx.LoopStep(), inner)
	if err != nil {
		return nil, err
	}
	u.s.unify(accu, step)
	return u.eval(cx.Result(), &ascope{name: cx.AccuVar(), val: accu, next: sc})
}
