package solver

import (
	"pvsc.dev/pvsc/tables"
	absmodel "pvsc.dev/pvsc/tables/abstract"
)

// fact is an abstract state bit: an entity exists, or a link attribute names an existing record.
type fact struct {
	kind   tables.FactKind
	entity int32
	attr   int32
}

func exists(e int32) fact          { return fact{kind: tables.Exists, entity: e, attr: -1} }
func linked(l tables.AttrRef) fact { return fact{kind: tables.Linked, entity: l.Entity, attr: l.Attr} }

// absEvent is an event of the abstract dependency model, over fact indices.
type absEvent struct{ pre, gain []int }

// abstract is a property's abstract dependency model (SEMANTICS §7): the
// configuration's facts, then the facts the critical events depend on that
// the configuration does not track, events as preconditions and gains.
type abstract struct {
	m       *tables.Model
	p       *tables.Property
	facts   []fact
	names   []string
	index   map[fact]int
	tracked int
	events  []absEvent
	goals   [][]int
}

func newAbstract(m *tables.Model, p *tables.Property) *abstract {
	a := &abstract{m: m, p: p, index: map[fact]int{}}
	for _, f := range p.Facts {
		k := fact{kind: f.Kind, entity: f.Entity, attr: -1}
		if f.Kind == tables.Linked {
			k = linked(f.Link)
		}
		a.add(k, f.Name)
	}
	a.tracked = len(a.facts)
	a.close()
	a.build()
	return a
}

func (a *abstract) add(k fact, name string) {
	if _, ok := a.index[k]; ok {
		return
	}
	a.index[k] = len(a.facts)
	a.facts = append(a.facts, k)
	a.names = append(a.names, name)
}

// always holds for the scope itself and its ancestors: a scope exists inside them.
func (a *abstract) always(k fact) bool {
	return k.kind == tables.Exists && a.m.IsAncestorOrSelf(k.entity, a.p.Scope)
}

// close adds every fact a critical event needs, transitively through the events that gain them.
func (a *abstract) close() {
	var work []fact
	need := func(ks []fact) {
		for _, k := range ks {
			if _, ok := a.index[k]; !ok && !a.always(k) {
				a.add(k, a.factName(k))
				work = append(work, k)
			}
		}
	}
	for _, g := range a.goalFacts() {
		need(g)
	}
	for _, k := range append([]fact(nil), a.facts...) {
		work = append(work, k)
	}
	for len(work) > 0 {
		k := work[len(work)-1]
		work = work[:len(work)-1]
		for i := range a.m.Events {
			if hasFact(absGains(a.m, &a.m.Events[i]), k) {
				need(absPre(a.m, &a.m.Events[i]))
			}
		}
	}
}

func (a *abstract) factName(k fact) string {
	if k.kind == tables.Exists {
		return a.m.Entities[k.entity].Name
	}
	e := a.m.Entities[k.entity]
	return e.Name + "." + e.Attrs[k.attr].Name
}

// goalFacts: a critical event fires when its own preconditions and its `after` events' primary facts hold.
func (a *abstract) goalFacts() [][]fact {
	var out [][]fact
	for _, cr := range a.p.Criticals {
		out = append(out, absGoal(a.m, cr))
	}
	return out
}

func (a *abstract) build() {
	for _, g := range a.goalFacts() {
		if idx, ok := a.indices(g); ok {
			a.goals = append(a.goals, idx)
		}
	}
	for i := range a.m.Events {
		ev := &a.m.Events[i]
		pre, ok := a.indices(absPre(a.m, ev))
		if !ok {
			continue // needs a fact nothing the property depends on can give
		}
		gain, _ := a.indices(absGains(a.m, ev))
		if len(gain) > 0 {
			a.events = append(a.events, absEvent{pre: pre, gain: gain})
		}
	}
}

// indices maps facts to their indices, dropping those that always hold; ok is false when one is unknown.
func (a *abstract) indices(ks []fact) ([]int, bool) {
	var out []int
	ok := true
	for _, k := range ks {
		if a.always(k) {
			continue
		}
		if i, found := a.index[k]; found {
			out = append(out, i)
		} else {
			ok = false
		}
	}
	return out, ok
}

// The abstract semantics (preconditions, gains, goals) is the compiler's, from
// compiler/abstract: the solver checks the N table the compiler computed from
// it, by an independent search (bounded model checking instead of dynamic programming).

func absPre(m *tables.Model, ev *tables.Event) []fact    { return facts(absmodel.Pre(m, ev)) }
func absGains(m *tables.Model, ev *tables.Event) []fact  { return facts(absmodel.Gains(m, ev)) }
func absGoal(m *tables.Model, cr tables.Critical) []fact { return facts(absmodel.Goal(m, cr)) }

func facts(fs []absmodel.Fact) []fact {
	out := make([]fact, len(fs))
	for i, f := range fs {
		out[i] = fact{kind: f.Kind, entity: f.Entity, attr: f.Attr}
	}
	return out
}

func hasFact(ks []fact, k fact) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}
