package compiler

import (
	"fmt"

	"cel.dev/cel-go/common/operators"

	"pvsc.dev/pvsc/tables"
)

// hit is a read the event changes: of the record whose id is val (an operation parameter),
// reached from the quantified record by key (read before the event).
// A nil key means the records reached cannot be found through an index: they are scanned.
type hit struct{ key, val *term }

// rewriter turns a conjunct's body into what it reads after one event (SEMANTICS.md §3).
type rewriter struct {
	dv    *deriver
	ev    *tables.Event
	q     *quant
	hits  []hit
	seen  map[string]bool
	inner *innerQ // the quantifier over an index being rewritten, nil outside one
}

// innerQ is `cloud.<plural>_by_<g>[key].all(v, ...)` inside the conjunct's body: its
// records are those of entity whose g is key (read before the event, from the outer record).
type innerQ struct {
	v      string
	entity int32
	key    *term
	g      string
}

// delta is the check an operation of event ev must pass for q to hold after it, given that
// q held before: the records whose body the event can change, each checked after it.
// Scan says some of them could only be found by visiting every record. When, if not nil,
// is a condition on a boolean parameter outside which the event cannot break q.
func (dv *deriver) delta(q *quant, evi int32) (check *term, scan bool, when *term) {
	ev := &dv.m.Events[evi]
	r := &rewriter{dv: dv, ev: ev, q: q, seen: map[string]bool{}}
	post := dv.zeroLookups(r.rw(q.body))
	creates := ev.Kind == tables.Creates && !ev.Target.Group && ev.Target.Index == q.entity
	if !creates && weaker(q.body, post, true) {
		return nil, false, nil // every record's body after the event follows from it before
	}
	if creates {
		r.hits = append(r.hits, hit{key: tSel(tId(q.v), "id"), val: r.key()})
	}
	check, scan = r.checks(post)
	if check == nil {
		return nil, false, nil
	}
	return dv.zeroLookups(check), scan, r.boolWhen(post)
}

// missingHolds reports whether body holds when the e record with id val is missing (its
// fields read as zero values), so the existence guard can go.
func (dv *deriver) missingHolds(body, val *term, e int32) bool {
	by := tCloud(dv.m.Entities[e].Name + "_by_id").String()
	zero := mapTerm(body, func(x *term) *term {
		if x.kind == tSelect && x.recv.is(operators.Index) && x.recv.args[0].String() == by && x.recv.args[1].equal(val) {
			if fi := fieldIndex(dv.m, e, x.name); fi >= 0 {
				return zeroOf(dv.m.FieldType(e, int(fi)))
			}
		}
		if x.is(operators.In) && x.args[0].equal(val) && x.args[1].equal(tCloud(dv.m.Entities[e].Name+"_ids")) {
			return tFalse()
		}
		return nil
	})
	return dv.zeroLookups(zero).isTrue()
}

// constIn decides `[a, b] in c` for a list constant c of lists when no element of c
// matches the literal positions of [a, b]: false (a deleted role's name is "", which no
// conflict names). Nil when it cannot tell.
func (dv *deriver) constIn(x *term) *term {
	if !x.is(operators.In) || x.args[0].kind != tList || x.args[1].kind != tIdent {
		return nil
	}
	c, ok := dv.consts[x.args[1].name]
	if !ok {
		return nil
	}
	l := x.args[0]
	for _, e := range c.args {
		if e.kind != tList || len(e.args) != len(l.args) {
			return nil
		}
		match := true
		for i, a := range l.args {
			if a.kind == tLit && e.args[i].kind == tLit && a.lit != e.args[i].lit {
				match = false
			}
		}
		if match {
			return nil
		}
	}
	return tFalse()
}

// zeroLookups reads a field of the record with id "" as its zero value: no record has
// that id (SEMANTICS.md §1), and the fast form looks records up by a value, not a literal.
func (dv *deriver) zeroLookups(t *term) *term {
	return mapTerm(t, func(x *term) *term {
		if c := dv.constIn(x); c != nil {
			return c
		}
		if x.kind != tSelect || !x.recv.is(operators.Index) || !x.recv.args[1].equal(tStr("")) {
			return nil
		}
		f, ok := dv.cloudField(x.recv.args[0])
		if !ok || f.Kind != tables.CloudByID {
			return nil
		}
		if fi := fieldIndex(dv.m, f.Entity, x.name); fi >= 0 {
			return zeroOf(dv.m.FieldType(f.Entity, int(fi)))
		}
		return nil
	})
}

// checks joins the checks of every record the event reaches.
func (r *rewriter) checks(post *term) (*term, bool) {
	var out *term
	scan := false
	for _, h := range r.hits {
		c, s := r.check(post, h.key, h.val)
		if c == nil {
			continue
		}
		scan = scan || s
		if out == nil {
			out = c
		} else {
			out = tAnd(out, c)
		}
	}
	if out != nil && out.isTrue() {
		return nil, false
	}
	return out, scan
}

// boolWhen finds a boolean parameter with a value for which no check is left (sharing a
// network cannot break what unsharing can): the event is critical only with the other.
func (r *rewriter) boolWhen(post *term) *term {
	for _, p := range r.ev.Params {
		if p.Type.Kind != tables.TBool {
			continue
		}
		param := tOp(p.Name).String()
		for _, v := range []*term{tTrue(), tFalse()} {
			pv := mapTerm(post, func(x *term) *term {
				if x.kind == tSelect && x.String() == param {
					return v
				}
				return nil
			})
			if c, _ := r.checks(pv); c == nil {
				if v.isTrue() {
					return tNot(tOp(p.Name))
				}
				return tOp(p.Name)
			}
		}
	}
	return nil
}

func (r *rewriter) key() *term { return tOp(r.ev.Params[r.ev.Key].Name) }
func (r *rewriter) other() *term {
	if r.ev.OtherKey < 0 {
		return nil
	}
	return tOp(r.ev.Params[r.ev.OtherKey].Name)
}

// check is the body after the event for the records reached from val by key.
func (r *rewriter) check(post, key, val *term) (*term, bool) {
	m, q := r.dv.m, r.q
	if key == nil {
		return tMember(tCloud(m.Entities[q.entity].Plural), "all", tId(q.v), residual(q.body, post)), true
	}
	switch {
	case key.kind == tSelect && key.recv.kind == tIdent && key.recv.name == q.v:
		if key.name == "id" {
			return r.self(post, val), false
		}
		if idx, ok := r.dv.fields[m.Entities[q.entity].Plural+"_by_"+key.name]; ok && idx.Kind == tables.CloudIndex {
			body := assume(post, tEq(key, val))
			if weaker(assume(q.body, tEq(key, val)), body, true) {
				return nil, false
			}
			body = residual(assume(q.body, tEq(key, val)), body)
			return tMember(tIndex(tCloud(idx.Name), val), "all", tId(q.v), body), false
		}
	case key.kind == tSelect && key.recv.is(operators.Index):
		f, ok := r.dv.cloudField(key.recv.args[0])
		if !ok || f.Kind != tables.CloudByID {
			break
		}
		inner := key.recv.args[1]
		if key.name == "id" {
			return r.check(post, inner, val)
		}
		idx, ok := r.dv.fields[m.Entities[f.Entity].Plural+"_by_"+key.name]
		if !ok || idx.Kind != tables.CloudIndex {
			break
		}
		z := r.dv.freshVar(m.Entities[f.Entity].Name)
		c, scan := r.check(post, inner, tSel(tId(z), "id"))
		if c == nil {
			return nil, false
		}
		return tMember(tIndex(tCloud(idx.Name), val), "all", tId(z), c), scan
	}
	return tMember(tCloud(m.Entities[q.entity].Plural), "all", tId(q.v), residual(q.body, post)), true
}

// residual is what is left of post to check where pre held before the event: the parts of
// it that pre implies are dropped (post = d || (a && b) is checked as d || a and d || b).
func residual(pre, post *term) *term {
	switch {
	case weaker(pre, post, true):
		return tTrue()
	case post.is(operators.LogicalAnd):
		return tAnd(residual(pre, post.args[0]), residual(pre, post.args[1]))
	case post.is(operators.LogicalOr):
		for i, side := range post.args {
			if side.is(operators.LogicalAnd) {
				other := post.args[1-i]
				return tAnd(residual(pre, tOr(other, side.args[0])), residual(pre, tOr(other, side.args[1])))
			}
		}
	}
	return post
}

// self is the body for the record with id val, after the event: none when the event
// deletes it; when the event does not create it, only if it exists (else nothing changes).
func (r *rewriter) self(post, val *term) *term {
	ev, x := r.ev, r.q.entity
	if ev.Kind == tables.Deletes && ev.Target.Index == x && val.equal(r.key()) {
		return nil
	}
	pre := r.q.body
	if sb := r.scopedBody(val); sb != nil {
		again := &rewriter{dv: r.dv, ev: ev, q: r.q, seen: map[string]bool{}}
		pre, post = sb, again.rw(sb)
	}
	name := r.dv.m.Entities[x].Name
	ids := tIn(val, tCloud(name+"_ids"))
	body := assume(substRecord(post, r.q.v, val, name), ids)
	if ev.Kind == tables.Creates && ev.Target.Index == x && val.equal(r.key()) {
		return body
	}
	before := assume(substRecord(pre, r.q.v, val, name), ids)
	if weaker(before, body, true) {
		return nil // the record held the body before, and the event only weakens it
	}
	body = residual(before, body)
	if r.dv.missingHolds(body, val, x) {
		return body // a missing record reads zero values, which pass: no need to ask
	}
	return tOr(tNot(ids), body)
}

// scopedBody is the body, for the operation's own record, with its ancestor of the
// scope's type read as the scope id: the operation's scope is that ancestor (an unknown
// scope is decided by the fail mode, never by the rule). Nil when that does not apply.
func (r *rewriter) scopedBody(val *term) *term {
	m, s, x := r.dv.m, r.dv.scope, r.q.entity
	if s < 0 || primaryEntity(r.ev) != x || !val.equal(r.key()) || x == s || !m.IsAncestorOrSelf(s, x) {
		return nil
	}
	sf := tSel(tId(r.q.v), m.Entities[s].Name)
	return mapTerm(r.q.body, func(t *term) *term {
		if t.kind == tSelect && t.equal(sf) {
			return tId(m.Entities[s].Name)
		}
		return nil
	})
}

func (dv *deriver) freshVar(base string) string {
	dv.fresh++
	return fmt.Sprintf("%s%d", base[:1], dv.fresh)
}

// rw rewrites t to read the state after the event, noting the reads that change.
func (r *rewriter) rw(t *term) *term {
	switch {
	case t.kind == tSelect && t.recv.kind == tIdent && t.recv.name == r.q.v:
		return r.field(r.q.entity, tSel(t.recv, "id"), tSel(t.recv, "id"), t, t.name)
	case t.kind == tSelect && t.recv.kind == tIdent && r.inner != nil && t.recv.name == r.inner.v:
		if r.ev.Kind == tables.Creates && !r.ev.Target.Group && r.ev.Target.Index == r.inner.entity {
			return t // a created record enters the range with its new values (quantIndex)
		}
		return r.field(r.inner.entity, tSel(t.recv, "id"), tSel(t.recv, "id"), t, t.name)
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
	case key.recv.kind == tIdent && r.inner != nil && key.recv.name == r.inner.v:
		e = r.inner.entity
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
	r.inner = &innerQ{v: y, entity: f.Entity, key: preKey, g: g}
	body := r.rw(t.args[1])
	r.inner = saved
	writes := !ev.Target.Group && ev.Target.Index == f.Entity
	if writes && ev.Kind == tables.Deletes {
		body = tOr(tEq(tSel(tId(y), "id"), r.key()), body)
	}
	out := tMember(tIndex(t.recv.args[0], k), t.name, tId(y), body)
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
	if ev.Kind != tables.Creates && ev.Kind != tables.Deletes && r.setsField(f.Entity, g) {
		r.hits = append(r.hits, hit{val: r.key()}) // a record moving between keys: scanned
	}
	return out
}

// inner0 is an inner quantifier's body rewritten for the record the event creates, read
// with its new values.
func (r *rewriter) inner0(body *term, y string, e int32) *term {
	saved := r.inner
	r.inner = &innerQ{v: y, entity: e, key: nil}
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

func (r *rewriter) note(key, val *term) {
	if in := r.inner; in != nil && key.kind == tSelect && key.recv.kind == tIdent && key.recv.name == in.v {
		if key.name != "id" || in.key == nil {
			r.hits = append(r.hits, hit{val: val}) // reached from a record of an inner range: scanned
			return
		}
		// The record val sits in the range of the outer records whose key is its g.
		r.inner = nil
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

// substRecord reads the record with id val of entity e where the body reads v.
func substRecord(t *term, v string, val *term, e string) *term {
	return mapTerm(t, func(x *term) *term {
		if x.kind == tSelect && x.recv.kind == tIdent && x.recv.name == v {
			if x.name == "id" {
				return val
			}
			return tSel(tIndex(tCloud(e+"_by_id"), val), x.name)
		}
		return nil
	})
}

// assume replaces fact, where it occurs, by true; an (in)equality's negation by false.
func assume(t, fact *term) *term {
	s := fact.String()
	neg := ""
	switch {
	case fact.is(operators.Equals):
		neg = tFn(operators.NotEquals, fact.args[0], fact.args[1]).String()
	case fact.is(operators.NotEquals):
		neg = tFn(operators.Equals, fact.args[0], fact.args[1]).String()
	}
	return mapTerm(t, func(x *term) *term {
		switch {
		case x.kind != tCall:
		case x.String() == s:
			return tTrue()
		case neg != "" && x.String() == neg:
			return tFalse()
		}
		return nil
	})
}

// weaker reports whether p implies q (pos), or q implies p (!pos), by their shape: q is p
// with parts replaced by constants that only weaken it (strengthen it, for !pos). A
// conditional q reads `k == v ? ...` is split into its two cases.
func weaker(p, q *term, pos bool) bool {
	return weakerCases(p, q, pos, 3)
}

func weakerCases(p, q *term, pos bool, depth int) bool {
	if weakerShape(p, q, pos) {
		return true
	}
	c := firstCondition(q)
	if c == nil || depth == 0 {
		return false
	}
	return weakerCases(assume(p, c), assume(q, c), pos, depth-1) &&
		weakerCases(assumeNot(p, c), assumeNot(q, c), pos, depth-1)
}

// firstCondition is the first equality a conditional of t tests.
func firstCondition(t *term) *term {
	if t.is(operators.Conditional) {
		for _, c := range conjuncts(t.args[0]) {
			if c.is(operators.Equals) {
				return c
			}
		}
	}
	if t.recv != nil {
		if c := firstCondition(t.recv); c != nil {
			return c
		}
	}
	for _, a := range t.args {
		if c := firstCondition(a); c != nil {
			return c
		}
	}
	return nil
}

// lowerCount: p is `a <= b` (or <) and q is `a - (c ? 1 : 0) <= b`.
func lowerCount(p, q *term) bool {
	if !(p.is(operators.LessEquals) || p.is(operators.Less)) || p.name != q.name || !p.args[1].equal(q.args[1]) {
		return false
	}
	d := q.args[0]
	return d.is(operators.Subtract) && d.args[0].equal(p.args[0]) && d.args[1].is(operators.Conditional) &&
		d.args[1].args[1].lit == "1" && d.args[1].args[2].lit == "0"
}

// assumeNot replaces the equality eq by false and its negation by true.
func assumeNot(t, eq *term) *term {
	return assume(t, tFn(operators.NotEquals, eq.args[0], eq.args[1]))
}

func weakerShape(p, q *term, pos bool) bool {
	switch {
	case p.equal(q), pos && (q.isTrue() || p.isFalse()), !pos && (q.isFalse() || p.isTrue()):
		return true
	case p.is(operators.LogicalNot) && q.is(operators.LogicalNot):
		return weakerShape(p.args[0], q.args[0], !pos)
	case p.kind == tCall && q.kind == tCall && p.recv != nil && q.recv != nil && p.name == q.name &&
		(p.name == "all" || p.name == "exists") && p.recv.equal(q.recv) && p.args[0].equal(q.args[0]):
		return weakerShape(p.args[1], q.args[1], pos) // the same range, a weaker body
	case q.is(operators.Conditional) && weakerShape(p, q.args[1], pos) && weakerShape(p, q.args[2], pos):
		return true // q is one of its branches, both of which follow from p
	case pos && lowerCount(p, q):
		return true // a count bounded from above, one less
	case (p.is(operators.LogicalAnd) && q.is(operators.LogicalAnd) || p.is(operators.LogicalOr) && q.is(operators.LogicalOr)) &&
		weakerShape(p.args[0], q.args[0], pos) && weakerShape(p.args[1], q.args[1], pos):
		return true
	}
	// p => q || r, p && r => q; and for !pos the duals.
	or, and := operators.LogicalOr, operators.LogicalAnd
	if !pos {
		or, and = and, or
	}
	if q.is(or) && (weakerShape(p, q.args[0], pos) || weakerShape(p, q.args[1], pos)) {
		return true
	}
	return p.is(and) && (weakerShape(p.args[0], q, pos) || weakerShape(p.args[1], q, pos))
}

// mapTerm rebuilds t top-down: f's non-nil answer replaces a subterm; the rest is folded.
func mapTerm(t *term, f func(*term) *term) *term {
	if r := f(t); r != nil {
		return r
	}
	if t.kind == tIdent || t.kind == tLit {
		return t
	}
	out := *t
	if t.recv != nil {
		out.recv = mapTerm(t.recv, f)
	}
	out.args = make([]*term, len(t.args))
	for i, a := range t.args {
		out.args[i] = mapTerm(a, f)
	}
	return fold(&out)
}
