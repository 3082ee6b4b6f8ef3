package state

import (
	"slices"

	"pvsc.dev/pvsc/tables"
)

// maxWalk bounds the breadth-first walk over parent records; models are shallow.
const maxWalk = 64

type node struct {
	entity int32
	id     Sym
}

// walker finds S-ancestors breadth-first over parent records without allocating.
type walker struct {
	q    [maxWalk]node
	head int
	tail int
}

func (w *walker) push(n node) {
	if w.tail < maxWalk && n.id != 0 {
		w.q[w.tail] = n
		w.tail++
	}
}

// find returns the id of the first record of type target met breadth-first.
func (w *walker) find(s *Store, target int32) Sym {
	for w.head < w.tail {
		n := w.q[w.head]
		w.head++
		if n.entity == target {
			return n.id
		}
		row, ok := s.Row(n.entity, n.id)
		if !ok {
			continue
		}
		for k, p := range s.Model.Entities[n.entity].Parents {
			w.push(node{entity: p, id: s.Parent(n.entity, row, k)})
		}
	}
	return 0
}

// directParents finds, for every entity and target type, the first parent of that type.
func directParents(m *tables.Model) [][]int {
	out := make([][]int, len(m.Entities))
	for e := range m.Entities {
		out[e] = make([]int, len(m.Entities))
		for t := range out[e] {
			out[e][t] = slices.Index(m.Entities[e].Parents, int32(t))
		}
	}
	return out
}

// Ancestor returns the id of a record's ancestor of type target (0 when unknown), or its own id when it is a target.
func (s *Store) Ancestor(entity, row, target int32) Sym {
	if s.ID(entity, row) == 0 {
		return 0 // a free row
	}
	return s.ancestor(entity, row, target)
}

// ancestor is Ancestor for a row known to hold a record: the id fixed when it was created.
func (s *Store) ancestor(entity, row, target int32) Sym {
	if entity == target {
		return s.ID(entity, row)
	}
	if i := s.ancPos[entity][target]; i >= 0 {
		return s.tabs[entity].anc[i][row]
	}
	return 0
}

// walk finds the record's ancestor of type target over its parents' records as they are now.
func (s *Store) walk(entity, row, target int32) Sym {
	// The walk visits the record's parents, in order, before any grandparent:
	// a named parent of the target type is the answer, read without walking.
	if k := s.direct[entity][target]; k >= 0 {
		if id := s.Parent(entity, row, k); id != 0 {
			return id
		}
	}
	var w walker
	w.push(node{entity: entity, id: s.ID(entity, row)})
	return w.find(s, target)
}

// ancestorPositions maps every entity and ancestor type to the ancestor's position.
func ancestorPositions(m *tables.Model) [][]int {
	out := make([][]int, len(m.Entities))
	for e := range m.Entities {
		out[e] = make([]int, len(m.Entities))
		for t := range out[e] {
			out[e][t] = slices.Index(m.Entities[e].Ancestors, int32(t))
		}
	}
	return out
}

// AncestorOf is Ancestor for a record given by id; 0 when the record does not exist (unless it is itself a target).
func (s *Store) AncestorOf(entity int32, id Sym, target int32) Sym {
	if entity == target {
		return id
	}
	row, ok := s.Row(entity, id)
	if !ok {
		return 0
	}
	return s.ancestor(entity, row, target)
}

// ScopeOf resolves an operation's scope for a property whose scope entity is
// scope (and ScopeBy by, or -1), on the current state (SEMANTICS.md §5).
func (s *Store) ScopeOf(op *Op, scope, by int32) Sym {
	ev := &s.Model.Events[op.Event]
	if by >= 0 {
		for i, p := range ev.Params {
			if p.Type.Kind != tables.TRef || p.Type.Ref != by {
				continue
			}
			id := s.Param(op, i).Sym()
			// A create of the ScopeBy record itself: it does not exist yet, walk from its parents.
			if ev.Kind == tables.Creates && int32(i) == ev.Key && !s.Exists(by, id) {
				return s.newRecordScope(op, ev, scope)
			}
			return s.AncestorOf(by, id, scope)
		}
	}
	switch ev.Kind {
	case tables.Creates:
		// A create of a record that exists acts as its update (§3): its primary record is the existing one.
		if key := s.Param(op, int(ev.Key)).Sym(); s.Exists(ev.Target.Index, key) {
			return s.AncestorOf(ev.Target.Index, key, scope)
		}
		return s.newRecordScope(op, ev, scope)
	case tables.Associates, tables.Dissociates:
		return s.AncestorOf(ev.Link.Entity, s.Param(op, int(ev.Key)).Sym(), scope)
	default:
		return s.AncestorOf(ev.Target.Index, s.Param(op, int(ev.Key)).Sym(), scope)
	}
}

// newRecordScope walks from the parents a create names, as if the record existed.
func (s *Store) newRecordScope(op *Op, ev *tables.Event, scope int32) Sym {
	target := ev.Target.Index
	if target == scope {
		return s.Param(op, int(ev.Key)).Sym()
	}
	if k := s.direct[target][scope]; k >= 0 {
		if pk := ev.ParentKeys[k]; pk >= 0 {
			if id := s.Param(op, int(pk)).Sym(); id != 0 {
				return id // as in Ancestor: the first named parent of the scope type
			}
		}
	}
	var w walker
	for k, p := range s.Model.Entities[target].Parents {
		if pk := ev.ParentKeys[k]; pk >= 0 {
			w.push(node{entity: p, id: s.Param(op, int(pk)).Sym()})
		}
	}
	return w.find(s, scope)
}
