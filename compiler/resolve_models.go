package compiler

import (
	"strconv"

	"github.com/alecthomas/participle/v2/lexer"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
)

func itoa(i int) string { return strconv.Itoa(i) }

// resolveModels resolves every name used inside models: parents, attribute and
// parameter types, group members, mapping ends and event targets.
func (c *compiler) resolveModels() {
	for _, m := range c.models {
		n := len(c.diags)
		c.resolveEntities(m)
		c.resolveGroups(m)
		c.resolveEvents(m)
		c.resolveMaps(m)
		m.broken = len(c.diags) > n
	}
}

func (c *compiler) resolveEntities(m *modelInfo) {
	m.t.Entities = make([]tables.Entity, len(m.entityAST))
	plurals := map[string]lexer.Position{}
	for i, ae := range m.entityAST {
		e := &m.t.Entities[i]
		e.Name = ae.Name.Name
		e.Plural = ae.Name.Name + "s"
		pos := ae.Name.Pos
		if ae.Plural != nil {
			e.Plural, pos = ae.Plural.Name, ae.Plural.Pos
		}
		c.dup(plurals, e.Plural, pos, "entity plural")
		for _, p := range ae.In {
			if idx, ok := m.entities[p.Name]; ok {
				e.Parents = append(e.Parents, idx)
			} else {
				c.errorf(p.Pos, "entity %s: precedence parent %s is not an entity of model %s%s", e.Name, p.Name, m.t.Name, m.entityHint(p.Name))
			}
		}
		attrs := map[string]lexer.Position{}
		for _, a := range ae.Attrs {
			if reserved[a.Name.Name] {
				c.errorf(a.Name.Pos, "attribute name %s is reserved", a.Name.Name)
				continue
			}
			if c.dup(attrs, a.Name.Name, a.Name.Pos, "attribute") {
				continue
			}
			if t, ok := c.resolveType(m, a.Type); ok {
				e.Attrs = append(e.Attrs, tables.Attr{Name: a.Name.Name, Type: t})
			}
		}
	}
}

// resolveType resolves a type reference: string, int, bool, an enum, an entity or list(T).
func (c *compiler) resolveType(m *modelInfo, tr dsl.TypeRef) (tables.Type, bool) {
	if tr.List != nil {
		el, ok := c.scalarType(m, *tr.List)
		return tables.Type{Kind: tables.TList, Elem: el.Kind, Ref: el.Ref}, ok
	}
	return c.scalarType(m, *tr.Name)
}

func (c *compiler) scalarType(m *modelInfo, id dsl.Ident) (tables.Type, bool) {
	if k, ok := builtinTypes[id.Name]; ok {
		return tables.Type{Kind: k, Ref: -1}, true
	}
	if i, ok := m.enums[id.Name]; ok {
		return tables.Type{Kind: tables.TEnum, Ref: i}, true
	}
	if i, ok := m.entities[id.Name]; ok {
		return tables.Type{Kind: tables.TRef, Ref: i}, true
	}
	c.errorf(id.Pos, "unknown type %s: want string, int, bool, an enum or an entity of model %s%s", id.Name, m.t.Name, m.typeHint(id.Name))
	return tables.Type{}, false
}

func (c *compiler) resolveGroups(m *modelInfo) {
	for _, ag := range m.groupAST {
		g := tables.Group{Name: ag.Name.Name}
		for _, mem := range ag.Members {
			if idx, ok := m.entities[mem.Name]; ok {
				g.Members = append(g.Members, idx)
			} else {
				c.errorf(mem.Pos, "group %s: member %s is not an entity", g.Name, mem.Name)
			}
		}
		m.t.Groups = append(m.t.Groups, g)
	}
}

func (c *compiler) resolveMaps(m *modelInfo) {
	for _, am := range m.mapAST {
		from, okF := m.entities[am.From.Name]
		to, okT := m.entities[am.To.Name]
		if !okF || !okT {
			bad := am.From
			if okF {
				bad = am.To
			}
			c.errorf(bad.Pos, "map: %s is not an entity", bad.Name)
			continue
		}
		attr := refAttr(m.t, from, to)
		if attr < 0 {
			c.errorf(am.Pos, "map %s to %s: %s needs exactly one attribute of type %s", am.From.Name, am.To.Name, am.From.Name, am.To.Name)
			continue
		}
		m.t.Maps = append(m.t.Maps, tables.Map{From: from, To: to, Attr: attr})
	}
}

// refAttr finds the single attribute of entity from whose type refers to entity to; -1 if none or several.
func refAttr(m *tables.Model, from, to int32) int32 {
	found := int32(-1)
	for i, a := range m.Entities[from].Attrs {
		if a.Type.Kind == tables.TRef && a.Type.Ref == to {
			if found >= 0 {
				return -1
			}
			found = int32(i)
		}
	}
	return found
}

var eventKinds = map[string]tables.EventKind{
	"creates": tables.Creates, "deletes": tables.Deletes, "updates": tables.Updates,
	"associates": tables.Associates, "dissociates": tables.Dissociates,
}

func (c *compiler) resolveEvents(m *modelInfo) {
	m.t.Events = make([]tables.Event, len(m.eventAST))
	m.badEvent = make([]bool, len(m.eventAST))
	for i, ae := range m.eventAST {
		n := len(c.diags)
		m.t.Events[i] = c.resolveEvent(m, ae)
		m.badEvent[i] = len(c.diags) > n
	}
}

func (c *compiler) resolveEvent(m *modelInfo, ae *dsl.Event) tables.Event {
	ev := tables.Event{Name: ae.Name.Name, Kind: eventKinds[ae.Kind], Other: -1, Key: -1, OtherKey: -1, Link: tables.AttrRef{Entity: -1, Attr: -1}}
	assoc := ev.Kind == tables.Associates || ev.Kind == tables.Dissociates
	if idx, ok := m.entities[ae.Target.Name]; ok {
		ev.Target = tables.Vertex{Index: idx}
	} else if idx, ok := m.groups[ae.Target.Name]; ok && assoc {
		ev.Target = tables.Vertex{Group: true, Index: idx}
	} else if ok {
		c.errorf(ae.Target.Pos, "event %s %s group %s: only associations may involve a group", ev.Name, ae.Kind, ae.Target.Name)
	} else {
		c.errorf(ae.Target.Pos, "event %s: %s is not an entity of model %s%s", ev.Name, ae.Target.Name, m.t.Name, m.entityHint(ae.Target.Name))
	}
	switch {
	case assoc && ae.Other == nil:
		c.errorf(ae.Target.Pos, "event %s %s %s: missing the other end (%s X with Y)", ev.Name, ae.Kind, ae.Target.Name, ae.Kind)
	case !assoc && ae.Other != nil:
		c.errorf(ae.Other.Pos, "event %s: only associates and dissociates take a second entity", ev.Name)
	case assoc:
		if idx, ok := m.entities[ae.Other.Name]; ok {
			ev.Other = idx
		} else {
			c.errorf(ae.Other.Pos, "event %s: %s is not an entity of model %s%s", ev.Name, ae.Other.Name, m.t.Name, m.entityHint(ae.Other.Name))
		}
	}
	seen := map[string]lexer.Position{}
	for _, ap := range ae.Params {
		if reserved[ap.Name.Name] && ap.Name.Name != "id" {
			c.errorf(ap.Name.Pos, "parameter name %s is reserved", ap.Name.Name)
			continue
		}
		if c.dup(seen, ap.Name.Name, ap.Name.Pos, "parameter") {
			continue
		}
		if t, ok := c.resolveType(m, ap.Type); ok {
			ev.Params = append(ev.Params, tables.Param{Name: ap.Name.Name, Type: t, Required: ap.Required})
		}
	}
	return ev
}
