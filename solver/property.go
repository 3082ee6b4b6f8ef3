package solver

import (
	"fmt"

	"pvsc.dev/pvsc/solver/symcel"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// property is a property with every expression compiled for symbolic evaluation.
type property struct {
	p       *tables.Property
	m       *tables.Model
	names   *symcel.Names
	comp    *symcel.Compiler
	inv     *symcel.Program
	crits   []critical
	inits   []initRule
	updates []updateRule
	where   []*symcel.Program
	// mentioned are the entities the expressions read; quantified those the invariant iterates over.
	mentioned, quantified map[int32]bool
	// fields are the names of every field an expression selects on a record or an operation.
	fields map[string]bool
	// sorts say which strings each value may be compared with (the bounded domains).
	sorts *symcel.Sorts
}

type critical struct {
	ev          int32
	when, allow *symcel.Program
	// uses: the allow rule sees the watchlist or the scope, so an unknown scope means the fail mode.
	uses bool
}

type initRule struct {
	entity int32
	prog   *symcel.Program
}

type updateRule struct {
	u            tables.Update
	expr, scopes *symcel.Program
}

func compileProperty(spec *tables.Spec, p *tables.Property) (*property, error) {
	m := spec.Models[p.Model]
	env, err := celenv.New(m)
	if err != nil {
		return nil, err
	}
	comp, err := symcel.NewCompiler(env, p)
	if err != nil {
		return nil, err
	}
	c := &propCompiler{pr: &property{p: p, m: m, names: symcel.NewNames(m), comp: comp, mentioned: map[int32]bool{}, quantified: map[int32]bool{}, fields: map[string]bool{}}}
	c.all()
	if c.err != nil {
		return nil, c.err
	}
	if err := c.pr.inferSorts(); err != nil {
		return nil, err
	}
	return c.pr, nil
}

// inferSorts joins the sorts of the strings the property's expressions compare.
func (pr *property) inferSorts() error {
	s := symcel.NewSorts(pr.m, pr.names)
	s.SetLets(pr.comp.Lets)
	s.Watchlist(pr.p.Watchlist.Elem)
	type use struct {
		prog *symcel.Program
		as   int
	}
	uses := []use{{pr.inv, symcel.AsNothing}}
	for _, cr := range pr.crits {
		uses = append(uses, use{cr.when, symcel.AsNothing}, use{cr.allow, symcel.AsNothing})
	}
	for _, in := range pr.inits {
		if in.entity >= 0 {
			s.Join(s.Elem, s.Entity(in.entity))
			uses = append(uses, use{in.prog, symcel.AsNothing})
		} else {
			uses = append(uses, use{in.prog, symcel.AsElem})
		}
	}
	for _, u := range pr.updates {
		uses = append(uses, use{u.expr, symcel.AsElem}, use{u.scopes, symcel.AsScope})
	}
	for _, w := range pr.where {
		uses = append(uses, use{w, symcel.AsNothing})
	}
	for _, u := range uses {
		if u.prog == nil {
			continue
		}
		if err := s.Unify(u.prog, pr.p.Scope, u.as); err != nil {
			return err
		}
	}
	pr.sorts = s
	return nil
}

// propCompiler compiles a property's clauses, keeping the first error.
type propCompiler struct {
	pr  *property
	err error
}

func (c *propCompiler) compile(x *tables.Expr, clause string) *symcel.Program {
	if x == nil || c.err != nil {
		return nil
	}
	prog, err := c.pr.comp.Compile(x, clause)
	if err != nil {
		c.err = err
		return nil
	}
	for _, f := range prog.Cloud {
		if e, _, ok := c.pr.names.CloudEntity(f); ok {
			c.pr.mentioned[e] = true
		}
	}
	for f := range prog.Fields {
		c.pr.fields[f] = true
	}
	return prog
}

func (c *propCompiler) all() {
	pr := c.pr
	if pr.p.Invariant == nil {
		c.err = fmt.Errorf("property %s has no invariant", pr.p.Name)
		return
	}
	pr.inv = c.compile(pr.p.Invariant, "invariant")
	if pr.inv != nil {
		for _, f := range pr.inv.Cloud {
			if e, records, ok := pr.names.CloudEntity(f); ok && records {
				pr.quantified[e] = true
			}
		}
	}
	for _, cr := range pr.p.Criticals {
		name := pr.m.Events[cr.Event].Name
		uses := cr.Allow != nil && (cr.Allow.Vars.Watchlist || cr.Allow.Vars.Scope >= 0)
		pr.crits = append(pr.crits, critical{ev: cr.Event, when: c.compile(cr.When, "critical "+name+" when"), allow: c.compile(cr.Allow, "allow on "+name), uses: uses})
	}
	for _, in := range pr.p.Watchlist.Inits {
		if in.Entity >= 0 {
			pr.mentioned[in.Entity] = true
		}
		pr.inits = append(pr.inits, initRule{entity: in.Entity, prog: c.compile(in.Expr, "watchlist init")})
	}
	for _, u := range pr.p.Watchlist.Updates {
		what := fmt.Sprintf("watchlist rule on %s", pr.m.Events[u.Event].Name)
		pr.updates = append(pr.updates, updateRule{u: u, expr: c.compile(u.Expr, what), scopes: c.compile(u.For, what+" for")})
	}
	pr.where = make([]*symcel.Program, len(pr.m.Events))
	for i := range pr.m.Events {
		pr.where[i] = c.compile(pr.m.Events[i].Where, "where of event "+pr.m.Events[i].Name)
	}
}

// needAttr: an attribute matters when an expression selects a field of its
// name, or it carries a link a fact counts. The others never change a
// verdict, so the bounded world keeps them at their zero value.
func (pr *property) needAttr(e int32, a int) bool {
	if pr.fields[pr.m.Entities[e].Attrs[a].Name] {
		return true
	}
	for _, f := range pr.p.Facts {
		if f.Kind == tables.Linked && f.Link.Entity == e && int(f.Link.Attr) == a {
			return true
		}
	}
	return false
}

// needParam: a parameter matters when it names a record the operation acts
// on, an expression reads it, or it sets an attribute that matters.
func (pr *property) needParam(ev int32, i int) bool {
	e := &pr.m.Events[ev]
	if int32(i) == e.Key || int32(i) == e.OtherKey || pr.fields[e.Params[i].Name] {
		return true
	}
	for _, pk := range e.ParentKeys {
		if pk == int32(i) {
			return true
		}
	}
	for _, s := range e.Sets {
		if s.Param == int32(i) && pr.needAttr(s.Entity, int(s.Attr)) {
			return true
		}
	}
	return false
}
