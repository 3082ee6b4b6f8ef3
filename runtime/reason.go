package runtime

import (
	"strconv"
	"strings"

	"pvsc.dev/pvsc/tables"
)

var kindNames = [...]string{tables.None: "none", tables.TE: "TE", tables.WE: "WE", tables.CE: "CE"}

// KindName is the Model-event table's name of a kind: TE, WE or CE.
func KindName(k tables.Kind) string { return kindNames[k] }

// Reason explains the i-th check so that a person can act on it: the
// property, the rule, the watchlist and scope, and the element looked up. It
// is built only when asked for; deciding never formats anything.
func (d *Decision) Reason(i int) string {
	if d.mw == nil {
		return ""
	}
	d.eng.mu.RLock()
	defer d.eng.mu.RUnlock()
	return string(d.appendReason(nil, i))
}

// appendReason appends the i-th check's reason to b; the engine's read lock is held.
func (d *Decision) appendReason(b []byte, i int) []byte {
	ch := d.At(i)
	p := d.eng.props[ch.Property]
	r := reasoner{b: b, d: d, ch: ch, p: p.t, pr: p, m: p.model.m}
	r.text()
	return r.b
}

type reasoner struct {
	b  []byte
	d  *Decision
	ch *Check
	p  *tables.Property
	pr *propRT
	m  *tables.Model
}

func (r *reasoner) w(parts ...string) {
	for _, s := range parts {
		r.b = append(r.b, s...)
	}
}

func (r *reasoner) str(s sym) { r.b = strconv.AppendQuote(r.b, r.d.mw.st.Names.String(s)) }

func (r *reasoner) scope() {
	if r.p.Scope < 0 {
		r.w("the cloud")
		return
	}
	r.w(r.m.Entities[r.p.Scope].Name, " ")
	r.str(r.ch.Scope)
}

func (r *reasoner) text() {
	ev := r.m.Events[r.d.Event].Name
	ch := r.ch
	r.w(r.p.Name, ": ")
	switch ch.Why {
	case WhyObserved:
		r.w(ev, " is a ", kindWord(ch.Kind), " event in ")
		r.scope()
		r.ncp()
	case WhyNotCritical:
		r.w(ev, " is not critical here: `", r.pr.whenText[ch.Critical], "` is false")
	case WhyScopeUnknown:
		r.w("the ", r.m.Entities[r.p.Scope].Name, " of this ", ev, " is not in the context, so the rule cannot be checked")
		r.failMode()
	case WhyInDoubt:
		r.w("the context of ")
		r.scope()
		r.w(" is in doubt (missed events)")
		r.failMode()
	case WhyMissing:
		r.w(ev, " is critical but does not say ", r.missing(), ", so the rule cannot be checked")
		r.failMode()
	case WhyAllowed:
		r.w("allowed: rule `", r.rule(), "` holds")
		r.looked()
		r.ncp()
	case WhyRule, WhyError:
		r.w(ev, " is critical and rule `", r.rule(), "` is ")
		if ch.Why == WhyError {
			r.w("in error")
			if r.d.Err != nil {
				r.w(" (", r.d.Err.Error(), ")")
			}
		} else {
			r.w("false")
		}
		r.looked()
		r.ncp()
		r.w("; enforce ", ch.Verdict.String())
	}
	if ch.SlowPath {
		r.w(" (the watchlist was built on the spot: the scope had none)")
	}
}

func kindWord(k tables.Kind) string {
	if k == tables.WE {
		return "watchlist"
	}
	return "trigger"
}

func (r *reasoner) rule() string { return r.pr.ruleText[r.ch.Critical] }

// oneLine folds a multi-line CEL text into one line for messages.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (r *reasoner) ncp() {
	switch r.ch.NCP {
	case -1:
		return
	case 0:
		r.w(" (N-cp unreachable)")
		return
	}
	r.w(" (N-cp ")
	r.b = strconv.AppendInt(r.b, int64(r.ch.NCP), 10)
	r.w(", N-th ")
	r.b = strconv.AppendInt(r.b, int64(r.p.Threshold), 10)
	r.w(")")
}

func (r *reasoner) looked() {
	if !r.ch.Looked {
		return
	}
	r.w("; ")
	if r.p.Watchlist.Elem.Pair {
		r.w("(")
		r.str(r.ch.Elem[0])
		r.w(", ")
		r.str(r.ch.Elem[1])
		r.w(")")
	} else {
		r.str(r.ch.Elem[0])
	}
	if r.ch.Found {
		r.w(" is in watchlist ", r.p.Watchlist.Name, " of ")
	} else {
		r.w(" is not in watchlist ", r.p.Watchlist.Name, " of ")
	}
	r.scope()
}

func (r *reasoner) failMode() {
	if r.p.FailOpen {
		r.w("; fail open: allow")
		return
	}
	r.w("; fail closed: ", r.ch.Verdict.String())
}

// Record is a decision as a JSON line.
type Record struct {
	Op      string        `json:"op"`
	Verdict string        `json:"verdict"`
	Blocked bool          `json:"blocked"`
	Error   string        `json:"error,omitempty"`
	Checks  []CheckRecord `json:"checks,omitempty"`
}

// CheckRecord is one property's check as JSON.
type CheckRecord struct {
	Property  string   `json:"property"`
	Kind      string   `json:"kind"`
	NCP       *int32   `json:"n_cp"`
	Verdict   string   `json:"verdict"`
	Scope     string   `json:"scope,omitempty"`
	Watchlist string   `json:"watchlist,omitempty"`
	Element   []string `json:"element,omitempty"`
	Found     *bool    `json:"in_watchlist,omitempty"`
	SlowPath  bool     `json:"slow_path,omitempty"`
	// FailMode: the verdict is the property's fail mode (scope unknown, context in doubt, a
	// required parameter absent), not the rule's.
	FailMode bool   `json:"fail_mode,omitempty"`
	Reason   string `json:"reason"`
}

// Record renders the decision for output (this allocates; deciding does not).
func (d *Decision) Record() Record {
	r := Record{Verdict: d.Verdict().String(), Blocked: d.Blocked}
	if d.Err != nil {
		r.Error = d.Err.Error()
	}
	if d.eng == nil {
		return r
	}
	r.Op = d.eng.models[d.Model].m.Events[d.Event].Name
	if d.mw == nil {
		return r
	}
	for i := 0; i < d.n; i++ {
		r.Checks = append(r.Checks, d.checkRecord(i))
	}
	return r
}

func (d *Decision) checkRecord(i int) CheckRecord {
	ch := d.At(i)
	p := d.eng.props[ch.Property].t
	cr := CheckRecord{Property: p.Name, Kind: KindName(ch.Kind), Verdict: ch.Verdict.String(), SlowPath: ch.SlowPath, Reason: d.Reason(i),
		FailMode: ch.Why == WhyScopeUnknown || ch.Why == WhyInDoubt || ch.Why == WhyMissing}
	if ch.NCP >= 0 {
		n := ch.NCP
		cr.NCP = &n
	}
	d.eng.mu.RLock()
	names := d.mw.st.Names
	if ch.Scope != 0 {
		cr.Scope = names.String(ch.Scope)
	}
	if ch.Looked {
		found := ch.Found
		cr.Found, cr.Watchlist = &found, p.Watchlist.Name
		cr.Element = []string{names.String(ch.Elem[0])}
		if p.Watchlist.Elem.Pair {
			cr.Element = append(cr.Element, names.String(ch.Elem[1]))
		}
	}
	d.eng.mu.RUnlock()
	return cr
}

// missing names the required parameters the operation left out.
func (r *reasoner) missing() string {
	ev := &r.m.Events[r.d.Event]
	var names []string
	for i, p := range ev.Params {
		if r.ch.Missing&(1<<uint(i)) != 0 {
			names = append(names, p.Name)
		}
	}
	return strings.Join(names, ", ")
}
