package compiler

import (
	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
)

// deriveEventRoles works out, for every event, which parameters identify the
// entities it touches and which set attributes: parameters typed with an
// entity identify it, parameters named after an attribute set that attribute.
func (c *compiler) deriveEventRoles() {
	for _, m := range c.models {
		if m.broken {
			continue
		}
		for i := range m.t.Events {
			if m.badEvent[i] {
				continue
			}
			n := len(c.diags)
			r := roleFinder{c: c, m: m, ev: &m.t.Events[i], ast: m.eventAST[i]}
			r.derive()
			m.badEvent[i] = len(c.diags) > n
		}
	}
}

type roleFinder struct {
	c    *compiler
	m    *modelInfo
	ev   *tables.Event
	ast  *dsl.Event
	used []bool
}

func (r *roleFinder) derive() {
	r.used = make([]bool, len(r.ev.Params))
	switch r.ev.Kind {
	case tables.Creates, tables.Updates, tables.Deletes:
		r.entityEvent()
	default:
		r.assocEvent()
	}
}

func (r *roleFinder) entityEvent() {
	e := r.ev.Target.Index
	ent := &r.m.t.Entities[e]
	r.ev.Key = r.roleParam(e, "its id", true, nil)
	if r.ev.Kind == tables.Creates {
		r.ev.ParentKeys = make([]int32, len(ent.Parents))
		for i, p := range ent.Parents {
			r.ev.ParentKeys[i] = r.roleParam(p, "the new "+ent.Name+"'s parent", true, nil)
		}
	}
	if r.ev.Kind != tables.Deletes {
		r.sets([]int32{e})
	}
}

func (r *roleFinder) assocEvent() {
	link, ok := r.linkMember()
	if !ok {
		return
	}
	b := r.ev.Other
	r.ev.Link = tables.AttrRef{Entity: link, Attr: refAttr(r.m.t, link, b)}
	r.ev.Key = r.roleParam(link, "the id of the "+r.m.t.Entities[link].Name+" it links", true, nil)
	linkName := r.m.t.Entities[link].Attrs[r.ev.Link.Attr].Name
	r.ev.OtherKey = r.roleParam(b, "the id of the "+r.m.t.Entities[b].Name, r.ev.Kind == tables.Associates, &linkName)
	if r.ev.Kind == tables.Associates {
		parents := r.m.t.Entities[b].Parents
		r.ev.ParentKeys = make([]int32, len(parents))
		for i, p := range parents {
			r.ev.ParentKeys[i] = r.roleParam(p, "", false, nil)
			if r.ev.ParentKeys[i] < 0 && !r.m.t.IsAncestorOrSelf(p, link) {
				r.c.errorf(r.ast.Name.Pos, "event %s: a new %s needs its parent %s: add a parameter of type %s (it cannot be taken from the %s)",
					r.ev.Name, r.m.t.Entities[b].Name, r.m.t.Entities[p].Name, r.m.t.Entities[p].Name, r.m.t.Entities[link].Name)
			}
		}
	}
	r.sets([]int32{b, link})
}

// linkMember is the entity whose reference attribute carries the association.
func (r *roleFinder) linkMember() (int32, bool) {
	b := r.ev.Other
	candidates := []int32{r.ev.Target.Index}
	if r.ev.Target.Group {
		candidates = r.m.t.Groups[r.ev.Target.Index].Members
	}
	found := int32(-1)
	for _, e := range candidates {
		if refAttr(r.m.t, e, b) >= 0 {
			if found >= 0 {
				r.c.errorf(r.ast.Target.Pos, "event %s: both %s and %s have an attribute of type %s; the link is ambiguous", r.ev.Name, r.m.t.Entities[found].Name, r.m.t.Entities[e].Name, r.m.t.Entities[b].Name)
				return -1, false
			}
			found = e
		}
	}
	if found < 0 {
		r.c.errorf(r.ast.Target.Pos, "event %s %s %s with %s: %s needs exactly one attribute of type %s to hold the link",
			r.ev.Name, r.ast.Kind, r.ast.Target.Name, r.m.t.Entities[b].Name, r.ast.Target.Name, r.m.t.Entities[b].Name)
		return -1, false
	}
	return found, true
}

// roleParam finds the one unused parameter of type entity e; a parameter named
// after an attribute of the event's entities is an attribute value instead,
// unless it is named prefer.
func (r *roleFinder) roleParam(e int32, what string, required bool, prefer *string) int32 {
	found := int32(-1)
	for i, p := range r.ev.Params {
		if r.used[i] || p.Type.Kind != tables.TRef || p.Type.Ref != e {
			continue
		}
		if r.isAttrName(p.Name) && (prefer == nil || *prefer != p.Name) {
			continue
		}
		if found >= 0 {
			r.c.errorf(r.paramPos(i), "event %s: parameters %s and %s both have type %s; which one is %s is ambiguous",
				r.ev.Name, r.ev.Params[found].Name, p.Name, r.m.t.Entities[e].Name, what)
			return -1
		}
		found = int32(i)
	}
	if found >= 0 {
		r.used[found] = true
	} else if required {
		r.c.errorf(r.ast.Name.Pos, "event %s: needs a parameter of type %s holding %s", r.ev.Name, r.m.t.Entities[e].Name, what)
	}
	return found
}

func (r *roleFinder) isAttrName(name string) bool {
	for _, e := range r.touched() {
		if attrIndex(r.m.t, e, name) >= 0 {
			return true
		}
	}
	return false
}

func (r *roleFinder) touched() []int32 {
	if r.ev.Kind == tables.Associates || r.ev.Kind == tables.Dissociates {
		if r.ev.Link.Entity >= 0 {
			return []int32{r.ev.Other, r.ev.Link.Entity}
		}
		return []int32{r.ev.Other}
	}
	return []int32{r.ev.Target.Index}
}

func attrIndex(m *tables.Model, e int32, name string) int32 {
	for i, a := range m.Entities[e].Attrs {
		if a.Name == name {
			return int32(i)
		}
	}
	return -1
}

// sets turns the remaining parameters named after an attribute of one of
// the entities (searched in order) into attribute assignments.
func (r *roleFinder) sets(entities []int32) {
	for i, p := range r.ev.Params {
		if r.used[i] {
			continue
		}
		var hits []int32
		for _, e := range entities {
			if attrIndex(r.m.t, e, p.Name) >= 0 {
				hits = append(hits, e)
			}
		}
		switch {
		case len(hits) > 1:
			r.c.errorf(r.paramPos(i), "event %s: parameter %s names an attribute of both %s and %s", r.ev.Name, p.Name, r.m.t.Entities[hits[0]].Name, r.m.t.Entities[hits[1]].Name)
		case len(hits) == 1:
			r.set(int32(i), hits[0])
		}
	}
}

func (r *roleFinder) set(param, e int32) {
	p := r.ev.Params[param]
	a := attrIndex(r.m.t, e, p.Name)
	if at := r.m.t.Entities[e].Attrs[a].Type; at != p.Type {
		r.c.errorf(r.paramPos(int(param)), "event %s: parameter %s has type %s but attribute %s.%s has type %s",
			r.ev.Name, p.Name, typeName(r.m.t, p.Type), r.m.t.Entities[e].Name, p.Name, typeName(r.m.t, at))
		return
	}
	r.used[param] = true
	r.ev.Sets = append(r.ev.Sets, tables.Set{Param: param, Entity: e, Attr: a})
}

func (r *roleFinder) paramPos(i int) lexerPos {
	if i < len(r.ast.Params) {
		return r.ast.Params[i].Name.Pos
	}
	return r.ast.Name.Pos
}

// typeName renders a type for messages.
func typeName(m *tables.Model, t tables.Type) string {
	scalar := func(k tables.TypeKind, ref int32) string {
		switch k {
		case tables.TBool:
			return "bool"
		case tables.TInt:
			return "int"
		case tables.TString:
			return "string"
		case tables.TEnum:
			return m.Enums[ref].Name
		case tables.TRef:
			return m.Entities[ref].Name
		}
		return "?"
	}
	if t.Kind == tables.TList {
		return "list(" + scalar(t.Elem, t.Ref) + ")"
	}
	return scalar(t.Kind, t.Ref)
}
