package compiler

import (
	"cel.dev/cel-go/common/operators"

	"pvsc.dev/pvsc/tables"
)

// hit is a read the event changes: of the record whose id is val (an operation parameter),
// reached from the quantified record by key (read before the event).
// A nil key means the records reached cannot be found through an index: they are scanned.
// via are the ranges val's free variables are bound over, outermost first (a record reached
// through the records of an inner range that hold the changed one).
type hit struct {
	key, val *term
	via      []binder
}

// binder is `over.all(v, ...)`: v ranges over the records an index holds for a key.
type binder struct {
	v    string
	over *term
}

// rewriter turns a conjunct's body into what it reads after one event (SEMANTICS.md §3).
type rewriter struct {
	dv    *deriver
	ev    *tables.Event
	q     *quant
	hits  []hit
	seen  map[string]bool
	inner *innerQ // the quantifier over an index being rewritten, nil outside one
}

func (r *rewriter) key() *term { return tOp(r.ev.Params[r.ev.Key].Name) }

func (r *rewriter) other() *term {
	if r.ev.OtherKey < 0 {
		return nil
	}
	return tOp(r.ev.Params[r.ev.OtherKey].Name)
}

// rw rewrites t to read the state after the event, noting the reads that change.
func (r *rewriter) rw(t *term) *term {
	switch {
	case t.kind == tSelect && t.recv.kind == tIdent && t.recv.name == r.q.v:
		return r.field(r.q.entity, tSel(t.recv, "id"), tSel(t.recv, "id"), t, t.name)
	case t.kind == tSelect && t.recv.kind == tIdent && r.innerOf(t.recv.name) != nil:
		in := r.innerOf(t.recv.name)
		if r.ev.Kind == tables.Creates && !r.ev.Target.Group && r.ev.Target.Index == in.entity {
			return t // a created record enters the range with its new values (quantIndex)
		}
		saved := r.inner
		r.inner = in // its reads are noted from its own range
		defer func() { r.inner = saved }()
		return r.field(in.entity, tSel(t.recv, "id"), tSel(t.recv, "id"), t, t.name)
	case r.dv.indexQuantifier(t) != nil:
		return r.quantIndex(t)
	case t.kind == tSelect && t.recv.is(operators.Index):
		if f, ok := r.dv.cloudField(t.recv.args[0]); ok && f.Kind == tables.CloudByID {
			k := r.rw(t.recv.args[1])
			return r.field(f.Entity, k, t.recv.args[1], tSel(tIndex(t.recv.args[0], k), t.name), t.name)
		}
	case t.is(operators.In):
		if f, ok := r.dv.cloudField(t.args[1]); ok && f.Kind == tables.CloudIDs {
			return r.member(f.Entity, r.rw(t.args[0]), t.args[0])
		}
	case sizeOfIndex(t) != nil:
		idx := sizeOfIndex(t)
		if f, ok := r.dv.cloudField(idx.args[0]); ok && f.Kind == tables.CloudIndex {
			return r.count(f, r.rw(idx.args[1]), idx.args[1], t)
		}
	}
	if t.kind == tIdent || t.kind == tLit {
		return t
	}
	out := *t
	if t.recv != nil {
		out.recv = r.rw(t.recv)
	}
	out.args = make([]*term, len(t.args))
	for i, a := range t.args {
		out.args[i] = r.rw(a)
	}
	return fold(&out)
}

// refKey: the key is a reference field (or an id), so ids are fresh for it: no record refers
// to an id before its record is created. A string field may name an id before (a port's
// device_id names a router that is created later).
func (r *rewriter) refKey(key *term) bool {
	m := r.dv.m
	var e int32 = -1
	switch {
	case key.kind != tSelect:
		return false
	case key.recv.kind == tIdent && key.recv.name == r.q.v:
		e = r.q.entity
	case key.recv.kind == tIdent && r.innerOf(key.recv.name) != nil:
		e = r.innerOf(key.recv.name).entity
	case key.recv.is(operators.Index):
		if f, ok := r.dv.cloudField(key.recv.args[0]); ok && f.Kind == tables.CloudByID {
			e = f.Entity
		}
	}
	if e < 0 {
		return false
	}
	fi := fieldIndex(m, e, key.name)
	return fi >= 0 && m.FieldType(e, int(fi)).Kind == tables.TRef
}

// innerOf is the range (of those the rewriter is inside) whose variable is v, or nil.
func (r *rewriter) innerOf(v string) *innerQ {
	for in := r.inner; in != nil; in = in.parent {
		if in.v == v {
			return in
		}
	}
	return nil
}

func (r *rewriter) note(key, val *term) {
	if key.kind == tSelect && key.recv.kind == tIdent && r.innerOf(key.recv.name) != nil {
		in := r.innerOf(key.recv.name)
		saved := r.inner
		defer func() { r.inner = saved }()
		r.inner = in
		if key.name != "id" && r.noteThrough(in, key, val) {
			return
		}
		if key.name != "id" || in.key == nil {
			r.hits = append(r.hits, hit{val: val}) // reached from a record of an inner range: scanned
			return
		}
		// The record val sits in the range of the outer records whose key is its g.
		r.inner = in.parent
		r.note(in.key, tSel(tIndex(tCloud(r.dv.m.Entities[in.entity].Name+"_by_id"), val), in.g))
		r.inner = in
		return
	}
	k := key.String() + "\x00" + val.String()
	if !r.seen[k] {
		r.seen[k] = true
		r.hits = append(r.hits, hit{key: key, val: val})
	}
}

// noteThrough notes the outer records reached from the inner range's records whose field
// (key.name) is val, when an index by that field finds them: each such record z sits in the
// range of the outer records whose key is its g (a new group assignment reaches the members
// of the group, and through each member's user the user's assignments). The records of the
// inner range must be ones the event does not write, so the index read before it is theirs.
func (r *rewriter) noteThrough(in *innerQ, key, val *term) bool {
	m := r.dv.m
	idx, ok := r.dv.fields[m.Entities[in.entity].Plural+"_by_"+key.name]
	if !ok || idx.Kind != tables.CloudIndex || in.key == nil || !r.ev.Target.Group && r.ev.Target.Index == in.entity {
		return false
	}
	z := r.dv.freshVar(m.Entities[in.entity].Name)
	b := binder{v: z, over: tIndex(tCloud(idx.Name), val)}
	from := len(r.hits)
	r.inner = in.parent
	r.note(in.key, tSel(tId(z), in.g))
	r.inner = in
	for i := from; i < len(r.hits); i++ {
		r.hits[i].via = append([]binder{b}, r.hits[i].via...)
	}
	return true
}

// field is field f of the e record with id k (preKey before the event), after the event.
func (r *rewriter) field(e int32, k, preKey, pre *term, f string) *term {
	val, side, nv, record := r.change(e, f, pre)
	if nv == nil {
		return pre
	}
	if record || !r.refKey(preKey) {
		r.note(preKey, val)
	}
	cond := tEq(k, val)
	if side != nil {
		cond = tAnd(cond, side)
	}
	return tCond(cond, nv, pre)
}

// change says how the event changes field f of an e record: the id param of the record it
// changes, a side condition, the new value (nil: unchanged), and whether records reaching
// it must be checked again (not for a created record: ids are fresh, none reaches it).
func (r *rewriter) change(e int32, f string, pre *term) (val, side, nv *term, record bool) {
	m, ev := r.dv.m, r.ev
	fi := int(fieldIndex(m, e, f))
	if fi < 0 {
		return nil, nil, nil, false
	}
	nAnc := len(m.Entities[e].Ancestors)
	attr := int32(fi - 1 - nAnc)
	set := func(ent int32) *term {
		for _, s := range ev.Sets {
			if fi > nAnc && s.Entity == ent && s.Attr == attr {
				return tOp(ev.Params[s.Param].Name)
			}
		}
		return nil
	}
	exists := func(ent int32) *term { return tIn(r.key(), tCloud(m.Entities[ent].Name+"_ids")) }
	switch ev.Kind {
	case tables.Creates:
		if ev.Target.Group || ev.Target.Index != e {
			return nil, nil, nil, false
		}
		switch {
		case fi == 0:
			nv = r.key()
		case fi <= nAnc && r.dv.scope == m.Entities[e].Ancestors[fi-1]:
			nv = tId(m.Entities[r.dv.scope].Name) // the operation's scope is that ancestor
		case fi <= nAnc:
			nv = tCond(tFn(operators.NotEquals, pre, tStr("")), pre, r.resolved(e, m.Entities[e].Ancestors[fi-1], r.createParents(e)))
		default:
			nv = set(e)
		}
		return r.key(), nil, nv, false
	case tables.Updates:
		if ev.Target.Group || ev.Target.Index != e {
			return nil, nil, nil, false
		}
		return r.key(), exists(e), set(e), true
	case tables.Deletes:
		if ev.Target.Group || ev.Target.Index != e {
			return nil, nil, nil, false
		}
		return r.key(), nil, zeroOf(m.FieldType(e, fi)), true
	case tables.Associates, tables.Dissociates:
		l := ev.Link.Entity
		if e == l {
			nv = set(l)
			if fi == m.AttrField(l, ev.Link.Attr) {
				nv = tStr("")
				if ev.Kind == tables.Associates {
					nv = r.other()
				}
			}
			return r.key(), exists(l), nv, true
		}
		if e == ev.Other && ev.Kind == tables.Associates {
			// The B record is created only if missing: its id and ancestors change then.
			created := tAnd(exists(l), tNot(tIn(r.other(), tCloud(m.Entities[e].Name+"_ids"))))
			switch {
			case fi == 0:
				return r.other(), created, r.other(), false
			case fi <= nAnc:
				return r.other(), created, r.resolved(e, m.Entities[e].Ancestors[fi-1], r.associateParents(e)), false
			}
			return r.other(), exists(l), set(e), true
		}
	}
	return nil, nil, nil, false
}

// sizeOfIndex is the index lookup t counts, `size(cloud.<plural>_by_<f>[k])`, or nil.
func sizeOfIndex(t *term) *term {
	if t.kind == tCall && t.name == "size" && (t.recv == nil && len(t.args) == 1 || t.recv != nil && len(t.args) == 0) {
		x := t.recv
		if x == nil {
			x = t.args[0]
		}
		if x.is(operators.Index) {
			return x
		}
	}
	return nil
}

// count is `size(cloud.<plural>_by_<f>[k])` after the event: one more when the record the
// event writes comes to hold k in f, one less when it leaves it (or is deleted). The
// records counting k are checked again (a quota is reached by the one more).
func (r *rewriter) count(f tables.CloudField, k, preKey, pre *term) *term {
	m, ev := r.dv.m, r.ev
	name := m.FieldNames(f.Entity)[f.Field]
	if m.FieldType(f.Entity, f.Field).Kind == tables.TList {
		return pre // a list field's index: not handled, the record is unchanged here
	}
	val, side, nv, _ := r.change(f.Entity, name, tSel(tIndex(tCloud(m.Entities[f.Entity].Name+"_by_id"), r.recordID(f.Entity)), name))
	if nv == nil || val == nil {
		return pre
	}
	old := tSel(tIndex(tCloud(m.Entities[f.Entity].Name+"_by_id"), val), name)
	exists := tIn(val, tCloud(m.Entities[f.Entity].Name+"_ids"))
	if side == nil {
		side = tTrue()
	}
	one, zero := &term{kind: tLit, lit: "1"}, &term{kind: tLit, lit: "0"}
	moved := tAnd(side, tFn(operators.NotEquals, old, nv))
	out := pre
	if ev.Kind != tables.Deletes {
		out = tFn(operators.Add, out, tCond(tAnd(moved, tEq(k, nv)), one, zero))
		r.note(preKey, nv)
	}
	return tFn(operators.Subtract, out, tCond(tAnd(tAnd(moved, exists), tEq(k, old)), one, zero))
}

// recordID is the id parameter of the e record the event writes.
func (r *rewriter) recordID(e int32) *term {
	if r.ev.Kind == tables.Associates && r.ev.Other == e && r.ev.Link.Entity != e {
		return r.other()
	}
	return r.key()
}

// member is `k in cloud.<e>_ids` after the event.
func (r *rewriter) member(e int32, k, preKey *term) *term {
	m, ev := r.dv.m, r.ev
	base := tIn(k, tCloud(m.Entities[e].Name+"_ids"))
	switch {
	case ev.Kind == tables.Creates && !ev.Target.Group && ev.Target.Index == e:
		if !r.refKey(preKey) {
			r.note(preKey, r.key())
		}
		return tOr(base, tEq(k, r.key()))
	case ev.Kind == tables.Deletes && !ev.Target.Group && ev.Target.Index == e:
		r.note(preKey, r.key())
		return tAnd(base, tFn(operators.NotEquals, k, r.key()))
	case ev.Kind == tables.Associates && ev.Other == e:
		if !r.refKey(preKey) {
			r.note(preKey, r.other())
		}
		return tOr(base, tAnd(tEq(k, r.other()), tIn(r.key(), tCloud(m.Entities[ev.Link.Entity].Name+"_ids"))))
	}
	return base
}

// createParents are the parent ids a create names, "" for a parent it does not.
func (r *rewriter) createParents(e int32) []*term {
	ps := r.dv.m.Entities[e].Parents
	out := make([]*term, len(ps))
	for i := range ps {
		out[i] = tStr("")
		if i < len(r.ev.ParentKeys) && r.ev.ParentKeys[i] >= 0 {
			out[i] = tOp(r.ev.Params[r.ev.ParentKeys[i]].Name)
		}
	}
	return out
}

// associateParents are the parents of a B record an association creates: those it names,
// else the link member's ancestor of that type.
func (r *rewriter) associateParents(e int32) []*term {
	m, ev := r.dv.m, r.ev
	ps := m.Entities[e].Parents
	out := make([]*term, len(ps))
	for i, p := range ps {
		fromL := tStr("")
		if m.IsAncestorOrSelf(p, ev.Link.Entity) && p != ev.Link.Entity {
			fromL = tSel(tIndex(tCloud(m.Entities[ev.Link.Entity].Name+"_by_id"), r.key()), m.Entities[p].Name)
		}
		out[i] = fromL
		if i < len(ev.ParentKeys) && ev.ParentKeys[i] >= 0 {
			named := tOp(ev.Params[ev.ParentKeys[i]].Name)
			out[i] = tCond(tFn(operators.NotEquals, named, tStr("")), named, fromL)
		}
	}
	return out
}

// resolved is ancestor a of a new e record with the given parent ids, as the runtime walks
// it (SEMANTICS.md §1): breadth-first from the named parents, in order, through the
// records that exist; the first node of type a gives its id.
func (r *rewriter) resolved(e, a int32, parents []*term) *term {
	m := r.dv.m
	type node struct {
		e         int32
		id, guard *term
	}
	var q []node
	for i, p := range m.Entities[e].Parents {
		q = append(q, node{p, parents[i], tTrue()})
	}
	var cands []node
	for h := 0; h < len(q) && h < 64; h++ {
		n := q[h]
		if n.e == a { // an unnamed parent ("") is not on the walk
			n.guard = tAnd(n.guard, tFn(operators.NotEquals, n.id, tStr("")))
			cands = append(cands, n)
			continue
		}
		g := tAnd(n.guard, tIn(n.id, tCloud(m.Entities[n.e].Name+"_ids")))
		for _, p := range m.Entities[n.e].Parents {
			q = append(q, node{p, tSel(tIndex(tCloud(m.Entities[n.e].Name+"_by_id"), n.id), m.Entities[p].Name), g})
		}
	}
	out := tStr("")
	for i := len(cands) - 1; i >= 0; i-- {
		out = tCond(cands[i].guard, cands[i].id, out)
	}
	return out
}

func zeroOf(t tables.Type) *term {
	switch t.Kind {
	case tables.TBool:
		return tFalse()
	case tables.TInt, tables.TEnum:
		return &term{kind: tLit, lit: "0"}
	case tables.TList:
		return &term{kind: tList}
	}
	return tStr("")
}
