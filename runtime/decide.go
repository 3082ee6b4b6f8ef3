package runtime

import (
	"time"

	"errors"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// Op is one operation bound to a model: its event and parameter values,
// interned in the context it was bound in. Bind ops with the engine's
// Neutral, Match or NewOp, and decide them before the next snapshot load.
type Op struct {
	state.Op
	Model int32
	w     *world
}

// ErrStale is the error of an operation bound before the context was replaced by a snapshot load.
var ErrStale = errors.New("operation was bound before the last snapshot load; decode it again")

// Verdict is what a property says of an operation.
type Verdict uint8

// Verdicts, weakest first.
const (
	Pass  Verdict = iota // not critical: observed and passed on
	Allow                // critical, and the allow rule holds
	Log                  // critical, not allowed, enforcement log
	Alert                // critical, not allowed, enforcement alert
	Deny                 // critical, not allowed, enforcement deny
)

var verdictNames = [...]string{Pass: "pass", Allow: "allow", Log: "log", Alert: "alert", Deny: "deny"}

func (v Verdict) String() string { return verdictNames[v] }

// Why says how a verdict was reached; the reason text is built from it lazily.
type Why uint8

// Reasons.
const (
	WhyObserved     Why = iota // a trigger or watchlist event
	WhyNotCritical             // a critical event whose `when` is false here
	WhyAllowed                 // the allow rule holds
	WhyRule                    // the allow rule is false
	WhyScopeUnknown            // the operation's scope is not in the context: fail mode
	WhyInDoubt                 // the context is in doubt: fail mode
	WhyError                   // the allow rule could not be evaluated: enforcement
	WhyMissing                 // a required parameter is absent: fail mode
)

// Check is the verdict of one property on one operation.
type Check struct {
	Property int32 // index in Spec.Properties
	Kind     tables.Kind
	Verdict  Verdict
	Why      Why
	SlowPath bool   // the scope had no watchlist: it was built from the context first
	Missing  uint64 // WhyMissing: bit i, required parameter i was absent
	Critical int16  // index in the property's Criticals, -1 unless Kind is CE
	NCP      int32  // N-cp of the scope before the operation; 0 unreachable, -1 scope unknown
	Scope    state.Sym
	// Looked says the rule looked Elem up in the watchlist; Found is what it found.
	Looked, Found bool
	Elem          [2]state.Sym
}

// maxInline is how many property checks a Decision holds without allocating.
const maxInline = 8

// Decision is the answer for one operation: a check per property it concerns.
type Decision struct {
	Model, Event int32
	// Blocked is set when some property denies and the engine is not in dry-run.
	Blocked bool
	// Applied is set when the operation changed the context.
	Applied bool
	// Err is set when the operation is malformed (refused, nothing changed) or could not be evaluated.
	Err    error
	n      int
	inline [maxInline]Check
	more   []Check
	eng    *Engine
	mw     *modelWorld
}

// Len is the number of properties the operation concerns.
func (d *Decision) Len() int { return d.n }

// At is the check of the i-th property concerned.
func (d *Decision) At(i int) *Check {
	if i < maxInline {
		return &d.inline[i]
	}
	return &d.more[i-maxInline]
}

func (d *Decision) add() *Check {
	d.n++
	if d.n <= maxInline {
		return &d.inline[d.n-1]
	}
	d.more = append(d.more, Check{})
	return &d.more[len(d.more)-1]
}

// Verdict is the strongest verdict of the decision.
func (d *Decision) Verdict() Verdict {
	v := Pass
	for i := 0; i < d.n; i++ {
		v = max(v, d.At(i).Verdict)
	}
	return v
}

// Decide decides an operation without changing the context: what a proxy asks before it forwards a request. Deciders run in parallel.
func (e *Engine) Decide(op *Op) Decision {
	if rare := e.rareOf(op); rare != nil {
		defer countRare(rare, time.Now())
	}
	var d Decision
	var pw *propWorld
	var s sym
	c := e.ctx()
	e.mu.RLock()
	if e.current(op, &d) {
		pw, s = e.decide(c, op, &d, true)
	}
	e.mu.RUnlock()
	e.release(c)
	if pw != nil {
		e.keepWatchlist(d.mw, pw, s)
	}
	return d
}

// keepWatchlist stores the watchlist a slow-path decision built, if the scope still has none.
func (e *Engine) keepWatchlist(mw *modelWorld, pw *propWorld, s sym) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.w.models[mw.rt.idx] != mw {
		return // a snapshot replaced the context meanwhile
	}
	if _, ok := pw.get(s); ok {
		return
	}
	c := e.wctx
	defer c.reset()
	c.bind(mw, nil)
	c.intern = true
	if n := pw.n(mw.st, s); pw.below(n) && mw.st.Exists(pw.rt.t.Scope, s) {
		pw.put(s, c.rebuild(pw, s, n))
		e.stats.rebuilds.Add(1)
	}
}

// Apply observes an operation that happened (a notification): it reports the
// verdicts it would have had, and applies it to the context whatever they are.
func (e *Engine) Apply(op *Op) Decision { return e.decideAndApply(op, false) }

// Process decides an operation and applies it unless it is blocked: the replay of an operation stream.
func (e *Engine) Process(op *Op) Decision { return e.decideAndApply(op, true) }

// decideAndApply decides op and applies it to the context unless enforce is
// set and the verdict blocks it (what happened is applied whatever it should have been).
func (e *Engine) decideAndApply(op *Op, enforce bool) Decision {
	if rare := e.rareOf(op); rare != nil {
		defer countRare(rare, time.Now())
	}
	var d Decision
	e.mu.Lock()
	if e.current(op, &d) {
		c := e.wctx
		e.decide(c, op, &d, false)
		c.reset()
		if !enforce && d.Err == nil {
			d.Blocked = false
		}
		if d.Err == nil && !d.Blocked {
			e.apply(c, op, &d)
			c.reset()
			e.changes.Add(1)
		}
	}
	e.mu.Unlock()
	return d
}

// Changes counts the operations applied and the contexts loaded so far: a continuous
// audit re-evaluates the invariants only when it moved.
func (e *Engine) Changes() int64 { return e.changes.Load() }

func (e *Engine) current(op *Op, d *Decision) bool {
	d.eng, d.Model, d.Event = e, op.Model, op.Event
	if op.w != e.w {
		d.Err = ErrStale
		return false
	}
	d.mw = e.w.models[op.Model]
	return true
}

// decide fills d (SEMANTICS.md §6, critical path) with c, a fresh context;
// shared says only the read lock is held. It returns a scope whose watchlist
// the slow path built and that should be kept.
func (e *Engine) decide(c *Ctx, op *Op, d *Decision, shared bool) (*propWorld, sym) {
	mw := d.mw
	c.bind(mw, &op.Op)
	c.intern = !shared
	c.timing(e.opt.Timing, phNStep)
	if x := mw.rt.where[op.Event]; x != nil && !c.test(x) {
		d.Err = e.whereError(mw.rt, op.Event, c.err)
		e.stats.malformed.Add(1)
		return nil, 0
	}
	var sc scopeCache
	for _, cn := range mw.rt.concerns[op.Event] {
		ch := d.add()
		*ch = Check{Property: cn.p.idx, Kind: cn.kind, Critical: cn.crit}
		pw := mw.props[cn.p.local]
		ch.Scope = sc.of(mw.st, &op.Op, cn.p.t)
		if cn.kind == tables.CE {
			c.phase(phDetect)
			e.critical(c, pw, cn, ch, shared)
			c.phase(phNStep)
			if c.err != nil && d.Err == nil {
				d.Err = c.err
			}
		} else {
			ch.NCP = pw.stored(mw.st, ch.Scope)
		}
		if ch.Verdict == Deny && !e.opt.DryRun {
			d.Blocked = true
		}
	}
	e.stopClock(c)
	return c.pending, c.pendingScope
}

// stored is the N-cp kept with the scope's watchlist, or computed when it has none.
func (pw *propWorld) stored(st *state.Store, s sym) int32 {
	if l, ok := pw.get(s); ok {
		return int32(l.n)
	}
	return pw.ncp(st, s)
}

// storedOrUnknown is stored, but -1 for an unknown scope as ncp says.
func (pw *propWorld) storedOrUnknown(st *state.Store, s sym) int32 {
	if s == 0 {
		return -1
	}
	return pw.stored(st, s)
}

func (pw *propWorld) ncp(st *state.Store, s sym) int32 {
	if s == 0 {
		return -1
	}
	return pw.n(st, s)
}

// critical decides one critical event for one property.
func (e *Engine) critical(c *Ctx, pw *propWorld, cn concern, ch *Check, shared bool) {
	p, s := cn.p, ch.Scope
	c.scope, c.hasWL, c.looked, c.found, c.err, c.missed = s, false, false, false, nil, false
	if x := p.when[cn.crit]; x != nil && !c.test(x) {
		ch.Verdict, ch.Why, ch.NCP = Pass, WhyNotCritical, pw.storedOrUnknown(c.st, s)
		return
	}
	allow := p.allow[cn.crit]
	switch {
	case c.mw.rt.missing(c.op) != 0:
		ch.NCP, ch.Missing = pw.ncp(c.st, s), c.mw.rt.missing(c.op)
		failMode(ch, p.t, WhyMissing)
		return
	case s == 0 && (allow.vars.Watchlist || allow.vars.Scope >= 0):
		ch.NCP = -1
		failMode(ch, p.t, WhyScopeUnknown)
		return
	case c.mw.doubt(pw, s):
		ch.NCP = pw.ncp(c.st, s)
		failMode(ch, p.t, WhyInDoubt)
		return
	}
	if allow.vars.Watchlist && s != 0 {
		e.watchlistFor(c, pw, ch, shared)
	} else {
		ch.NCP = pw.ncp(c.st, s)
	}
	ok := c.test(allow)
	ch.Looked, ch.Found, ch.Elem = c.looked, c.found, [2]sym{c.lookA, c.lookB}
	switch {
	case c.err != nil:
		ch.Verdict, ch.Why = enforcement(p.t), WhyError
	case ok:
		ch.Verdict, ch.Why = Allow, WhyAllowed
	default:
		ch.Verdict, ch.Why = enforcement(p.t), WhyRule
	}
}

// watchlistFor puts the scope's watchlist in the context, building it first when the scope has none (the slow path).
func (e *Engine) watchlistFor(c *Ctx, pw *propWorld, ch *Check, shared bool) {
	s := ch.Scope
	if l, ok := pw.get(s); ok {
		c.wl, c.hasWL, ch.NCP = l, true, int32(l.n)
		return
	}
	n := pw.n(c.st, s)
	ch.NCP, ch.SlowPath = n, true
	e.stats.slowPaths.Add(1)
	c.phase(phWatchlist)
	c.wl, c.hasWL = c.rebuild(pw, s, n), true
	switch {
	case !pw.below(n) || c.missed || !c.st.Exists(pw.rt.t.Scope, s):
		// Kept only for a scope that exists and is at or below N-th (SEMANTICS.md §6).
	case shared:
		// Readers do not write watchlists: Decide keeps it under the write lock afterwards.
		if c.pending == nil {
			c.pending, c.pendingScope = pw, s
		}
	default:
		pw.put(s, c.wl)
		e.stats.rebuilds.Add(1)
	}
	c.phase(phDetect)
}

func enforcement(p *tables.Property) Verdict {
	switch p.Enforce {
	case tables.Alert:
		return Alert
	case tables.Log:
		return Log
	}
	return Deny
}

func failMode(ch *Check, p *tables.Property, why Why) {
	ch.Why = why
	if p.FailOpen {
		ch.Verdict = Allow
		return
	}
	ch.Verdict = enforcement(p)
}

// doubt reports whether a scope's context (or the whole context) is in doubt.
func (mw *modelWorld) doubt(pw *propWorld, s sym) bool {
	return mw.inDoubt || (len(pw.doubt) > 0 && pw.doubt[s])
}

// scopeCache resolves each (scope, scope-by) pair once per operation.
type scopeCache struct {
	n    int
	keys [4][2]int32
	syms [4]sym
}

func (sc *scopeCache) of(st *state.Store, op *state.Op, p *tables.Property) sym {
	if p.Scope < 0 {
		return 0
	}
	k := [2]int32{p.Scope, p.ScopeBy}
	for i := 0; i < sc.n; i++ {
		if sc.keys[i] == k {
			return sc.syms[i]
		}
	}
	s := st.ScopeOf(op, p.Scope, p.ScopeBy)
	if sc.n < len(sc.keys) {
		sc.keys[sc.n], sc.syms[sc.n] = k, s
		sc.n++
	}
	return s
}
