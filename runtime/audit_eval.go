package runtime

import (
	"cmp"
	"errors"
	"fmt"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/interpreter"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables/celenv"
)

// Violation is one record (with the records it conflicts with) for which a
// property's invariant is false in the context as it stands.
type Violation struct {
	Property string `json:"property"`
	// Scope is the property's scope (e.g. the tenant) the first record belongs to, if any.
	Scope string `json:"scope,omitempty"`
	// Records: the record the invariant's outer quantifier is false for, then the ones an
	// inner quantifier is false for (the other VM on the host, the conflicting grant).
	Records []ViolationRecord `json:"records"`
	// Rule is the part of the invariant that is false for the first record.
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
	// Error: the invariant could not be evaluated for this record (counted as a violation:
	// an audit fails closed).
	Error string `json:"error,omitempty"`
}

// ViolationRecord is one record a violation involves, with the attributes the rule reads.
type ViolationRecord struct {
	Entity string            `json:"entity"`
	ID     string            `json:"id"`
	Attrs  map[string]string `json:"attrs,omitempty"`
	shown  map[string]string // the attributes as the reason prints them (strings quoted)
}

// AuditStats is what an audit did.
type AuditStats struct {
	Properties int           `json:"properties"`
	Records    int           `json:"records"` // records the outer quantifiers visited
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// ErrNoAudit is returned by Audit on an engine built without Options.Audit.
var ErrNoAudit = errors.New("the engine was built without Options.Audit")

// maxWitnesses bounds the inner records one violation lists.
const maxWitnesses = 8

// Audit evaluates every property's invariant on the context and lists every violation,
// sorted by property and record. It holds the read lock: decisions go on meanwhile.
func (e *Engine) Audit() ([]Violation, AuditStats, error) {
	if !e.opt.Audit {
		return nil, AuditStats{}, ErrNoAudit
	}
	t0 := time.Now()
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []Violation
	var st AuditStats
	for _, pr := range e.props {
		if pr.audit == nil {
			continue
		}
		st.Properties++
		mw := e.w.models[pr.model.idx]
		vs, n := auditProperty(pr, mw)
		out = append(out, vs...)
		st.Records += n
	}
	slices.SortFunc(out, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Property, b.Property), cmp.Compare(a.Scope, b.Scope), slices.CompareFunc(a.Records, b.Records,
			func(x, y ViolationRecord) int {
				return cmp.Or(cmp.Compare(x.Entity, y.Entity), cmp.Compare(x.ID, y.ID))
			}))
	})
	st.Elapsed = time.Since(t0)
	return out, st, nil
}

// auditProperty audits each conjunct of one invariant.
func auditProperty(pr *propRT, mw *modelWorld) ([]Violation, int) {
	clauses := []*anode{pr.audit}
	if pr.audit.kind == aAnd {
		clauses = pr.audit.kids
	}
	var out []Violation
	visited := 0
	for _, cl := range clauses {
		a := &auditAct{mw: mw, lets: pr.lets}
		if cl.kind != aAll {
			if ok, err := a.holds(cl); !ok || err != nil {
				out = append(out, a.violation(pr, cl, nil, nil, err))
			}
			continue
		}
		elems, err := a.elems(cl)
		if err != nil {
			out = append(out, a.violation(pr, cl, nil, nil, err))
			continue
		}
		visited += len(elems)
		out = append(out, auditParallel(pr, mw, cl, elems)...)
	}
	return out, visited
}

// auditParallel runs the outer quantifier's body over its records on every core.
func auditParallel(pr *propRT, mw *modelWorld, cl *anode, elems []ref.Val) []Violation {
	workers := min(goruntime.GOMAXPROCS(0), max(1, len(elems)/1024))
	parts := make([][]Violation, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			a := &auditAct{mw: mw, lets: pr.lets}
			for i := w; i < len(elems); i += workers {
				a.push(cl.v, elems[i])
				ok, err := a.holds(cl.body)
				if !ok || err != nil {
					parts[w] = append(parts[w], a.violation(pr, cl, elems[i], a.witnesses(cl.body), err))
				}
				a.pop()
			}
		})
	}
	wg.Wait()
	return slices.Concat(parts...)
}

// auditAct is the CEL activation of an audit: the cloud, the property's lets and the
// iteration variables bound so far.
type auditAct struct {
	mw    *modelWorld
	lets  []letVal
	names []string
	vals  []ref.Val
}

func (a *auditAct) ResolveName(name string) (any, bool) {
	for i := len(a.names) - 1; i >= 0; i-- {
		if a.names[i] == name {
			return a.vals[i], true
		}
	}
	if name == celenv.VarCloud {
		return a.mw.view.Cloud(), true
	}
	for _, l := range a.lets {
		if l.name == name {
			return l.val, true
		}
	}
	return nil, false
}

func (a *auditAct) Parent() interpreter.Activation { return nil }

func (a *auditAct) push(name string, v ref.Val) {
	a.names, a.vals = append(a.names, name), append(a.vals, v)
}

func (a *auditAct) pop() {
	a.names, a.vals = a.names[:len(a.names)-1], a.vals[:len(a.vals)-1]
}

// holds evaluates a tree as CEL would (an error is absorbed by a deciding operand).
func (a *auditAct) holds(n *anode) (bool, error) {
	switch n.kind {
	case aAnd, aOr:
		decides := n.kind == aOr // true decides a disjunction, false a conjunction
		var err error
		for _, k := range n.kids {
			ok, kerr := a.holds(k)
			if kerr != nil {
				err = cmp.Or(err, kerr)
				continue
			}
			if ok == decides {
				return decides, nil
			}
		}
		return !decides, err
	case aAll:
		elems, err := a.elems(n)
		if err != nil {
			return false, err
		}
		var ferr error
		for _, x := range elems {
			a.push(n.v, x)
			ok, err := a.holds(n.body)
			a.pop()
			if err != nil {
				ferr = cmp.Or(ferr, err)
			} else if !ok {
				return false, nil
			}
		}
		return true, ferr
	}
	v, _, err := n.prg.Eval(a)
	if err != nil {
		return false, fmt.Errorf("`%s`: %w", n.src, err)
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("`%s` is %s, not a bool", n.src, v.Type().TypeName())
	}
	return bool(b), nil
}

// elems evaluates a quantifier's range: the smallest of its narrowings, else every record.
func (a *auditAct) elems(n *anode) ([]ref.Val, error) {
	var l traits.Lister
	best := int64(-1)
	for _, nw := range n.narrow {
		if nw.keys != nil && best >= 0 {
			if kv, _, err := nw.keys.Eval(a); err != nil || size(kv) >= best {
				continue // gathering these keys' records costs more than the range in hand
			}
		}
		v, _, err := nw.prg.Eval(a)
		if err != nil {
			continue // a narrowing that cannot be evaluated here is not used
		}
		if nl, ok := v.(traits.Lister); ok {
			if size := int64(nl.Size().(types.Int)); best < 0 || size < best {
				l, best = nl, size
			}
		}
	}
	if l == nil {
		v, _, err := n.prg.Eval(a)
		if err != nil {
			return nil, err
		}
		var ok bool
		if l, ok = v.(traits.Lister); !ok {
			return nil, fmt.Errorf("the range of `%s` is %s, not a list", n.v, v.Type().TypeName())
		}
	}
	var out []ref.Val
	for it := l.Iterator(); it.HasNext() == types.True; {
		out = append(out, it.Next())
	}
	return out, nil
}

func size(v ref.Val) int64 {
	if l, ok := v.(traits.Sizer); ok {
		if n, ok := l.Size().(types.Int); ok {
			return int64(n)
		}
	}
	return -1
}

// witness is an inner record a violation involves.
type witness struct {
	n *anode
	v ref.Val
}

// witnesses finds, in a body that is false, the inner quantifiers that are false and the
// records they are false for.
func (a *auditAct) witnesses(n *anode) []witness {
	var out []witness
	var walk func(n *anode)
	walk = func(n *anode) {
		if len(out) >= maxWitnesses {
			return
		}
		switch n.kind {
		case aAnd, aOr:
			for _, k := range n.kids {
				if ok, err := a.holds(k); !ok && err == nil {
					walk(k)
				}
			}
		case aAll:
			elems, _ := a.elems(n)
			for _, x := range elems {
				a.push(n.v, x)
				if ok, err := a.holds(n.body); !ok && err == nil && len(out) < maxWitnesses {
					out = append(out, witness{n, x})
				}
				a.pop()
			}
		}
	}
	walk(n)
	return out
}

// violation builds the report of one failing record.
func (a *auditAct) violation(pr *propRT, cl *anode, x ref.Val, ws []witness, err error) Violation {
	v := Violation{Property: pr.t.Name, Rule: cl.src}
	var sb strings.Builder
	sb.WriteString(pr.t.Name)
	sb.WriteString(": ")
	if x != nil {
		r := a.record(cl, x)
		v.Records = append(v.Records, r)
		v.Scope = a.scopeOf(pr, x)
		fmt.Fprintf(&sb, "%s %s breaks the invariant: `%s` is false", r.Entity, describe(r), cl.src)
	} else {
		fmt.Fprintf(&sb, "the invariant `%s` is false", cl.src)
	}
	for _, w := range ws {
		r := a.record(w.n, w.v)
		v.Records = append(v.Records, r)
		fmt.Fprintf(&sb, "; with %s %s", r.Entity, describe(r))
	}
	if err != nil {
		v.Error = err.Error()
		fmt.Fprintf(&sb, "; cannot be evaluated (%v): counted as a violation", err)
	}
	v.Reason = sb.String()
	return v
}

func describe(r ViolationRecord) string {
	if len(r.shown) == 0 {
		return fmt.Sprintf("%q", r.ID)
	}
	keys := make([]string, 0, len(r.shown))
	for k := range r.shown {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %s", k, r.shown[k])
	}
	return fmt.Sprintf("%q (%s)", r.ID, strings.Join(parts, ", "))
}

// record names a quantified value: a record with the attributes the rule reads, or a value.
func (a *auditAct) record(n *anode, x ref.Val) ViolationRecord {
	e, row, ok := state.RecordOf(x)
	if !ok || row < 0 {
		return ViolationRecord{Entity: n.v, ID: fmtVal(x)}
	}
	m := a.mw.rt.m
	st := a.mw.st
	r := ViolationRecord{Entity: m.Entities[e].Name, ID: st.Names.String(st.ID(e, row))}
	names := m.FieldNames(e)
	for _, f := range n.fields {
		if r.Attrs == nil {
			r.Attrs, r.shown = map[string]string{}, map[string]string{}
		}
		v := a.mw.view.Value(m.FieldType(e, f), st.Field(e, row, f))
		r.shown[names[f]] = fmtVal(v)
		r.Attrs[names[f]] = fmt.Sprint(v.Value())
		if l, ok := v.(traits.Lister); ok {
			r.Attrs[names[f]] = fmtVal(l)
		}
	}
	return r
}

// scopeOf is the property's scope the record belongs to ("" when it has none).
func (a *auditAct) scopeOf(pr *propRT, x ref.Val) string {
	e, row, ok := state.RecordOf(x)
	if !ok || row < 0 || pr.t.Scope < 0 {
		return ""
	}
	st := a.mw.st
	if e == pr.t.Scope {
		return st.Names.String(st.ID(e, row))
	}
	if !pr.model.m.IsAncestorOrSelf(pr.t.Scope, e) {
		return ""
	}
	return st.Names.String(st.Ancestor(e, row, pr.t.Scope))
}

func fmtVal(v ref.Val) string {
	switch x := v.(type) {
	case types.String:
		return fmt.Sprintf("%q", string(x))
	case traits.Lister:
		var parts []string
		for it := x.Iterator(); it.HasNext() == types.True; {
			parts = append(parts, fmtVal(it.Next()))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v.Value())
}
