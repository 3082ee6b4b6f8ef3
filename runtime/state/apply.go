package state

import (
	"fmt"

	"pvsc.dev/pvsc/tables"
)

// MaxParams bounds an event's parameters (presence is a bitmask).
const MaxParams = 64

// Op is one operation as the store sees it: a model event and its parameter
// values, each present or absent. Callers reuse Ops to avoid allocation.
type Op struct {
	Event int32
	Vals  []Value
	Has   uint64 // bit i: parameter i is present
}

// Reset prepares op for an event, sizing Vals and clearing presence.
func (op *Op) Reset(event int32, params int) {
	op.Event, op.Has = event, 0
	if cap(op.Vals) < params {
		op.Vals = make([]Value, params)
	}
	op.Vals = op.Vals[:params]
	for i := range op.Vals {
		op.Vals[i] = Value{}
	}
}

// Set gives parameter i a value.
func (op *Op) Set(i int, v Value) {
	op.Vals[i] = v
	op.Has |= 1 << uint(i)
}

// Present reports whether parameter i was given.
func (op *Op) Present(i int) bool { return op.Has&(1<<uint(i)) != 0 }

// Outcome is what applying an operation did.
type Outcome uint8

// Outcomes of Apply.
const (
	Created Outcome = iota + 1
	Updated
	Deleted
	Linked
	Unlinked
	UnknownEntity // the record the operation needs does not exist: nothing changed
)

var outcomeNames = [...]string{Created: "created", Updated: "updated", Deleted: "deleted", Linked: "linked", Unlinked: "unlinked", UnknownEntity: "unknown entity"}

func (o Outcome) String() string { return outcomeNames[o] }

// MalformedError is an operation that cannot be applied: a required parameter is missing.
type MalformedError struct {
	Event, Param string
	Reason       string
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("%s: parameter %s: %s", e.Event, e.Param, e.Reason)
}

// Check reports whether op carries the ids its event needs (SEMANTICS.md §3).
func (s *Store) Check(op *Op) error {
	ev := &s.Model.Events[op.Event]
	if ev.Key >= 0 && s.Param(op, int(ev.Key)).Sym() == 0 {
		return s.missing(ev, ev.Key)
	}
	switch ev.Kind {
	case tables.Associates:
		if s.Param(op, int(ev.OtherKey)).Sym() == 0 {
			return s.missing(ev, ev.OtherKey)
		}
	}
	return nil
}

func (s *Store) missing(ev *tables.Event, p int32) error {
	return &MalformedError{Event: ev.Name, Param: ev.Params[p].Name, Reason: "missing (it names the " + s.Model.Entities[ev.Params[p].Type.Ref].Name + ")"}
}

// Apply applies op to the store (SEMANTICS.md §3). The scopes whose fact
// counts changed are available from Changed until the next Apply.
func (s *Store) Apply(op *Op) (Outcome, error) {
	s.cnt.resetChanged()
	if err := s.Check(op); err != nil {
		return 0, err
	}
	ev := &s.Model.Events[op.Event]
	key := s.Param(op, int(ev.Key)).Sym()
	switch ev.Kind {
	case tables.Creates:
		return s.create(op, ev, key), nil
	case tables.Updates:
		return s.update(op, ev, key), nil
	case tables.Deletes:
		row, ok := s.Row(ev.Target.Index, key)
		if !ok {
			return UnknownEntity, nil
		}
		s.remove(ev.Target.Index, row)
		return Deleted, nil
	case tables.Associates:
		return s.associate(op, ev, key), nil
	default:
		return s.dissociate(op, ev, key), nil
	}
}

func (s *Store) create(op *Op, ev *tables.Event, key Sym) Outcome {
	e := ev.Target.Index
	var parents [8]Sym
	for k, pk := range ev.ParentKeys {
		if pk >= 0 {
			parents[k] = s.Param(op, int(pk)).Sym()
		}
	}
	if row, exists := s.Row(e, key); exists {
		s.fillParents(e, row, parents[:len(ev.ParentKeys)])
		return s.update(op, ev, key)
	}
	row := s.insert(e, key, parents[:len(ev.ParentKeys)])
	s.applySets(op, ev, e, row)
	return Created
}

func (s *Store) update(op *Op, ev *tables.Event, key Sym) Outcome {
	row, ok := s.Row(ev.Target.Index, key)
	if !ok {
		return UnknownEntity
	}
	s.applySets(op, ev, ev.Target.Index, row)
	return Updated
}

func (s *Store) associate(op *Op, ev *tables.Event, key Sym) Outcome {
	link := ev.Link.Entity
	lrow, ok := s.Row(link, key)
	if !ok {
		return UnknownEntity
	}
	other := s.Param(op, int(ev.OtherKey)).Sym()
	orow, ok := s.Row(ev.Other, other)
	if !ok {
		orow = s.insert(ev.Other, other, s.otherParents(op, ev, lrow))
	}
	s.setAttr(link, lrow, ev.Link.Attr, Str(other))
	s.applySets(op, ev, link, lrow)
	s.applySets(op, ev, ev.Other, orow)
	return Linked
}

// otherParents are the parents of a B created by an association: from the
// parameters, or else the link member's ancestors of those types.
func (s *Store) otherParents(op *Op, ev *tables.Event, lrow int32) []Sym {
	parents := s.Model.Entities[ev.Other].Parents
	out := make([]Sym, len(parents))
	for k, p := range parents {
		if pk := ev.ParentKeys[k]; pk >= 0 && s.Param(op, int(pk)).Sym() != 0 {
			out[k] = s.Param(op, int(pk)).Sym()
		} else {
			out[k] = s.Ancestor(ev.Link.Entity, lrow, p)
		}
	}
	return out
}

func (s *Store) dissociate(op *Op, ev *tables.Event, key Sym) Outcome {
	link := ev.Link.Entity
	lrow, ok := s.Row(link, key)
	if !ok {
		return UnknownEntity
	}
	s.setAttr(link, lrow, ev.Link.Attr, Value{})
	s.applySets(op, ev, link, lrow)
	return Unlinked
}

// applySets writes the present parameters that set attributes of entity e.
func (s *Store) applySets(op *Op, ev *tables.Event, e, row int32) {
	for _, set := range ev.Sets {
		if set.Entity == e && op.Present(int(set.Param)) {
			s.setAttr(e, row, set.Attr, op.Vals[set.Param])
		}
	}
}

// fillKind says where an absent parameter reads from (SEMANTICS.md §2, fill-in).
type fillKind uint8

const (
	fillZero   fillKind = iota
	fillTarget          // attribute of the record named by Key (creates, updates)
	fillLink            // attribute of the link member named by Key (associations)
	fillOther           // attribute of the B record named by OtherKey
	fillLinkTo          // the link member's current link (an absent OtherKey)
)

type filler struct {
	kind   fillKind
	entity int32
	attr   int32
}

func fillers(m *tables.Model) [][]filler {
	out := make([][]filler, len(m.Events))
	for i := range m.Events {
		ev := &m.Events[i]
		f := make([]filler, len(ev.Params))
		for _, set := range ev.Sets {
			f[set.Param] = filler{kind: setFill(ev, set.Entity), entity: set.Entity, attr: set.Attr}
		}
		if ev.OtherKey >= 0 {
			f[ev.OtherKey] = filler{kind: fillLinkTo, entity: ev.Link.Entity, attr: ev.Link.Attr}
		}
		out[i] = f
	}
	return out
}

func setFill(ev *tables.Event, e int32) fillKind {
	switch {
	case ev.Kind != tables.Associates && ev.Kind != tables.Dissociates:
		return fillTarget
	case e == ev.Other:
		return fillOther
	default:
		return fillLink
	}
}

// Param reads parameter i of op as expressions see it: its value when present,
// else the current value of what it would set (fill-in), else zero.
func (s *Store) Param(op *Op, i int) Value {
	if op.Present(i) {
		return op.Vals[i]
	}
	f := s.fill[op.Event][i]
	if f.kind == fillZero {
		return Value{}
	}
	ev := &s.Model.Events[op.Event]
	keyParam := ev.Key
	if f.kind == fillOther {
		keyParam = ev.OtherKey
	}
	if keyParam < 0 || int(keyParam) == i {
		return Value{}
	}
	row, ok := s.Row(f.entity, s.Param(op, int(keyParam)).Sym())
	if !ok {
		return Value{}
	}
	return s.Attr(f.entity, row, f.attr)
}
