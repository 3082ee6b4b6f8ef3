package compiler

import (
	"cel.dev/cel-go/common/operators"

	"pvsc.dev/pvsc/tables"
)

// innerQ is `cloud.<plural>_by_<g>[key].all(v, ...)` inside the conjunct's body: its
// records are those of entity whose g is key (read before the event, from the outer record).
type innerQ struct {
	v      string
	entity int32
	key    *term
	g      string
	parent *innerQ // the range this one is nested in, nil for the outermost
}

// indexQuantifier is the index field a quantifier `cloud.<plural>_by_<g>[k].all(v, ...)`
// ranges over (a field holding one value), or nil.
func (dv *deriver) indexQuantifier(t *term) *tables.CloudField {
	if t.kind != tCall || t.recv == nil || (t.name != "all" && t.name != "exists") || len(t.args) != 2 ||
		t.args[0].kind != tIdent || !t.recv.is(operators.Index) {
		return nil
	}
	f, ok := dv.cloudField(t.recv.args[0])
	if !ok || f.Kind != tables.CloudIndex || dv.m.FieldType(f.Entity, f.Field).Kind == tables.TList {
		return nil
	}
	return &f
}

// quantIndex is a quantifier over an index after the event: the records in it read after
// the event, a deleted one dropped, a created one added when it lands on the key. The
// outer records whose range a created record enters are checked again.
func (r *rewriter) quantIndex(t *term) *term {
	m, ev := r.dv.m, r.ev
	f := r.dv.indexQuantifier(t)
	y, g, name := t.args[0].name, m.FieldNames(f.Entity)[f.Field], m.Entities[f.Entity].Name
	preKey := t.recv.args[1]
	k := r.rw(preKey)
	saved := r.inner
	r.inner = &innerQ{v: y, entity: f.Entity, key: preKey, g: g, parent: saved}
	body := r.rw(t.args[1])
	r.inner = saved
	writes := !ev.Target.Group && ev.Target.Index == f.Entity
	if writes && ev.Kind == tables.Deletes {
		body = tOr(tEq(tSel(tId(y), "id"), r.key()), body)
	}
	moves := r.moves(f.Entity, g, y, k)
	if moves != nil {
		// The record the event moves off the key is no longer in its range.
		if t.name == "all" {
			body = tOr(moves.leaves, body)
		} else {
			body = tAnd(tNot(moves.leaves), body)
		}
	}
	out := tMember(tIndex(t.recv.args[0], k), t.name, tId(y), body)
	if moves != nil {
		// ... and the record it moves onto the key is, read with its new values.
		moved := substRecord(r.inner0(t.args[1], y, f.Entity), y, r.key(), name)
		if t.name == "all" {
			out = tAnd(out, tOr(tNot(moves.enters), moved))
		} else {
			out = tOr(out, tAnd(moves.enters, moved))
		}
	}
	if writes && ev.Kind == tables.Creates {
		pre := tSel(tIndex(tCloud(name+"_by_id"), r.key()), g)
		_, _, lands, _ := r.change(f.Entity, g, pre)
		if lands == nil {
			lands = pre
		}
		created := substRecord(r.inner0(t.args[1], y, f.Entity), y, r.key(), name)
		enters := tEq(k, lands)
		if t.name == "all" {
			out = tAnd(out, tOr(tNot(enters), created))
		} else {
			out = tOr(out, tAnd(enters, created))
		}
		r.note(preKey, lands)
	}
	switch {
	case moves != nil:
		// The outer records whose range the record enters, and those it leaves: found by
		// the key, through the index, like any other read the event changes.
		_, _, nv, _ := r.change(f.Entity, g, nil)
		r.note(preKey, nv)
		r.note(preKey, tSel(tIndex(tCloud(name+"_by_id"), r.key()), g))
	case ev.Kind != tables.Creates && ev.Kind != tables.Deletes && r.setsField(f.Entity, g):
		r.hits = append(r.hits, hit{val: r.key()}) // a record moving between keys: scanned
	}
	return out
}

// move is how an update changes which records an index's key k holds: the record it
// sets the indexed field of leaves (y is that record and its new value is not k) or
// enters (it exists and its new value is k).
type move struct{ leaves, enters *term }

// moves is the move of an update that sets field g of e records, for the index key k that
// y ranges over (nil for any other event).
func (r *rewriter) moves(e int32, g, y string, k *term) *move {
	if r.ev.Kind != tables.Updates || r.ev.Target.Group || r.ev.Target.Index != e || !r.setsField(e, g) {
		return nil
	}
	_, side, nv, _ := r.change(e, g, nil)
	if nv == nil {
		return nil
	}
	return &move{leaves: tAnd(tEq(tSel(tId(y), "id"), r.key()), tNot(tEq(k, nv))), enters: tAnd(side, tEq(k, nv))}
}

// inner0 is an inner quantifier's body rewritten for the record the event creates, read
// with its new values.
func (r *rewriter) inner0(body *term, y string, e int32) *term {
	saved := r.inner
	r.inner = &innerQ{v: y, entity: e, key: nil, parent: saved}
	defer func() { r.inner = saved }()
	out := mapTerm(body, func(x *term) *term {
		if x.kind == tSelect && x.recv.kind == tIdent && x.recv.name == y {
			v, _, nv, _ := r.change(e, x.name, x)
			if nv != nil && v != nil {
				return nv
			}
		}
		return nil
	})
	return r.rw(out)
}

// setsField reports whether the event writes field f of e records otherwise than by
// creating or deleting them.
func (r *rewriter) setsField(e int32, f string) bool {
	fi := int(fieldIndex(r.dv.m, e, f))
	for _, s := range r.ev.Sets {
		if s.Entity == e && r.dv.m.AttrField(e, s.Attr) == fi {
			return true
		}
	}
	return (r.ev.Kind == tables.Associates || r.ev.Kind == tables.Dissociates) && r.ev.Link.Entity == e && r.dv.m.AttrField(e, r.ev.Link.Attr) == fi
}
