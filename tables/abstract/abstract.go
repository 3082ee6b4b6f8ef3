// Package abstract defines the abstract dependency model the N table is computed on: facts, event preconditions, gains and critical goals.
//
// The compiler computes Model-N-property from it by dynamic programming and
// the solver checks that table against it by bounded model checking; both
// read these definitions so that they check the algorithm, not two copies of
// the semantics.
package abstract

import "pvsc.dev/pvsc/tables"

// Fact is an abstract state bit: some record of an entity exists, or some
// record's reference attribute names an existing record (a link).
type Fact struct {
	Kind   tables.FactKind
	Entity int32
	Attr   int32 // the link attribute; -1 for Exists
}

// Exists is the fact that some record of entity e exists.
func Exists(e int32) Fact { return Fact{Kind: tables.Exists, Entity: e, Attr: -1} }

// Linked is the fact that some record links through attribute l.
func Linked(l tables.AttrRef) Fact { return Fact{Kind: tables.Linked, Entity: l.Entity, Attr: l.Attr} }

// Of is the abstract fact a property's configuration bit records.
func Of(f tables.Fact) Fact {
	if f.Kind == tables.Linked {
		return Linked(f.Link)
	}
	return Exists(f.Entity)
}

// Less orders facts: existence before links, then by entity and attribute.
func (f Fact) Less(o Fact) bool {
	if f.Kind != o.Kind {
		return f.Kind < o.Kind
	}
	if f.Entity != o.Entity {
		return f.Entity < o.Entity
	}
	return f.Attr < o.Attr
}

// Pre lists the facts an event needs.
func Pre(m *tables.Model, ev *tables.Event) []Fact {
	var out []Fact
	switch ev.Kind {
	case tables.Creates:
		for _, p := range m.Entities[ev.Target.Index].Parents {
			out = append(out, Exists(p))
		}
	case tables.Updates, tables.Deletes:
		out = append(out, Exists(ev.Target.Index))
	case tables.Associates:
		for _, mem := range VertexEntities(m, ev.Target) {
			out = append(out, Exists(mem))
		}
		for _, p := range m.Entities[ev.Other].Parents {
			out = append(out, Exists(p))
		}
	case tables.Dissociates:
		out = append(out, Linked(ev.Link))
	}
	return out
}

// Primary is the fact an event is for: the entity it creates or the link it makes.
func Primary(ev *tables.Event) []Fact {
	switch ev.Kind {
	case tables.Creates:
		return []Fact{Exists(ev.Target.Index)}
	case tables.Associates:
		return []Fact{Linked(ev.Link)}
	}
	return nil
}

// Gains are all the facts an event may make true: what it creates or links,
// and, for an update, every link whose attribute it sets (update_port may
// set device_id to a VM). A create's own reference values are not counted:
// N stays the distance along the model's edges (the paper's Fig. 7).
func Gains(m *tables.Model, ev *tables.Event) []Fact {
	switch ev.Kind {
	case tables.Associates:
		return []Fact{Linked(ev.Link), Exists(ev.Other)}
	case tables.Updates:
		var out []Fact
		for _, s := range ev.Sets {
			if m.Entities[s.Entity].Attrs[s.Attr].Type.Kind == tables.TRef {
				out = append(out, Linked(tables.AttrRef{Entity: s.Entity, Attr: s.Attr}))
			}
		}
		return out
	}
	return Primary(ev)
}

// Goal is what must hold for a critical event to be critical: its own
// preconditions and the facts its `after` events are for.
func Goal(m *tables.Model, cr tables.Critical) []Fact {
	out := Pre(m, &m.Events[cr.Event])
	for _, ev := range cr.After {
		out = append(out, Primary(&m.Events[ev])...)
	}
	return out
}

// VertexEntities are the entities of a vertex: itself, or a group's members.
func VertexEntities(m *tables.Model, v tables.Vertex) []int32 {
	if v.Group {
		return m.Groups[v.Index].Members
	}
	return []int32{v.Index}
}

// Always reports whether a fact holds in every configuration of scope entity
// scope: the scope and its ancestors exist whenever the scope does.
func Always(m *tables.Model, scope int32, f Fact) bool {
	if f.Kind != tables.Exists {
		return false
	}
	return m.IsAncestorOrSelf(f.Entity, scope)
}
