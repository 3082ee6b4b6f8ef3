package compiler

import (
	"sort"

	"pvsc.dev/pvsc/compiler/tables"
)

// maxFacts bounds a configuration's size: NTable has 2^facts entries.
const maxFacts = 16

// noN marks a configuration from which the critical event cannot be reached.
const noN = 0

// factKey identifies a fact independently of its position in a property.
type factKey struct {
	kind   tables.FactKind
	entity int32
	attr   int32
}

func existsKey(e int32) factKey { return factKey{kind: tables.Exists, entity: e, attr: -1} }
func linkKey(l tables.AttrRef) factKey {
	return factKey{kind: tables.Linked, entity: l.Entity, attr: l.Attr}
}
func (k factKey) less(o factKey) bool {
	return k.kind < o.kind || k.kind == o.kind && (k.entity < o.entity || k.entity == o.entity && k.attr < o.attr)
}
func keysOf(fs ...factKey) []factKey { return fs }
func (a *analysis) always(k factKey) bool {
	return a.dropped[k] || k.kind == tables.Exists && isAncestorOrSelf(a.m, k.entity, a.p.Scope)
}
func (a *analysis) local(k factKey) bool         { return isAncestorOrSelf(a.m, a.p.Scope, k.entity) }
func (a *analysis) bit(k factKey) (uint32, bool) { i, ok := a.index[k]; return 1 << uint(i), ok }

// pre lists the facts an event needs (abstractly, somewhere in the scope or the cloud).
func pre(m *tables.Model, ev *tables.Event) []factKey {
	var out []factKey
	switch ev.Kind {
	case tables.Creates:
		for _, p := range m.Entities[ev.Target.Index].Parents {
			out = append(out, existsKey(p))
		}
	case tables.Updates, tables.Deletes:
		out = append(out, existsKey(ev.Target.Index))
	case tables.Associates:
		for _, mem := range vertexEntities(m, ev.Target) {
			out = append(out, existsKey(mem))
		}
		for _, p := range m.Entities[ev.Other].Parents {
			out = append(out, existsKey(p))
		}
	case tables.Dissociates:
		out = append(out, linkKey(ev.Link))
	}
	return out
}

// primary is the fact an event establishes: the entity it creates or the link it makes.
func primary(ev *tables.Event) []factKey {
	switch ev.Kind {
	case tables.Creates:
		return keysOf(existsKey(ev.Target.Index))
	case tables.Associates:
		return keysOf(linkKey(ev.Link))
	}
	return nil
}

// gains are all the facts an event may make true.
func gains(ev *tables.Event) []factKey {
	if ev.Kind == tables.Associates {
		return keysOf(linkKey(ev.Link), existsKey(ev.Other))
	}
	return primary(ev)
}

func vertexEntities(m *tables.Model, v tables.Vertex) []int32 {
	if v.Group {
		return m.Groups[v.Index].Members
	}
	return []int32{v.Index}
}

// analysis computes one property's facts and N values.
type analysis struct {
	c     *compiler
	pi    *propInfo
	p     *tables.Property
	m     *tables.Model
	index map[factKey]int
	keys  []factKey
	// dropped are facts N does not depend on; they count as always true.
	dropped map[factKey]bool
}

func (c *compiler) analyses() []*analysis {
	var out []*analysis
	for _, p := range c.props {
		if p.bad {
			continue
		}
		if p.an == nil {
			p.an = &analysis{c: c, pi: p, p: p.t, m: p.model.t, index: map[factKey]int{}, dropped: map[factKey]bool{}}
		}
		out = append(out, p.an)
	}
	return out
}

// computeFacts finds the facts each property depends on by walking the
// dependency graph backward from its critical events (paper §3.2).
func (c *compiler) computeFacts() {
	for _, a := range c.analyses() {
		c.facts(a)
	}
}

func (c *compiler) facts(a *analysis) {
	need := map[factKey]bool{}
	var work []factKey
	add := func(ks []factKey) {
		for _, k := range ks {
			if !need[k] && !a.always(k) {
				need[k] = true
				work = append(work, k)
			}
		}
	}
	for _, cr := range a.p.Criticals {
		add(a.goal(cr))
	}
	for len(work) > 0 {
		k := work[len(work)-1]
		work = work[:len(work)-1]
		for i := range a.m.Events {
			if hasFact(gains(&a.m.Events[i]), k) {
				add(pre(a.m, &a.m.Events[i]))
			}
		}
	}
	for k := range need {
		a.keys = append(a.keys, k)
	}
	sort.Slice(a.keys, func(i, j int) bool { return a.keys[i].less(a.keys[j]) })
	if len(a.keys) > maxFacts {
		c.errorf(a.pi.ast.Name.Pos, "property %s depends on %d facts; at most %d are supported", a.p.Name, len(a.keys), maxFacts)
		a.pi.bad = true
		return
	}
	for i, k := range a.keys {
		a.index[k] = i
		a.p.Facts = append(a.p.Facts, a.fact(k))
	}
}

// goal is what must hold for a critical event to be critical: its own
// preconditions and the facts its `after` events establish.
func (a *analysis) goal(cr tables.Critical) []factKey {
	out := pre(a.m, &a.m.Events[cr.Event])
	for _, ev := range cr.After {
		out = append(out, primary(&a.m.Events[ev])...)
	}
	return out
}

func hasFact(ks []factKey, k factKey) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func (a *analysis) fact(k factKey) tables.Fact {
	f := tables.Fact{Kind: k.kind, Entity: -1, Link: tables.AttrRef{Entity: -1, Attr: -1}, Local: a.local(k)}
	if k.kind == tables.Exists {
		f.Entity, f.Name = k.entity, a.m.Entities[k.entity].Name
		return f
	}
	f.Link = tables.AttrRef{Entity: k.entity, Attr: k.attr}
	f.Name = a.linkName(f.Link)
	return f
}

// linkName names a link after the first association that makes it: "port_subnet with vm".
func (a *analysis) linkName(l tables.AttrRef) string {
	for _, ev := range a.m.Events {
		if ev.Kind == tables.Associates && ev.Link == l {
			name := a.m.Entities[ev.Target.Index].Name
			if ev.Target.Group {
				name = a.m.Groups[ev.Target.Index].Name
			}
			return name + " with " + a.m.Entities[ev.Other].Name
		}
	}
	e := a.m.Entities[l.Entity]
	return e.Name + "." + e.Attrs[l.Attr].Name
}

// mask turns facts into a configuration bitmask; ok is false when a fact is neither tracked nor always true.
func (a *analysis) mask(ks []factKey) (uint32, bool) {
	var m uint32
	for _, k := range ks {
		if a.always(k) {
			continue
		}
		b, ok := a.bit(k)
		if !ok {
			return 0, false
		}
		m |= b
	}
	return m, true
}
