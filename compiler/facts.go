package compiler

import (
	"sort"

	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/abstract"
)

// maxFacts bounds a configuration's size: NTable has 2^facts entries.
const maxFacts = 16

// noN marks a configuration from which the critical event cannot be reached.
const noN = 0

type factKey = abstract.Fact

func (a *analysis) always(k factKey) bool {
	return a.dropped[k] || abstract.Always(a.m, a.p.Scope, k)
}
func (a *analysis) local(k factKey) bool { return a.m.IsAncestorOrSelf(a.p.Scope, k.Entity) }
func (a *analysis) bit(k factKey) (uint32, bool) {
	i, ok := a.index[k]
	return 1 << uint(i), ok
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
			if hasFact(abstract.Gains(a.m, &a.m.Events[i]), k) {
				add(abstract.Pre(a.m, &a.m.Events[i]))
			}
		}
	}
	for k := range need {
		a.keys = append(a.keys, k)
	}
	sort.Slice(a.keys, func(i, j int) bool { return a.keys[i].Less(a.keys[j]) })
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

func (a *analysis) goal(cr tables.Critical) []factKey { return abstract.Goal(a.m, cr) }

func hasFact(ks []factKey, k factKey) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func (a *analysis) fact(k factKey) tables.Fact {
	f := tables.Fact{Kind: k.Kind, Entity: -1, Link: tables.AttrRef{Entity: -1, Attr: -1}, Local: a.local(k)}
	if k.Kind == tables.Exists {
		f.Entity, f.Name = k.Entity, a.m.Entities[k.Entity].Name
		return f
	}
	f.Link = tables.AttrRef{Entity: k.Entity, Attr: k.Attr}
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
