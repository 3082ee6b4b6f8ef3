package compiler

import (
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/common"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/parser"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Coverage warns, before any proof, about an event that writes a record or attribute a
// property's invariant reads while the event is neither critical nor a watchlist or
// trigger event for the property: extending a model with such an event silently breaks
// the plan until verify is run.
func Coverage(r *Result) dsl.Diagnostics {
	var ds dsl.Diagnostics
	for _, p := range r.Spec.Properties {
		if p.Invariant == nil || r.Derived[p.Name] != nil {
			continue // a derived plan's events are those derive found can break the invariant
		}
		m := r.Spec.Models[p.Model]
		reads := invariantReads(m, p.Invariant.Src)
		for ev := range m.Events {
			if int(ev) < len(p.EventKinds) && p.EventKinds[ev] != tables.None {
				continue
			}
			if what := writesRead(m, &m.Events[ev], reads); what != "" {
				ds = append(ds, dsl.Diagnostic{Pos: r.PropertyPos[p.Name], Msg: fmt.Sprintf(
					"warning: event %s writes %s, which the invariant of %s reads, but it is neither critical nor a watchlist or trigger event for %s",
					m.Events[ev].Name, what, p.Name, p.Name)})
			}
		}
	}
	ds.AttachFiles()
	ds.Sort()
	return ds
}

// reads is what an invariant reads: the entities whose records it ranges over, those
// whose records it looks up (by id, id list or index), and entity.field pairs.
type reads struct {
	ranged, looked map[int32]bool
	fields         map[[2]string]bool // entity name, field
	// guarded are the reads only in a guard !(v.f in cloud.<entity>_ids): a delete of such
	// records or a cleared reference makes the guard true, never the invariant false.
	guarded map[[2]string]bool
	// guardedEntity: some guard tests the existence of the entity's records, so a lookup
	// of one is read only where it exists.
	guardedEntity map[int32]bool
}

// invariantReads walks the invariant's parse tree: an iteration over cloud.<plural>, a
// lookup in cloud.<entity>_by_id or cloud.<entity>_ids, an index cloud.<plural>_by_<f>
// read records of that entity; v.f, with v bound to such records, reads the field.
func invariantReads(m *tables.Model, src string) reads {
	out := reads{ranged: map[int32]bool{}, looked: map[int32]bool{}, fields: map[[2]string]bool{}, guarded: map[[2]string]bool{}, guardedEntity: map[int32]bool{}}
	guard := map[int64]bool{}
	ast, iss := parser.Parse(common.NewTextSource(src))
	if iss != nil && len(iss.GetErrors()) > 0 {
		return out
	}
	byField := cloudEntities(m)
	vars := map[string]int32{}
	var entityOf func(x celast.Expr) int32
	entityOf = func(x celast.Expr) int32 {
		switch x.Kind() {
		case celast.IdentKind:
			if e, ok := vars[x.AsIdent()]; ok {
				return e
			}
		case celast.SelectKind: // cloud.<field>
			if op := x.AsSelect().Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == celenv.VarCloud {
				if e, ok := byField[x.AsSelect().FieldName()]; ok {
					return e
				}
			}
		case celast.CallKind: // cloud.<entity>_by_id[k], cloud.<plural>_by_<f>[k]
			if c := x.AsCall(); c.FunctionName() == "_[_]" && len(c.Args()) == 2 {
				return entityOf(c.Args()[0])
			}
		}
		return -1
	}
	celast.PreOrderVisit(ast.Expr(), celast.NewExprVisitor(func(x celast.Expr) {
		switch x.Kind() {
		case celast.CallKind:
			if c := x.AsCall(); c.FunctionName() == operators.LogicalNot && len(c.Args()) == 1 && c.Args()[0].Kind() == celast.CallKind {
				if in := c.Args()[0].AsCall(); in.FunctionName() == operators.In && len(in.Args()) == 2 {
					guard[in.Args()[0].ID()], guard[in.Args()[1].ID()] = true, true
				}
			}
		case celast.ComprehensionKind:
			c := x.AsComprehension()
			if e := entityOf(c.IterRange()); e >= 0 {
				vars[c.IterVar()] = e
				if r := c.IterRange(); r.Kind() == celast.SelectKind && strings.HasSuffix(r.AsSelect().FieldName(), "s") &&
					m.Entities[e].Plural == r.AsSelect().FieldName() || isIndexRange(m, e, c.IterRange()) {
					// A range over an index's records is a range too: a new record may enter
					// it, and a removed one only leaves it, as from the whole entity.
					out.ranged[e] = true
				} else {
					out.looked[e] = true
				}
			}
		case celast.SelectKind:
			if e := entityOf(x); e >= 0 && guard[x.ID()] {
				out.guardedEntity[e] = true
			}
			if e := entityOf(x); e >= 0 && !guard[x.ID()] && x.AsSelect().Operand().Kind() == celast.IdentKind &&
				x.AsSelect().Operand().AsIdent() == celenv.VarCloud && x.AsSelect().FieldName() != m.Entities[e].Plural {
				if strings.HasPrefix(x.AsSelect().FieldName(), m.Entities[e].Plural+"_by_") {
					out.ranged[e] = true // an index holds some of the records, as the entity's range all
				} else {
					out.looked[e] = true // cloud.<entity>_ids, _by_id, outside a guard
				}
			}
			if e := entityOf(x.AsSelect().Operand()); e >= 0 {
				k := [2]string{m.Entities[e].Name, x.AsSelect().FieldName()}
				if guard[x.ID()] {
					out.guarded[k] = true
				} else {
					out.fields[k] = true
				}
			}
		}
	}))
	return out
}

// isIndexRange: x is cloud.<plural>_by_<f>[k], the records of e whose f is k.
func isIndexRange(m *tables.Model, e int32, x celast.Expr) bool {
	if x.Kind() != celast.CallKind || x.AsCall().FunctionName() != "_[_]" || len(x.AsCall().Args()) != 2 {
		return false
	}
	v := x.AsCall().Args()[0]
	return v.Kind() == celast.SelectKind && strings.HasPrefix(v.AsSelect().FieldName(), m.Entities[e].Plural+"_by_")
}

// cloudEntities maps every cloud view field to the entity whose records it holds.
func cloudEntities(m *tables.Model) map[string]int32 {
	out := map[string]int32{}
	for _, f := range m.CloudFields() {
		out[f.Name] = f.Entity
	}
	return out
}

// writesRead names what an event writes that the invariant reads, "" when nothing.
func writesRead(m *tables.Model, ev *tables.Event, r reads) string {
	// Ids are fresh: a created record is not looked up yet, so a create matters where the
	// invariant ranges over its entity (the new record must satisfy it), a delete where
	// the invariant looks records up (a reference may stop resolving).
	var what []string
	if !ev.Target.Group {
		e := ev.Target.Index
		switch {
		case ev.Kind == tables.Creates && r.ranged[e]:
			what = append(what, "new "+m.Entities[e].Name+" records")
		case ev.Kind == tables.Deletes && r.looked[e] && !r.guardedEntity[e]:
			what = append(what, "the removal of "+m.Entities[e].Name+" records")
		}
	}
	attr := func(a tables.AttrRef, cleared bool) {
		if a.Entity < 0 || int(a.Attr) >= len(m.Entities[a.Entity].Attrs) {
			return
		}
		k := [2]string{m.Entities[a.Entity].Name, m.Entities[a.Entity].Attrs[a.Attr].Name}
		if cleared && r.fields[k] && !r.guarded[k] || !cleared && (r.fields[k] || r.guarded[k]) {
			what = append(what, k[0]+"."+k[1])
		}
	}
	for _, s := range ev.Sets {
		if ev.Kind == tables.Creates && !ev.Target.Group && s.Entity == ev.Target.Index {
			continue // the new record's own attributes: covered by its creation
		}
		attr(tables.AttrRef{Entity: s.Entity, Attr: s.Attr}, false)
	}
	switch ev.Kind {
	case tables.Associates: // sets a reference: a guard on it may stop holding
		attr(ev.Link, false)
	case tables.Dissociates: // clears it: a guard on it only holds more
		attr(ev.Link, true)
	}
	slices.Sort(what)
	return strings.Join(slices.Compact(what), ", ")
}
