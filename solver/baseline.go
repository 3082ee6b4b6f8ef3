package solver

import (
	"fmt"
	"sort"
	"sync"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/symcel"
	"pvsc.dev/pvsc/solver/world"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Verdict is what a property says of an operation, ordered as the runtime's verdicts.
type Verdict uint8

// Verdicts, weakest first.
const (
	Pass  Verdict = iota // not critical
	Allow                // critical, and the invariant holds after it
	Log                  // critical, the invariant would break, enforcement log
	Alert                // … enforcement alert
	Deny                 // … enforcement deny
)

func (v Verdict) String() string { return [...]string{"pass", "allow", "log", "alert", "deny"}[v] }

// Decision is the baseline's answer for one property on one operation.
type Decision struct {
	Property string
	Verdict  Verdict
	Reason   string
	// Checked is how many invariant instances were encoded; Vars and Clauses the size of the SAT problem.
	Checked, Vars, Clauses int
}

// Op is one operation: its event and its parameters by index (Kind 0: absent).
type Op struct {
	Event  int32
	Params []Value
}

// Baseline is the intercept-and-check verifier of one property: it decides a
// critical operation by encoding the records it touches, its effect and the
// invariant on the state it would produce as CNF, and asking gini whether the
// invariant can be false there.
type Baseline struct {
	// Full grounds every instance of the invariant. By default only the
	// instances the operation can change are (the others held before it:
	// every earlier operation was checked), which is what makes
	// intercept-and-check affordable at all on a large cloud.
	Full bool
	// ancestors: the invariant or a critical's guards read an ancestor field,
	// so the records above the touched ones must be encoded too.
	ancestors bool
	// SolveQueries answers each query with a full gini Solve instead of unit propagation.
	SolveQueries bool
	pr           *property
	// runs are reused: building a circuit and a gini solver costs more than a
	// small decision. Tseitin clauses only define fresh variables, so they
	// stay valid from one decision to the next; a decision is its assumptions.
	runs sync.Pool
}

// maxReuse bounds how big a reused circuit may grow before it is replaced.
const maxReuse = 1 << 18

// NewBaseline compiles a property for the baseline.
func NewBaseline(spec *tables.Spec, p *tables.Property) (*Baseline, error) {
	pr, err := compileProperty(spec, p)
	if err != nil {
		return nil, err
	}
	bl := &Baseline{pr: pr}
	progs := []*symcel.Program{pr.inv}
	for _, cr := range pr.crits {
		progs = append(progs, cr.when, pr.where[cr.ev])
	}
	for _, prog := range progs {
		for _, e := range pr.m.Entities {
			bl.ancestors = bl.ancestors || prog != nil && prog.Fields[e.Name]
		}
	}
	return bl, nil
}

// Decide decides one operation against the cloud state src.
func (bl *Baseline) Decide(src Source, op Op) (Decision, error) {
	d := Decision{Property: bl.pr.p.Name}
	cr := bl.critical(op.Event)
	if cr == nil {
		d.Reason = "not a critical event of " + bl.pr.p.Name
		return d, nil
	}
	c := bl.encode(src, op)
	defer bl.runs.Put(c.r)
	crit, err := c.critical(cr)
	if err != nil || !crit {
		d.Reason = "critical " + bl.pr.m.Events[op.Event].Name + ": its `when` does not hold"
		return d, err
	}
	return c.decide(d)
}

func (bl *Baseline) critical(ev int32) *critical {
	for i := range bl.pr.crits {
		if bl.pr.crits[i].ev == ev {
			return &bl.pr.crits[i]
		}
	}
	return nil
}

// check is one decision's encoding.
type check struct {
	bl     *Baseline
	b      *sym.B
	w      *world.World
	src    Source
	op     *world.Op
	ev     int32
	pre    *world.State
	assume []sym.Lit
	r      *run
	// clauses0 and vars0 are the reused run's size before this decision.
	clauses0, vars0 int
}

func (bl *Baseline) encode(src Source, op Op) *check {
	ids := bl.collect(src, op)
	r, _ := bl.runs.Get().(*run)
	if r == nil || r.b.Len() > maxReuse {
		r = newRun(sym.NewSized(sym.NewDom(), 1<<12))
	}
	b := r.b
	w := world.New(b, bl.pr.m, world.Config{Count: counts(ids), IDs: ids, Events: []int32{op.Event}, Strings: bl.pr.comp.Strings, Ints: bl.pr.comp.Ints, Names: bl.pr.names})
	w.Where = bl.pr.where
	c := &check{bl: bl, b: b, w: w, src: src, ev: op.Event, r: r, clauses0: r.clauses, vars0: b.Len()}
	c.pre = w.StateOf(c.given)
	c.op = c.encodeOp(op)
	return c
}

func counts(ids [][]string) []int {
	out := make([]int, len(ids))
	for e := range ids {
		out[e] = len(ids[e])
	}
	return out
}

// collect lists the records the operation touches and those their parents
// name, transitively: the slots whose state the encoding carries.
func (bl *Baseline) collect(src Source, op Op) [][]string {
	m := bl.pr.m
	seen := make([]map[string]bool, len(m.Entities))
	for i := range seen {
		seen[i] = map[string]bool{}
	}
	var add func(e int32, id string)
	add = func(e int32, id string) {
		if id == "" || seen[e][id] {
			return
		}
		seen[e][id] = true
		if r, ok := src.Record(e, id); ok && bl.follow(op) {
			for k, p := range m.Entities[e].Parents {
				add(p, r.Parent(k))
			}
		}
	}
	ev := &m.Events[op.Event]
	param := func(i int32) string {
		if i < 0 || int(i) >= len(op.Params) {
			return ""
		}
		return op.Params[i].Str
	}
	target := ev.Target.Index
	if ev.Kind == tables.Associates || ev.Kind == tables.Dissociates {
		target = ev.Link.Entity
		add(ev.Other, param(ev.OtherKey))
	}
	add(target, param(ev.Key))
	for k, pk := range ev.ParentKeys {
		pe := target
		if ev.Kind == tables.Associates {
			pe = ev.Other
		}
		add(m.Entities[pe].Parents[k], param(pk))
	}
	out := make([][]string, len(m.Entities))
	for e := range seen {
		for id := range seen[e] {
			out[e] = append(out[e], id)
		}
		sort.Strings(out[e])
	}
	return out
}

// follow: the parents of the touched records matter when an expression reads
// an ancestor field, or when an association may create its B side under the
// link member's ancestors.
func (bl *Baseline) follow(op Op) bool {
	return bl.ancestors || bl.pr.m.Events[op.Event].Kind == tables.Associates
}

// given is a collected record's state before the operation: constants read from the Source.
func (c *check) given(e int32, i int) world.Given {
	b := c.b
	ent := &c.w.M.Entities[e]
	g := world.Given{Exists: b.F, Ever: b.F, Parents: make([]sym.Scalar, len(ent.Parents)), Anc: make([]sym.Scalar, len(ent.Ancestors)), Attrs: make([]sym.Val, len(ent.Attrs))}
	r, ok := c.src.Record(e, b.Dom.Str(c.w.IDs[e][i]))
	for k := range ent.Parents {
		g.Parents[k] = b.Const(0)
		if ok {
			g.Parents[k] = b.Const(b.Dom.Key(r.Parent(k)))
		}
	}
	for k := range ent.Ancestors {
		g.Anc[k] = b.Const(0)
		if ok {
			g.Anc[k] = b.Const(b.Dom.Key(r.Ancestor(k)))
		}
	}
	for a, at := range ent.Attrs {
		g.Attrs[a] = c.w.Zero(at.Type)
		if ok {
			g.Attrs[a] = constVal(b, r.Attr(a), at.Type)
		}
	}
	if ok {
		g.Exists, g.Ever = b.T, b.T
	}
	return g
}

// encodeOp makes the operation's event and parameters solver variables, fixed by assumptions.
func (c *check) encodeOp(op Op) *world.Op {
	b, m := c.b, c.w.M
	out := &world.Op{Sel: make([]sym.Lit, len(m.Events)), Params: make([][]sym.Val, len(m.Events)), Has: make([][]sym.Lit, len(m.Events))}
	for ev := range m.Events {
		out.Sel[ev] = b.F
	}
	out.Sel[op.Event] = c.fixed(true)
	ev := &m.Events[op.Event]
	for i, p := range ev.Params {
		var v Value
		if i < len(op.Params) {
			v = op.Params[i]
		}
		out.Has[op.Event] = append(out.Has[op.Event], b.F)
		out.Params[op.Event] = append(out.Params[op.Event], c.w.Zero(p.Type))
		if v.Kind != 0 {
			out.Has[op.Event][i] = c.fixed(true)
			out.Params[op.Event][i] = c.param(v, p.Type)
		}
	}
	return out
}

// fixed is a fresh variable the solver is told has value v.
func (c *check) fixed(v bool) sym.Lit {
	l := c.b.Lit()
	if v {
		c.assume = append(c.assume, l)
	} else {
		c.assume = append(c.assume, l.Not())
	}
	return l
}

func (c *check) param(v Value, t tables.Type) sym.Val {
	b := c.b
	switch t.Kind {
	case tables.TBool:
		return sym.Bool(c.fixed(v.Bool))
	case tables.TInt, tables.TEnum:
		return sym.Int(sym.Scalar{{Key: v.Int, L: c.fixed(true)}})
	case tables.TList:
		l := constList(b, v, t).L
		var keys []int64
		var ls []sym.Lit
		for _, e := range l.Elems() {
			keys, ls = append(keys, e.V.S[0].Key), append(ls, c.fixed(true))
		}
		kind := sym.KStr
		if t.Elem == tables.TInt || t.Elem == tables.TEnum {
			kind = sym.KInt
		}
		return sym.ListOf(b.NewSet(kind, keys, ls))
	}
	return sym.Str(sym.Scalar{{Key: b.Dom.Key(v.Str), L: c.fixed(true)}})
}

func (c *check) env(o *overlay, vars map[string]sym.Val) *symcel.Env {
	return &symcel.Env{B: c.b, Names: c.w.Names, Cloud: o, Vars: vars, Lets: c.bl.pr.comp.Lets}
}

// holds asks the solver whether l must be true under the operation's assumptions.
func (c *check) holds(l sym.Lit) bool {
	sat, _ := c.test(l.Not(), nil)
	return !sat
}

// test decides "the assumptions and l" by gini's unit propagation in a test
// scope, reading the values of read while the scope is open. Every input of
// a decision's circuit is a constant or a variable the assumptions fix, so
// propagation assigns every literal the query depends on: a conflict is UNSAT,
// none is SAT. The reused solver's other clauses only define variables of
// earlier decisions and cannot conflict. SolveQueries makes it solve instead.
func (c *check) test(l sym.Lit, read []sym.Lit) (bool, []bool) {
	lits := append(append(make([]sym.Lit, 0, len(c.assume)+1), c.assume...), l)
	c.r.cnf(lits...)
	g := c.r.g
	if c.bl.SolveQueries {
		return c.solveQuery(lits, read)
	}
	g.Assume(lits...)
	res, _ := g.Test(nil)
	vals := make([]bool, len(read))
	for i, x := range read {
		vals[i] = g.Value(x)
	}
	g.Untest()
	return res != -1, vals
}

// solveQuery decides the query with a full Solve (a check of test's claim).
func (c *check) solveQuery(lits, read []sym.Lit) (bool, []bool) {
	c.r.g.Assume(lits...)
	sat := c.r.g.Solve() == 1
	vals := make([]bool, len(read))
	for i, x := range read {
		vals[i] = sat && c.r.g.Value(x)
	}
	return sat, vals
}

// critical evaluates the event's guard and the critical's `when` on the state before.
func (c *check) critical(cr *critical) (bool, error) {
	o := newOverlay(c.pre, c.src)
	vars := map[string]sym.Val{celenv.VarOp: c.pre.View(c.op, c.ev)}
	if g := c.w.Where[c.ev]; g != nil {
		ok, err := g.EvalBool(c.env(o, vars))
		if err != nil {
			return false, err
		}
		if !c.holds(ok) {
			return false, fmt.Errorf("%s: malformed: its `where` guard is false", c.w.M.Events[c.ev].Name)
		}
	}
	if cr.when == nil {
		return true, nil
	}
	when, err := cr.when.EvalBool(c.env(o, vars))
	return err == nil && c.holds(when), err
}

// decide asks whether the invariant can be false on the state the operation produces.
func (c *check) decide(d Decision) (Decision, error) {
	post := c.pre.Apply(c.op)
	o := newOverlay(post, c.src)
	parts, err := c.invariant(o, c.bl.Full)
	if err != nil {
		return d, err
	}
	var all []sym.Lit
	for _, p := range parts {
		all = append(all, p.holds)
	}
	violated := !c.holds(c.b.All(all))
	d.Checked, d.Vars, d.Clauses = len(parts), c.b.Len()-c.vars0, c.r.clauses-c.clauses0
	if !violated {
		d.Verdict, d.Reason = Allow, fmt.Sprintf("the invariant holds on the state %s would produce", c.w.M.Events[c.ev].Name)
		return d, nil
	}
	d.Verdict = enforcement(c.bl.pr.p.Enforce)
	d.Reason = fmt.Sprintf("the invariant would be false after %s: %s", c.w.M.Events[c.ev].Name, c.witness(parts))
	return d, nil
}

// Holds evaluates the whole invariant on the state src, every instance
// grounded: whether it holds, and when it does not, the first part that breaks.
func (bl *Baseline) Holds(src Source) (bool, string, error) {
	r, _ := bl.runs.Get().(*run)
	if r == nil || r.b.Len() > maxReuse {
		r = newRun(sym.NewSized(sym.NewDom(), 1<<12))
	}
	defer bl.runs.Put(r)
	ids := make([][]string, len(bl.pr.m.Entities))
	w := world.New(r.b, bl.pr.m, world.Config{Count: counts(ids), IDs: ids, Names: bl.pr.names})
	c := &check{bl: bl, b: r.b, w: w, src: src, ev: -1, r: r, clauses0: r.clauses, vars0: r.b.Len()}
	c.pre = w.StateOf(c.given)
	parts, err := c.invariant(newOverlay(c.pre, src), true)
	if err != nil {
		return false, "", err
	}
	if c.holds(c.b.All(partLits(parts))) {
		return true, "", nil
	}
	return false, c.witness(parts), nil
}

func enforcement(e tables.Enforcement) Verdict {
	switch e {
	case tables.Alert:
		return Alert
	case tables.Log:
		return Log
	}
	return Deny
}

// part is one encoded piece of the invariant: a conjunct, or one instance
// of a quantifier (over a record of entity e with id key id; e is -1 otherwise).
type part struct {
	holds sym.Lit
	conj  *symcel.Program
	e     int32
	id    int64
}

func (c *check) what(p part) string {
	if p.e < 0 {
		return "`" + p.conj.Src + "`"
	}
	return fmt.Sprintf("%s %s breaks `%s`", c.w.M.Entities[p.e].Name, c.b.Dom.Str(p.id), p.conj.Src)
}

// witness names the first part the violation makes false.
func (c *check) witness(parts []part) string {
	lits := partLits(parts)
	_, vals := c.test(c.b.All(lits).Not(), lits)
	for i, p := range parts {
		if !vals[i] {
			return c.what(p)
		}
	}
	return "the invariant"
}

func partLits(ps []part) []sym.Lit {
	out := make([]sym.Lit, len(ps))
	for i, p := range ps {
		out[i] = p.holds
	}
	return out
}

// invariant encodes the invariant's conjuncts on the state after; a
// quantifier whose instances depend only on their own record is encoded for
// the records the operation touched alone, unless the baseline is Full.
func (c *check) invariant(o *overlay, full bool) ([]part, error) {
	var out []part
	for _, conj := range c.bl.pr.inv.Conjuncts() {
		plural, v, body, ok := conj.Quantifier()
		e, _, _ := c.w.Names.CloudEntity(plural)
		if ok && !full {
			if ps, handled, err := c.pairwise(o, conj, e, plural, v, body); handled || err != nil {
				out = append(out, ps...)
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		if ok {
			records := o.touchedRecords(e)
			if full || !c.local(body, e) {
				records = o.Records(e).Elems()
			}
			for _, el := range records {
				slot := el.V.R.Alts[0].Slot
				holds, err := body.EvalBool(c.env(o, map[string]sym.Val{v: el.V}))
				if err != nil {
					return nil, err
				}
				out = append(out, part{holds: c.b.Implies(el.G, holds), conj: conj, e: e, id: o.idKey(e, slot)})
			}
			continue
		}
		holds, err := conj.EvalBool(c.env(o, nil))
		if err != nil {
			return nil, err
		}
		out = append(out, part{holds: holds, conj: conj, e: -1})
	}
	return out, nil
}

// local: an instance over entity e for a record the operation did not touch
// reads nothing the operation changes, so it holds after it as it did before.
// pairwise encodes `cloud.Xs.all(v, cloud.Xs.all(w, body))` whose body
// reads nothing the operation changes but v and w: the pairs of records
// neither of which the operation touched held before, so only the pairs with
// a touched record are encoded (O(n) instances instead of O(n²)).
func (c *check) pairwise(o *overlay, conj *symcel.Program, e int32, plural, v string, outer *symcel.Program) ([]part, bool, error) {
	plural2, w, body, ok := outer.Quantifier()
	if !ok || plural2 != plural || !c.local(body, -1) {
		return nil, false, nil
	}
	touched := o.touchedRecords(e)
	all := o.Records(e).Elems()
	var out []part
	add := func(a, b *sym.Elem) error {
		holds, err := body.EvalBool(c.env(o, map[string]sym.Val{v: a.V, w: b.V}))
		if err != nil {
			return err
		}
		slot := a.V.R.Alts[0].Slot
		out = append(out, part{holds: c.b.Implies(c.b.And(a.G, b.G), holds), conj: conj, e: e, id: o.idKey(e, slot)})
		return nil
	}
	for _, a := range touched {
		for _, b := range all {
			if err := add(a, b); err != nil {
				return out, true, err
			}
			if err := add(b, a); err != nil {
				return out, true, err
			}
		}
	}
	return out, true, nil
}

// local reports whether body reads no entity the operation changes (but
// through the variable bound to e's record, whose instance is encoded).
func (c *check) local(body *symcel.Program, e int32) bool {
	changed := c.changedEntities()
	for _, f := range body.CloudReads() {
		if y, _, ok := c.w.Names.CloudEntity(f); ok && changed[y] {
			return false
		}
	}
	// Ancestor fields are fixed when a record is created: a parent that appears or goes changes no other record's.
	return true
}

func (c *check) changedEntities() map[int32]bool {
	ev := &c.w.M.Events[c.ev]
	out := map[int32]bool{}
	for _, e := range touched(c.w.M, ev) {
		out[e] = true
	}
	return out
}
