package compiler

import (
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/common/operators"

	"pvsc.dev/pvsc/tables"
)

// Derived is the proactive plan derive computes from an invariant alone: which events can
// make it false, with the condition each must satisfy, checked on the state before the
// operation against what the operation changes (SEMANTICS.md §3).
type Derived struct {
	Property  string
	Scope     string // the scope entity: the nearest ancestor-or-self of every critical event's record
	Criticals []DerivedCritical
}

// DerivedCritical is one critical event with its condition and allow rule.
type DerivedCritical struct {
	Event       string
	When, Allow string // When is "" when every operation of the event is critical
	allow       *term
	Scan        bool // the allow rule scans an entity (declared rare)
}

func (c *DerivedCritical) pretty(indent string) string {
	if c.allow == nil {
		return c.Allow
	}
	return c.allow.pretty(indent, 100)
}

// Rare lists the events whose allow rule scans.
func (d *Derived) Rare() []string {
	var out []string
	for _, c := range d.Criticals {
		if c.Scan {
			out = append(out, c.Event)
		}
	}
	return out
}

// Derive computes the plan of an invariant over a model. The invariant is a conjunction of
// `cloud.<records>.all(x, P)`; within P every read of the cloud is a record looked up by
// a key (`cloud.e_by_id[k].f`, `k in cloud.e_ids`) reached from x. For each event, P is
// rewritten to read the state after the event, and only the records whose P can change
// are checked: the one the event writes, or those reaching it, found through the indexes
// by the key that reaches it. A part outside this form is checked whole on every event
// that writes what it reads (a scan, declared rare), and a note says so.
func Derive(m *tables.Model, property, invariant string, lets map[string]string) (*Derived, error) {
	t, err := parseTerm(invariant)
	if err == nil {
		t, err = inlineBinds(t)
	}
	if err != nil {
		return nil, fmt.Errorf("invariant: %v", err)
	}
	consts := map[string]*term{}
	for name, src := range lets {
		if c, err := parseTerm(src); err == nil && c.kind == tList {
			consts[name] = c
		}
	}
	// The first pass finds the critical events, and so the scope; the second reads the
	// operation's own record's scope ancestor as the scope id, which it is once known.
	d, scope, err := derivePass(m, property, t, -1, consts)
	if err != nil {
		return nil, err
	}
	if d, scope, err = derivePass(m, property, t, scope, consts); err != nil {
		return nil, err
	}
	d.Scope = m.Entities[scope].Name
	return d, nil
}

func derivePass(m *tables.Model, property string, t *term, scope int32, consts map[string]*term) (*Derived, int32, error) {
	dv := &deriver{m: m, fields: cloudEntityFields(m), scope: scope, consts: consts}
	d := &Derived{Property: property}
	checks := make([][]*term, len(m.Events))
	whens := make([][]*term, len(m.Events))
	scans := make([]bool, len(m.Events))
	for _, c := range conjuncts(t) {
		q, err := dv.quantified(c)
		if err != nil {
			return nil, -1, fmt.Errorf("in `%s`, %v: write this property's plan by hand", c, err)
		}
		for ev := range m.Events {
			ck, scan, when := dv.delta(q, int32(ev))
			if ck != nil {
				checks[ev] = append(checks[ev], ck)
				whens[ev] = append(whens[ev], when)
				scans[ev] = scans[ev] || scan
			}
		}
	}
	var targets []int32
	for ev, cks := range checks {
		if len(cks) == 0 {
			continue
		}
		c, ok := criticalOf(&m.Events[ev], cks, commonWhen(whens[ev]), scans[ev])
		if !ok {
			continue
		}
		c.allow = dv.zeroLookups(c.allow) // lifting conditionals can leave lookups of ""
		c.Allow = c.allow.String()
		d.Criticals = append(d.Criticals, c)
		targets = append(targets, primaryEntity(&m.Events[ev]))
	}
	if len(d.Criticals) == 0 {
		return nil, -1, fmt.Errorf("no event of model %s can make the invariant false", m.Name)
	}
	if scope >= 0 {
		return d, scope, nil
	}
	scope, err := commonScope(m, targets)
	return d, scope, err
}

// criticalOf joins an event's checks into its allow rule; the disjuncts that read only the
// operation become the critical condition (an operation they accept cannot break anything).
// An event whose own condition (`where`) contradicts that condition is not critical.
func criticalOf(ev *tables.Event, cks []*term, paramWhen *term, scan bool) (DerivedCritical, bool) {
	allow := tTrue()
	seen := map[string]bool{}
	for _, ck := range cks {
		for _, c := range conjuncts(ck) {
			// Two invariant conjuncts reached through the same records give one check.
			if k := c.alpha(); !seen[k] {
				seen[k] = true
				allow = tAnd(allow, c)
			}
		}
	}
	dc := DerivedCritical{Event: ev.Name, Scan: scan}
	var opOnly, rest []*term
	for _, x := range disjuncts(allow) {
		if readsOnlyOp(x) {
			opOnly = append(opOnly, x)
		} else {
			rest = append(rest, x)
		}
	}
	when := tTrue()
	if paramWhen != nil {
		when = paramWhen
	}
	if len(opOnly) > 0 && len(rest) > 0 {
		when = tAnd(when, tNot(joinOr(opOnly)))
		allow = joinOr(rest)
	}
	if !when.isTrue() {
		if where := eventWhere(ev); where != nil {
			if contradicts(when, where) {
				return dc, false
			}
			if implies(where, when) {
				when = tTrue()
			}
		}
		if !when.isTrue() {
			dc.When = when.String()
		}
	}
	allow = liftConditionals(allow)
	dc.Allow, dc.allow = allow.String(), allow
	return dc, true
}

func eventWhere(ev *tables.Event) *term {
	if ev.Where == nil {
		return nil
	}
	t, err := parseTerm(ev.Where.Src)
	if err != nil {
		return nil
	}
	return t
}

// implies: every conjunct of b is a conjunct of a.
func implies(a, b *term) bool {
	for _, y := range conjuncts(b) {
		if !slices.ContainsFunc(conjuncts(a), y.equal) {
			return false
		}
	}
	return true
}

// contradicts: some conjunct of a and some of b cannot both hold (one negates the other,
// or they test one string for two prefixes neither of which starts the other).
func contradicts(a, b *term) bool {
	for _, x := range conjuncts(a) {
		for _, y := range conjuncts(b) {
			if tNot(x).equal(y) || tNot(y).equal(x) || prefixClash(x, y) {
				return true
			}
		}
	}
	return false
}

// prefixClash: x and y test one string, each for a prefix (x == "lit" counts as the
// prefix lit of a string that is exactly lit) or its absence, and no string passes both.
func prefixClash(x, y *term) bool {
	sx, px, nx, okx := prefixTest(x)
	sy, py, ny, oky := prefixTest(y)
	if !okx || !oky || !sx.equal(sy) {
		return false
	}
	switch {
	case !nx && !ny: // both must hold: neither prefix starts the other
		return !strings.HasPrefix(px, py) && !strings.HasPrefix(py, px)
	case !nx && ny: // x's prefix (or exact value) starts with what y excludes
		return strings.HasPrefix(px, py) && isExact(x)
	case nx && !ny:
		return strings.HasPrefix(py, px) && isExact(y)
	}
	return false
}

func isExact(t *term) bool { return t.is(operators.Equals) }

// prefixTest reads s.startsWith("p"), s == "p" and their negations.
func prefixTest(t *term) (s *term, prefix string, negated, ok bool) {
	if t.is(operators.LogicalNot) {
		s, prefix, _, ok = prefixTest(t.args[0])
		return s, prefix, true, ok && !isExact(t.args[0])
	}
	switch {
	case t.kind == tCall && t.recv != nil && t.name == "startsWith" && len(t.args) == 1 && t.args[0].kind == tLit:
		return t.recv, strings.Trim(t.args[0].lit, `"`), false, true
	case t.is(operators.Equals) && t.args[1].kind == tLit && strings.HasPrefix(t.args[1].lit, `"`):
		return t.args[0], strings.Trim(t.args[1].lit, `"`), false, true
	}
	return nil, "", false, false
}

// commonWhen is the condition every conjunct's check shares, nil when they differ.
func commonWhen(ws []*term) *term {
	for _, w := range ws {
		if w == nil || !w.equal(ws[0]) {
			return nil
		}
	}
	return ws[0]
}

func joinOr(ts []*term) *term {
	out := ts[0]
	for _, t := range ts[1:] {
		out = tOr(out, t)
	}
	return out
}

func conjuncts(t *term) []*term {
	if t.is(operators.LogicalAnd) {
		return append(conjuncts(t.args[0]), conjuncts(t.args[1])...)
	}
	return []*term{t}
}

func disjuncts(t *term) []*term {
	if t.is(operators.LogicalOr) {
		return append(disjuncts(t.args[0]), disjuncts(t.args[1])...)
	}
	return []*term{t}
}

// readsOnlyOp: the term reads op and constants, no cloud.
func readsOnlyOp(t *term) bool {
	uses := map[string]bool{}
	t.idents(uses)
	return uses["op"] && !uses["cloud"]
}

func (t *term) idents(out map[string]bool) {
	if t.kind == tIdent {
		out[t.name] = true
	}
	if t.recv != nil {
		t.recv.idents(out)
	}
	for _, a := range t.args {
		a.idents(out)
	}
}

// primaryEntity is the entity whose record decides an event's scope (SEMANTICS.md §5).
func primaryEntity(ev *tables.Event) int32 {
	if ev.Kind == tables.Associates || ev.Kind == tables.Dissociates || ev.Target.Group {
		return ev.Link.Entity
	}
	return ev.Target.Index
}

// commonScope is the nearest entity that is an ancestor-or-self of every target, so every
// critical operation's scope is known from its record; of those, the nearest that holds
// records of two or more kinds (a tenant, a domain: what an operator reads N-cp by).
func commonScope(m *tables.Model, targets []int32) (int32, error) {
	cands := append([]int32{targets[0]}, m.Entities[targets[0]].Ancestors...)
	var common []int32
	for _, s := range cands {
		ok := true
		for _, e := range targets {
			ok = ok && m.IsAncestorOrSelf(s, e)
		}
		if ok {
			common = append(common, s)
		}
	}
	for _, s := range common {
		if childKinds(m, s) >= 2 {
			return s, nil
		}
	}
	if len(common) > 0 {
		return common[0], nil
	}
	var names []string
	for _, e := range targets {
		names = append(names, m.Entities[e].Name)
	}
	slices.Sort(names)
	return -1, fmt.Errorf("no entity contains the records of every critical event (%s): no scope can be derived; write the plan by hand",
		strings.Join(slices.Compact(names), ", "))
}

func childKinds(m *tables.Model, s int32) int {
	n := 0
	for _, e := range m.Entities {
		if slices.Contains(e.Parents, s) {
			n++
		}
	}
	return n
}

// deriver holds the model's cloud view by name.
type deriver struct {
	m      *tables.Model
	fields map[string]tables.CloudField
	fresh  int
	scope  int32            // the scope entity, once known (-1 before)
	consts map[string]*term // the property's lets that are list constants
}

func cloudEntityFields(m *tables.Model) map[string]tables.CloudField {
	out := map[string]tables.CloudField{}
	for _, f := range m.CloudFields() {
		out[f.Name] = f
	}
	return out
}

// quant is one conjunct `cloud.<records>.all(v, body)`.
type quant struct {
	entity int32
	v      string
	body   *term
}

func (dv *deriver) quantified(c *term) (*quant, error) {
	if c.kind != tCall || c.recv == nil || c.name != "all" || len(c.args) != 2 || c.args[0].kind != tIdent {
		return nil, fmt.Errorf("not of the form cloud.<records>.all(x, ...)")
	}
	f, ok := dv.cloudField(c.recv)
	if !ok || f.Kind != tables.CloudRecords {
		return nil, fmt.Errorf("its range is not cloud.<records>")
	}
	q := &quant{entity: f.Entity, v: c.args[0].name, body: c.args[1]}
	if bad := dv.nonLocal(q.body); bad != nil {
		return nil, fmt.Errorf("`%s` reads more than records looked up by a key (derive handles a quantifier over records whose body looks records up by id, ranges over or counts an index by a key)", bad)
	}
	return q, nil
}

// cloudField resolves `cloud.<field>`.
func (dv *deriver) cloudField(t *term) (tables.CloudField, bool) {
	if t.kind != tSelect || t.recv.kind != tIdent || t.recv.name != "cloud" {
		return tables.CloudField{}, false
	}
	f, ok := dv.fields[t.name]
	return f, ok
}

// nonLocal finds a read of the cloud other than a lookup by key: a record by id followed
// by a field, or an id's membership.
func (dv *deriver) nonLocal(t *term) *term {
	switch {
	case t.kind == tSelect && t.recv.is(operators.Index):
		if f, ok := dv.cloudField(t.recv.args[0]); ok && f.Kind == tables.CloudByID {
			return dv.nonLocal(t.recv.args[1])
		}
	case t.is(operators.In):
		if f, ok := dv.cloudField(t.args[1]); ok && f.Kind == tables.CloudIDs {
			return dv.nonLocal(t.args[0])
		}
	case dv.indexQuantifier(t) != nil:
		if b := dv.nonLocal(t.recv.args[1]); b != nil {
			return b
		}
		return dv.nonLocal(t.args[1])
	case sizeOfIndex(t) != nil:
		if f, ok := dv.cloudField(sizeOfIndex(t).args[0]); ok && f.Kind == tables.CloudIndex {
			return dv.nonLocal(sizeOfIndex(t).args[1])
		}
	case t.kind == tIdent && t.name == "cloud", t.kind == tSelect && t.recv.kind == tIdent && t.recv.name == "cloud":
		return t
	}
	if t.recv != nil {
		if b := dv.nonLocal(t.recv); b != nil {
			return b
		}
	}
	for _, a := range t.args {
		if b := dv.nonLocal(a); b != nil {
			return b
		}
	}
	return nil
}

// Text is the derived plan as spec clauses, to review, edit and commit into the property.
func (d *Derived) Text(indent string) string {
	var b strings.Builder
	line := func(f string, a ...any) { fmt.Fprintf(&b, indent+f+"\n", a...) }
	line("// Derived by pvsc derive from the invariant: each critical operation is checked")
	line("// against what it changes, found by lookups and indexes.")
	for _, c := range d.Criticals {
		if c.When != "" {
			line("critical %s when `%s`", c.Event, c.When)
		} else {
			line("critical %s", c.Event)
		}
	}
	line("// Nothing to keep ready: every decision is lookups on the context. The watchlist")
	line("// gives the scope whose N-cp is tracked.")
	line("watchlist derived[%s] of string", d.Scope)
	for _, c := range d.Criticals {
		line("allow on %s if `%s`", c.Event, c.pretty(indent+"    "))
	}
	if r := d.Rare(); len(r) > 0 {
		line("rare %s", strings.Join(r, ", "))
	}
	return b.String()
}
