package solver

import (
	"fmt"
	"sort"
	"strings"

	"pvsc.dev/pvsc/tables"
	absmodel "pvsc.dev/pvsc/tables/abstract"
)

// Bounds is the bounded scope of a verdict proof.
type Bounds struct {
	// Count is the number of record slots per entity name; entities not listed get a default chosen from the property.
	Count map[string]int
	// Steps is the length of the runs searched, the checked operation included.
	Steps int
	// FromEmpty starts runs from the empty cloud instead of from any snapshot
	// that satisfies the invariant (with its watchlists initialised).
	FromEmpty bool
	// ReuseIDs lets creations reuse ids of deleted records (and re-deliver
	// creations of existing ones) and lets operations name ids not created yet.
	// By default ids behave like UUIDs: new when created, never guessed.
	ReuseIDs bool
	// Redeliver lets a create name a record that exists (with fresh ids): a
	// re-delivered notification, which acts as an update of the record and
	// fills in parents it did not know (SEMANTICS §1, §3). It repeats what
	// the cloud said before: the record's attributes and known parents.
	Redeliver bool
}

// DefaultSteps is the default run length.
const DefaultSteps = 6

// String renders the bounds as `pvsc verify --bounds` reads them.
func (b Bounds) String() string {
	names := make([]string, 0, len(b.Count))
	for n := range b.Count {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names)+1)
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s=%d", n, b.Count[n]))
	}
	parts = append(parts, fmt.Sprintf("steps=%d", b.Steps))
	return strings.Join(parts, ",")
}

// ParseBounds reads "port=3,vm=2,steps=6".
func ParseBounds(s string) (Bounds, error) {
	b := Bounds{Count: map[string]int{}}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		var n int
		if _, err := fmt.Sscanf(val, "%d", &n); !ok || err != nil || n < 0 {
			return b, fmt.Errorf("bounds %q: want name=count", part)
		}
		if name == "steps" {
			b.Steps = n
		} else {
			b.Count[name] = n
		}
	}
	return b, nil
}

// resolve fills the defaults: the scope 2, its ancestors 1, the watchlist's
// and the invariant's quantified entities 3, other entities the property can
// observe 2, and 0 for those it cannot (their records never change a verdict).
func (b Bounds) resolve(m *tables.Model, p *tables.Property, mentioned map[int32]bool, quantified map[int32]bool) (Bounds, []int, error) {
	out := Bounds{Count: map[string]int{}, Steps: b.Steps, FromEmpty: b.FromEmpty, ReuseIDs: b.ReuseIDs, Redeliver: b.Redeliver}
	if out.Steps <= 0 {
		out.Steps = DefaultSteps
	}
	for name := range b.Count {
		if m.EntityIndex(name) < 0 {
			return out, nil, fmt.Errorf("bounds: %s is not an entity of model %s", name, m.Name)
		}
	}
	rel := relevant(m, p, mentioned)
	counts := make([]int, len(m.Entities))
	for e, ent := range m.Entities {
		counts[e] = defaultCount(m, p, int32(e), rel, quantified)
		if n, ok := b.Count[ent.Name]; ok {
			counts[e] = n
		}
		if counts[e] > 0 {
			out.Count[ent.Name] = counts[e]
		}
	}
	return out, counts, nil
}

func defaultCount(m *tables.Model, p *tables.Property, e int32, rel, quantified map[int32]bool) int {
	switch {
	case !rel[e]:
		return 0
	case e == p.Scope:
		return 2
	case m.IsAncestorOrSelf(e, p.Scope):
		return 1
	case quantified[e] || elemEntity(p, e):
		return 3
	}
	return 2
}

func elemEntity(p *tables.Property, e int32) bool {
	for _, t := range p.Watchlist.Elem.Types {
		if t.Kind == tables.TRef && t.Ref == e {
			return true
		}
	}
	return false
}

// relevant are the entities whose records can change what the property
// evaluates: those its expressions and facts name, the scope, the entities its
// events act on, and, closed under, their ancestors and the entities their references name.
func relevant(m *tables.Model, p *tables.Property, mentioned map[int32]bool) map[int32]bool {
	rel := map[int32]bool{p.Scope: true}
	for e := range mentioned {
		rel[e] = true
	}
	if p.ScopeBy >= 0 {
		rel[p.ScopeBy] = true
	}
	for _, f := range p.Facts {
		if f.Kind == tables.Exists {
			rel[f.Entity] = true
		} else {
			rel[f.Link.Entity] = true
			rel[m.Entities[f.Link.Entity].Attrs[f.Link.Attr].Type.Ref] = true
		}
	}
	for _, t := range p.Watchlist.Elem.Types {
		if t.Kind == tables.TRef {
			rel[t.Ref] = true
		}
	}
	for ev, k := range p.EventKinds {
		if k != tables.None {
			for _, e := range touched(m, &m.Events[ev]) {
				rel[e] = true
			}
		}
	}
	return closeRelevant(m, rel)
}

func closeRelevant(m *tables.Model, rel map[int32]bool) map[int32]bool {
	for changed := true; changed; {
		changed = false
		for e := range rel {
			next := append([]int32(nil), m.Entities[e].Ancestors...)
			for _, a := range m.Entities[e].Attrs {
				if a.Type.Ref >= 0 && (a.Type.Kind == tables.TRef || a.Type.Kind == tables.TList && a.Type.Elem == tables.TRef) {
					next = append(next, a.Type.Ref)
				}
			}
			for _, n := range next {
				if !rel[n] {
					rel[n], changed = true, true
				}
			}
		}
	}
	return rel
}

// touched are the entities an event changes.
func touched(m *tables.Model, ev *tables.Event) []int32 {
	switch ev.Kind {
	case tables.Associates, tables.Dissociates:
		return []int32{ev.Link.Entity, ev.Other}
	}
	return absmodel.VertexEntities(m, ev.Target)
}

// inPlay are the events that change records of entities with slots.
func inPlay(m *tables.Model, counts []int) []int32 {
	var out []int32
	for i := range m.Events {
		for _, e := range touched(m, &m.Events[i]) {
			if e >= 0 && counts[e] > 0 {
				out = append(out, int32(i))
				break
			}
		}
	}
	return out
}
