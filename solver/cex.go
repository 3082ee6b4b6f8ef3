package solver

import (
	"fmt"
	"strconv"
	"strings"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/world"
	"pvsc.dev/pvsc/tables"
)

// Counterexample is a run that shows the proactive plan wrong: a snapshot and numbered operations, the last one the culprit.
type Counterexample struct {
	Kind     Kind
	Property string
	// Initial are the snapshot's records; empty when runs start from the empty cloud.
	Initial []InitRecord
	Steps   []Step
}

// InitRecord is one record of a counterexample's snapshot.
type InitRecord struct {
	Entity, ID string
	Fields     []Field // parents, then attributes with non-zero values
	Deleted    bool    // an id that was used and whose record is gone
}

// Field is a named value, rendered.
type Field struct{ Name, Value string }

// Step is one operation of a counterexample and what both sides made of it.
type Step struct {
	Event  string
	Params []Field // the parameters present
	// EventKind is the event's Model-event kind for the property: CE, WE, TE or "-".
	EventKind string
	// Scope is the operation's scope ("" when unknown) and NCp its N-cp before the operation.
	Scope string
	NCp   int32
	// Ready: the scope had a watchlist; Watchlist its elements (or the one built on the slow path).
	Ready     bool
	Watchlist []string
	Critical  bool
	// Verdict is the proactive verdict: allow, deny, alert or log for a critical operation, pass otherwise.
	Verdict string
	// Invariant is the invariant on the state the operation would produce (the intercept-and-check verdict).
	Invariant bool
}

func (pv *prover) decode(r *run, steps []*step, kind Kind) *Counterexample {
	d := &decoder{pv: pv, vs: r.model()}
	cx := &Counterexample{Kind: kind, Property: pv.p.Name}
	if !d.fromEmpty(steps[0].pre) {
		cx.Initial = d.records(steps[0].pre)
	}
	for _, s := range steps {
		cx.Steps = append(cx.Steps, d.step(s))
	}
	return cx
}

type decoder struct {
	pv *prover
	vs []bool
}

func (d *decoder) lit(l sym.Lit) bool { return d.vs[l.Var()] == l.IsPos() }

func (d *decoder) scalar(s sym.Scalar) int64 {
	for _, a := range s {
		if d.lit(a.L) {
			return a.Key
		}
	}
	return 0
}

// value renders a value of type t: ids bare, strings quoted, enums by name.
func (d *decoder) value(v sym.Val, t tables.Type) string {
	switch v.K {
	case sym.KBool:
		return strconv.FormatBool(d.lit(v.B))
	case sym.KList:
		var parts []string
		for _, e := range v.L.Elems() {
			if d.lit(e.G) {
				parts = append(parts, d.value(e.V, tables.Type{Kind: t.Elem, Ref: t.Ref}))
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	k := d.scalar(v.S)
	switch t.Kind {
	case tables.TInt:
		return strconv.FormatInt(k, 10)
	case tables.TEnum:
		return d.pv.m.Enums[t.Ref].Name + "." + d.pv.m.Enums[t.Ref].Values[k]
	case tables.TRef:
		if k != 0 {
			return d.pv.b.Dom.Str(k)
		}
	}
	return strconv.Quote(d.pv.b.Dom.Str(k))
}

func (d *decoder) isZero(v sym.Val) bool {
	switch v.K {
	case sym.KBool:
		return !d.lit(v.B)
	case sym.KList:
		for _, e := range v.L.Elems() {
			if d.lit(e.G) {
				return false
			}
		}
		return true
	}
	return d.scalar(v.S) == 0
}

func (d *decoder) records(st *world.State) []InitRecord {
	var out []InitRecord
	m := d.pv.m
	for e, ent := range m.Entities {
		for i := range st.Exists[e] {
			ex, ever := d.lit(st.Exists[e][i]), d.lit(st.Ever[e][i])
			if !ex && !ever {
				continue
			}
			r := InitRecord{Entity: ent.Name, ID: d.pv.b.Dom.Str(d.pv.w.IDs[e][i]), Deleted: !ex}
			if ex {
				r.Fields = d.fields(st, int32(e), i)
			}
			out = append(out, r)
		}
	}
	return out
}

func (d *decoder) fields(st *world.State, e int32, i int) []Field {
	ent := d.pv.m.Entities[e]
	var out []Field
	for pi, p := range ent.Parents {
		v := sym.Str(st.Parents[e][i][pi])
		out = append(out, Field{Name: d.pv.m.Entities[p].Name, Value: d.value(v, tables.Type{Kind: tables.TRef, Ref: p})})
	}
	for a, at := range ent.Attrs {
		if v := st.Attrs[e][i][a]; !d.isZero(v) {
			out = append(out, Field{Name: at.Name, Value: d.value(v, at.Type)})
		}
	}
	return out
}

func (d *decoder) step(s *step) Step {
	pv := d.pv
	ev := d.event(s.op)
	e := &pv.m.Events[ev]
	out := Step{Event: e.Name, EventKind: kindName(pv.p.EventKinds[ev]), Critical: d.lit(s.critical), Invariant: d.lit(s.invPost), Ready: d.lit(s.ready)}
	for i, p := range e.Params {
		if d.lit(s.op.Has[ev][i]) {
			out.Params = append(out.Params, Field{Name: p.Name, Value: d.value(s.op.Params[ev][i], p.Type)})
		}
	}
	if sc := d.scalar(s.scope); sc != 0 {
		out.Scope = pv.b.Dom.Str(sc)
		out.NCp = d.ncp(s, sc)
	}
	for j, k := range pv.elems {
		if d.lit(s.wlUsed[j]) {
			out.Watchlist = append(out.Watchlist, d.elem(k))
		}
	}
	out.Verdict = d.verdict(s, out.Critical)
	return out
}

func (d *decoder) event(op *world.Op) int32 {
	for ev, l := range op.Sel {
		if l != d.pv.b.F && d.lit(l) {
			return int32(ev)
		}
	}
	return -1
}

func (d *decoder) ncp(s *step, scope int64) int32 {
	for i, sc := range d.pv.scopes {
		if sc == scope {
			var mask uint32
			for bit, l := range s.cfgPre[i] {
				if d.lit(l) {
					mask |= 1 << uint(bit)
				}
			}
			return d.pv.p.N(mask)
		}
	}
	return 0
}

func (d *decoder) elem(k elemKey) string {
	dom := d.pv.b.Dom
	if k.snd < 0 {
		return dom.Str(k.fst)
	}
	return "[" + dom.Str(k.fst) + ", " + dom.Str(k.snd) + "]"
}

func (d *decoder) verdict(s *step, critical bool) string {
	switch {
	case !critical:
		return "pass"
	case d.lit(s.allow):
		return "allow"
	}
	return [...]string{tables.Deny: "deny", tables.Alert: "alert", tables.Log: "log"}[d.pv.p.Enforce]
}

func kindName(k tables.Kind) string {
	return [...]string{tables.None: "-", tables.TE: "TE", tables.WE: "WE", tables.CE: "CE"}[k]
}

// String prints the counterexample as numbered operations.
func (c *Counterexample) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "counterexample for %s: %s\n", c.Property, c.Kind)
	if len(c.Initial) > 0 {
		sb.WriteString("  snapshot:\n")
		for _, r := range c.Initial {
			fmt.Fprintf(&sb, "    %s\n", r)
		}
	} else {
		sb.WriteString("  snapshot: empty\n")
	}
	for i, s := range c.Steps {
		fmt.Fprintf(&sb, "  %d. %s\n", i+1, s)
	}
	return sb.String()
}

func (r InitRecord) String() string {
	if r.Deleted {
		return fmt.Sprintf("%s %s (deleted)", r.Entity, r.ID)
	}
	return fmt.Sprintf("%s %s %s", r.Entity, r.ID, fieldList(r.Fields))
}

func fieldList(fs []Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Name + ": " + f.Value
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func (s Step) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s%s  [%s", s.Event, fieldList(s.Params), s.EventKind)
	if s.Scope == "" {
		sb.WriteString(", scope unknown")
	} else {
		fmt.Fprintf(&sb, ", scope %s, N-cp %d", s.Scope, s.NCp)
	}
	if s.Critical {
		wl := "watchlist"
		if !s.Ready {
			wl = "no watchlist, built now"
		}
		fmt.Fprintf(&sb, ", %s {%s}", wl, strings.Join(s.Watchlist, ", "))
	}
	fmt.Fprintf(&sb, "]  proactive: %s, invariant after: %s", s.Verdict, holds(s.Invariant))
	return sb.String()
}

func holds(b bool) string {
	if b {
		return "holds"
	}
	return "violated"
}

// fromEmpty: the run started from the empty cloud (its records are constants).
func (d *decoder) fromEmpty(st *world.State) bool {
	for e := range st.Exists {
		for _, ex := range st.Exists[e] {
			if ex != d.pv.b.F {
				return false
			}
		}
	}
	return true
}
