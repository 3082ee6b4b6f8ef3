package state

import (
	"pvsc.dev/pvsc/tables"
)

// Store holds the records of one model's cloud. It is not safe for concurrent
// use: the runtime serialises writers and guards readers.
type Store struct {
	Model *tables.Model
	Names *Interner
	tabs  []*table
	rows  rowIndex // id → row, for every entity
	cnt   *counts
	// direct[e][S] is the index of e's first parent of entity type S, -1 if none (see Ancestor).
	direct [][]int
	// ancPos[e][A] is A's position in e's Ancestors, -1 when A is not one of them.
	ancPos [][]int
	fill   [][]filler      // per event, per parameter: where an absent parameter reads from
	idx    [][]*fieldIndex // per entity: its indexes (cloud.<plural>_by_<field>)
}

// table holds the records of one entity type, column by column.
type table struct {
	ids     []Sym     // row → id; 0 marks a free row
	parents [][]Sym   // parents[k][row]: id of the k-th precedence parent
	anc     [][]Sym   // anc[i][row]: id of the i-th ancestor, fixed when the record is created
	attrs   [][]Value // attrs[a][row]
	free    []int32
	live    int
}

// New makes an empty store for a model; the properties say which facts to count.
func New(spec *tables.Spec, model int32) *Store {
	m := spec.Models[model]
	s := &Store{Model: m, Names: NewInterner()}
	for i := range m.Entities {
		e := &m.Entities[i]
		s.tabs = append(s.tabs, &table{
			parents: make([][]Sym, len(e.Parents)),
			anc:     make([][]Sym, len(e.Ancestors)),
			attrs:   make([][]Value, len(e.Attrs)),
		})
	}
	s.direct = directParents(m)
	s.ancPos = ancestorPositions(m)
	s.cnt = newCounts(s, spec, model)
	s.fill = fillers(m)
	s.idx = make([][]*fieldIndex, len(m.Entities))
	return s
}

// Row finds the row of a record; ok is false when it does not exist.
func (s *Store) Row(entity int32, id Sym) (int32, bool) {
	return s.rows.get(entity, id)
}

// Exists reports whether a record of the entity has this id.
func (s *Store) Exists(entity int32, id Sym) bool {
	_, ok := s.Row(entity, id)
	return ok
}

// ExistsString is Exists for an id not known to be interned.
func (s *Store) ExistsString(entity int32, id string) bool {
	sym, ok := s.Names.Lookup(id)
	return ok && s.Exists(entity, sym)
}

// Len is the number of records of an entity.
func (s *Store) Len(entity int32) int { return s.tabs[entity].live }

// ID is the id of a record.
func (s *Store) ID(entity, row int32) Sym { return s.tabs[entity].ids[row] }

// Parent is the id of a record's k-th precedence parent.
func (s *Store) Parent(entity, row int32, k int) Sym { return s.tabs[entity].parents[k][row] }

// Attr is a record's attribute value.
func (s *Store) Attr(entity, row, attr int32) Value { return s.tabs[entity].attrs[attr][row] }

// Field is a record's field as CEL numbers them (tables.Model.FieldNames): id, ancestors, attributes.
func (s *Store) Field(entity, row int32, field int) Value {
	e := &s.Model.Entities[entity]
	switch {
	case field == 0:
		return Str(s.ID(entity, row))
	case field <= len(e.Ancestors):
		return Str(s.Ancestor(entity, row, e.Ancestors[field-1]))
	default:
		return s.Attr(entity, row, int32(field-1-len(e.Ancestors)))
	}
}

// Each visits every record of an entity until fn returns false.
func (s *Store) Each(entity int32, fn func(row int32) bool) {
	t := s.tabs[entity]
	for row, id := range t.ids {
		if id != 0 && !fn(int32(row)) {
			return
		}
	}
}

// insert adds a record with the given id and parents and zero attributes.
func (s *Store) insert(entity int32, id Sym, parents []Sym) int32 {
	t := s.tabs[entity]
	var row int32
	if n := len(t.free); n > 0 {
		row = t.free[n-1]
		t.free = t.free[:n-1]
		t.ids[row] = id
		for k := range t.parents {
			t.parents[k][row] = parents[k]
		}
		for a := range t.attrs {
			t.attrs[a][row] = Value{}
		}
		for i := range t.anc {
			t.anc[i][row] = 0
		}
	} else {
		row = int32(len(t.ids))
		t.ids = append(t.ids, id)
		for k := range t.parents {
			t.parents[k] = append(t.parents[k], parents[k])
		}
		for a := range t.attrs {
			t.attrs[a] = append(t.attrs[a], Value{})
		}
		for i := range t.anc {
			t.anc[i] = append(t.anc[i], 0)
		}
	}
	s.rows.set(entity, id, row)
	t.live++
	s.resolveAncestors(entity, row)
	s.indexInserted(entity, row)
	s.cnt.inserted(entity, row)
	return row
}

// resolveAncestors fixes the record's unknown ancestors from its parents as they are now (SEMANTICS.md §1).
func (s *Store) resolveAncestors(entity, row int32) {
	t := s.tabs[entity]
	for i, a := range s.Model.Entities[entity].Ancestors {
		if t.anc[i][row] == 0 {
			t.anc[i][row] = s.walk(entity, row, a)
		}
	}
}

// fillParents gives an existing record the parents it did not know yet
// (a create re-delivered with more detail), resolving its unknown ancestors
// again and moving its counts to the scopes they give.
func (s *Store) fillParents(entity, row int32, parents []Sym) {
	t := s.tabs[entity]
	filled := false
	for k, id := range parents {
		if id != 0 && t.parents[k][row] == 0 {
			filled = true
		}
	}
	if !filled {
		return
	}
	s.cnt.scopeChanging(entity, row)
	s.indexRemoving(entity, row)
	for k, id := range parents {
		if id != 0 && t.parents[k][row] == 0 {
			t.parents[k][row] = id
		}
	}
	s.resolveAncestors(entity, row)
	s.indexInserted(entity, row)
	s.cnt.scopeChanged(entity, row)
}

// remove deletes a record.
func (s *Store) remove(entity, row int32) {
	s.cnt.removing(entity, row)
	s.indexRemoving(entity, row)
	t := s.tabs[entity]
	s.rows.unset(entity, t.ids[row])
	t.ids[row] = 0
	for a := range t.attrs {
		t.attrs[a][row] = Value{}
	}
	for i := range t.anc {
		t.anc[i][row] = 0
	}
	t.free = append(t.free, row)
	t.live--
}

// setAttr writes an attribute, keeping link counts right.
func (s *Store) setAttr(entity, row, attr int32, v Value) {
	t := s.tabs[entity]
	old := t.attrs[attr][row]
	t.attrs[attr][row] = v
	if !old.Equal(v) {
		s.indexAttr(entity, row, s.Model.AttrField(entity, attr), old)
		s.cnt.attrChanged(entity, row, attr, old)
	}
}
