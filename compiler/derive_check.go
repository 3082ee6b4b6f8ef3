package compiler

import (
	"fmt"
	"slices"

	"cel.dev/cel-go/common/operators"

	"pvsc.dev/pvsc/tables"
)

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
	check = dv.zeroLookups(check)
	when = r.boolWhen(post)
	if when == nil {
		when = r.constWhen(check)
	}
	return check, scan, when
}

// constWhen finds a value E, read from the operation or looked up by it, that the check
// compares with a constant table of pairs (`[E, x] in conflicts`): when E is none of the
// table's values in those places, the check holds, so the event is critical only when it
// is (a grant of a role in no conflict cannot break separation of duties).
func (r *rewriter) constWhen(check *term) *term {
	for _, c := range r.constPlaces(check) {
		pv := mapTerm(check, func(x *term) *term {
			if x.is(operators.In) && x.args[0].kind == tList && x.args[1].kind == tIdent && listHas(x.args[0], c.value) {
				return tFalse()
			}
			return nil
		})
		if pv.isTrue() {
			var lits []*term
			for _, l := range c.lits {
				lits = append(lits, &term{kind: tLit, lit: l})
			}
			return r.unscoped(tIn(c.value, &term{kind: tList, args: lits}))
		}
	}
	return nil
}

// unscoped reads the scope id, which a critical condition does not see, as the operation's
// own record's ancestor of the scope's type after the event.
func (r *rewriter) unscoped(t *term) *term {
	m, s := r.dv.m, r.dv.scope
	if s < 0 {
		return t
	}
	name := m.Entities[s].Name
	uses := map[string]bool{}
	t.idents(uses)
	if !uses[name] {
		return t
	}
	e := primaryEntity(r.ev)
	pre := tSel(tIndex(tCloud(m.Entities[e].Name+"_by_id"), r.key()), name)
	r.dv.scope = -1
	_, _, nv, _ := r.change(e, name, pre)
	r.dv.scope = s
	if nv == nil {
		nv = pre
	}
	return liftConditionals(t.subst(name, nv))
}

type constPlace struct {
	value *term
	lits  []string
}

// constPlaces lists the values that sit in a list tested against a constant table, each
// with every literal the table holds where the value sits, when the value reads no
// quantified record.
func (r *rewriter) constPlaces(t *term) []constPlace {
	byValue := map[string]*constPlace{}
	var order []string
	var walk func(x *term, bound map[string]bool)
	walk = func(x *term, bound map[string]bool) {
		if x.is(operators.In) && x.args[0].kind == tList && x.args[1].kind == tIdent {
			if c, ok := r.dv.consts[x.args[1].name]; ok {
				for i, e := range x.args[0].args {
					if e.kind == tLit || readsBound(e, bound) {
						continue
					}
					k := e.String()
					if byValue[k] == nil {
						byValue[k] = &constPlace{value: e}
						order = append(order, k)
					}
					for _, row := range c.args {
						if row.kind == tList && i < len(row.args) && row.args[i].kind == tLit && !slices.Contains(byValue[k].lits, row.args[i].lit) {
							byValue[k].lits = append(byValue[k].lits, row.args[i].lit)
						}
					}
				}
			}
		}
		if x.recv != nil {
			walk(x.recv, bound)
		}
		inner := bound
		if x.kind == tCall && x.recv != nil && isQuantifier(x.name) && len(x.args) == 2 && x.args[0].kind == tIdent {
			inner = map[string]bool{x.args[0].name: true}
			for k := range bound {
				inner[k] = true
			}
		}
		for _, a := range x.args {
			walk(a, inner)
		}
	}
	walk(t, map[string]bool{r.q.v: true})
	out := make([]constPlace, 0, len(order))
	for _, k := range order {
		out = append(out, *byValue[k])
	}
	return out
}

func readsBound(t *term, bound map[string]bool) bool {
	uses := map[string]bool{}
	t.idents(uses)
	for v := range uses {
		if bound[v] {
			return true
		}
	}
	return false
}

func listHas(l, v *term) bool {
	for _, e := range l.args {
		if e.equal(v) {
			return true
		}
	}
	return false
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
		for i := len(h.via) - 1; i >= 0 && !s; i-- { // a scan reads every record whatever val is
			c = tMember(h.via[i].over, "all", tId(h.via[i].v), c)
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
			writes := !r.ev.Target.Group && r.ev.Target.Index == q.entity
			others := tFn(operators.NotEquals, tSel(tId(q.v), "id"), r.key())
			if writes && (r.ev.Kind == tables.Creates || r.ev.Kind == tables.Deletes || r.selfChecked()) {
				// The created (or re-created) or updated record is the self check's, and the
				// deleted one is out of the range: here the others. (Reading the deleted
				// record's fields as zero would look up key "", which records with an empty
				// reference hold.)
				body = assume(body, others)
			}
			if weaker(assume(q.body, tEq(key, val)), body, true) {
				return nil, false
			}
			body = residual(assume(q.body, tEq(key, val)), body)
			if writes && r.ev.Kind == tables.Deletes {
				body = tOr(tNot(others), body)
			}
			out := tMember(tIndex(tCloud(idx.Name), val), "all", tId(q.v), body)
			if assume(body, tEq(key, tStr(""))).isTrue() {
				// The records without the key pass: the key "" (a VM booted without a host)
				// is not looked up, so the unplaced records are never visited.
				out = tOr(tEq(val, tStr("")), out)
			}
			return out, false
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

// selfChecked: the record the event writes is checked on its own (a self hit), so the
// checks of the records that reach it may take it to be another one.
func (r *rewriter) selfChecked() bool {
	self := tSel(tId(r.q.v), "id").String() + "\x00" + r.key().String()
	return r.seen[self]
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
