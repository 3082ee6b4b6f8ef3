package compiler

import (
	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"github.com/alecthomas/participle/v2/lexer"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// A scan is an expression's use of a whole entity: iterating cloud.<plural>,
// cloud.<e>_ids or a map, or yielding one as a list. It costs every record of
// the entity each time it runs. Looking a value up (cloud.e_by_id[x],
// cloud.es_by_f[x], x in cloud.e_ids) and size() cost one lookup.
type scan struct {
	field string
	pos   lexer.Position
}

// scans lists the scans of a checked expression, at their place in the source.
func scans(m *tables.Model, ast *cel.Ast, src *dsl.CEL) []scan {
	cloud := map[string]bool{}
	for _, f := range m.CloudFields() {
		cloud[f.Name] = true
	}
	info := ast.NativeRep().SourceInfo()
	var out []scan
	var walk func(e celast.Expr, lookup bool)
	walk = func(e celast.Expr, lookup bool) {
		switch e.Kind() {
		case celast.SelectKind:
			sel := e.AsSelect()
			if op := sel.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == celenv.VarCloud {
				if cloud[sel.FieldName()] && !lookup {
					loc := info.GetStartLocation(op.ID())
					out = append(out, scan{field: "cloud." + sel.FieldName(), pos: src.At(loc.Line(), loc.Column())})
				}
				return
			}
			walk(sel.Operand(), false)
		case celast.CallKind:
			walkCall(e.AsCall(), walk)
		case celast.ListKind:
			for _, x := range e.AsList().Elements() {
				walk(x, false)
			}
		case celast.MapKind:
			for _, en := range e.AsMap().Entries() {
				walk(en.AsMapEntry().Key(), false)
				walk(en.AsMapEntry().Value(), false)
			}
		case celast.ComprehensionKind:
			cx := e.AsComprehension()
			for _, x := range []celast.Expr{cx.IterRange(), cx.AccuInit(), cx.LoopStep(), cx.Result()} {
				walk(x, false)
			}
		}
	}
	walk(ast.NativeRep().Expr(), false)
	return out
}

// walkCall visits a call's operands, marking those it only looks into: the
// map or list of `x in c`, the map of `c[x]`, the list of `size(c)`.
func walkCall(call celast.CallExpr, walk func(celast.Expr, bool)) {
	args := call.Args()
	if call.IsMemberFunction() {
		args = append([]celast.Expr{call.Target()}, args...)
	}
	for i, a := range args {
		lookup := false
		switch call.FunctionName() {
		case "@in":
			lookup = i == 1
		case "_[_]":
			lookup = i == 0
		case "size":
			lookup = true
		}
		walk(a, lookup)
	}
}

// checkCost refuses scans on the path of every operation of an event (its
// critical condition, allow rule and watchlist rules) and in the watchlist
// init, unless the property declares the event, or init, rare.
func (c *compiler) checkCost(p *propInfo, rare []dsl.Ident) {
	isRare := c.rareEvents(p, rare)
	m := p.model.t
	for _, cr := range p.t.Criticals {
		if isRare[cr.Event] {
			continue
		}
		ev := m.Events[cr.Event].Name
		c.refuseScans(cr.When, "critical "+ev+" when", ev)
		c.refuseScans(cr.Allow, "allow on "+ev, ev)
	}
	for _, u := range p.t.Watchlist.Updates {
		if isRare[u.Event] {
			continue
		}
		ev := m.Events[u.Event].Name
		c.refuseScans(u.Expr, u.Op.String()+" on "+ev, ev)
		c.refuseScans(u.For, "the `for` of "+u.Op.String()+" on "+ev, ev)
	}
	if p.t.RareInit {
		return
	}
	for _, in := range p.t.Watchlist.Inits {
		for _, s := range c.scanAt[in.Expr] {
			c.errorf(s.pos, "watchlist init scans %s for every %s: start-up costs scopes × records; reach the records through an index (cloud.<plural>_by_<field>[key]) or declare `rare init`",
				s.field, m.Entities[p.t.Scope].Name)
		}
	}
}

func (c *compiler) rareEvents(p *propInfo, rare []dsl.Ident) map[int32]bool {
	out := map[int32]bool{}
	for _, id := range rare {
		if id.Name == "init" {
			p.t.RareInit = true
			continue
		}
		if ev, ok := c.event(p.model, id); ok && !out[ev] {
			out[ev] = true
			p.t.Rare = append(p.t.Rare, ev)
		}
	}
	return out
}

func (c *compiler) refuseScans(x *tables.Expr, clause, ev string) {
	for _, s := range c.scanAt[x] {
		c.errorf(s.pos, "%s scans %s: every %s operation costs all its records; reach them through an index (cloud.<plural>_by_<field>[key]) or declare the event rare (`rare %s`)",
			clause, s.field, ev, ev)
	}
}
