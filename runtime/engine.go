package runtime

import (
	"fmt"
	"sync"
	"sync/atomic"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Options set how an engine enforces.
type Options struct {
	// DryRun reports every verdict but blocks nothing.
	DryRun bool
	// Timing measures the time spent in each phase (Stats().Phases); it costs
	// a few clock reads per operation, so proxies leave it off.
	Timing bool
	// Cloud selects the operation blocks (`operations <cloud> for ...`) that
	// map real operations and snapshots; "" uses every block.
	Cloud string
	// Properties, when set, runs only these properties of the spec.
	Properties []string
	// FailOpen names properties whose critical operations are allowed while the context is in
	// doubt (missed events, a scope with no watchlist); every other property fails closed.
	FailOpen []string
	// ContextOnly keeps the cloud context and no property at all: for an engine
	// that decides by other means (the SAT baseline) and only needs the state.
	ContextOnly bool
	// Audit prepares every property's invariant for Engine.Audit (and keeps the indexes
	// its quantifiers run over).
	Audit bool
}

// Engine is the proactive verifier of one compiled spec. It is safe for concurrent use (see the package comment for the locking).
type Engine struct {
	spec   *tables.Spec
	opt    Options
	models []*modelRT
	props  []*propRT

	guards guards // API resources the rows model, and the properties guarding each

	mu sync.RWMutex
	w  *world
	// wctx is the context of whoever holds the write lock; readers take one from ctxs.
	wctx  *Ctx
	ctxs  sync.Pool
	stats counters
	rare  []*rareCounter
	// changes moves with every applied operation and loaded context (Engine.Changes).
	changes atomic.Int64
}

// modelRT is what the engine derives once from one model and its properties.
type modelRT struct {
	idx      int32
	m        *tables.Model
	env      *celenv.Env
	props    []*propRT   // properties on this model, in spec order
	concerns [][]concern // per event: the properties it concerns
	where    []*expr     // per event: the where guard, nil if none
	rows     []rowRT     // Event-operation rows of the selected clouds
	lits     *litTable
	events   map[string]int32
	rank     []int               // per entity: precedence depth (roots 0)
	required []uint64            // per event: bit i, parameter i is required
	indexes  []tables.CloudField // the cloud.<plural>_by_<field> indexes expressions read
	rare     [][]*rareCounter    // per event: the properties that declare it rare
	rowIdx   rowIndex            // the rows by method or key
}

// concern is one property an event matters to, with the event's kind for it.
type concern struct {
	p    *propRT
	kind tables.Kind
	crit int16 // index in Criticals when kind is CE
}

// propRT is one property prepared for running.
type propRT struct {
	idx   int32 // in Spec.Properties
	local int   // in modelRT.props
	t     *tables.Property
	model *modelRT
	when  []*expr // per critical; nil when unconditional
	allow []*expr // per critical
	inits []initRT
	// updates[event] are the watchlist rules that event triggers.
	updates    [][]updateRT
	pair       bool
	globalBits uint32 // facts counted cloud-wide
	scopeName  string
	rareInit   *rareCounter // the init may scan: its runs are counted
	// ruleText and whenText are each critical's allow rule and condition on one line, for reasons.
	ruleText, whenText []string
	lets               []letVal
	audit              *anode // the invariant taken apart, with Options.Audit
}

type initRT struct {
	entity int32
	x      *expr
}

type updateRT struct {
	op      tables.UpdateOp
	x, forX *expr
}

// New builds an engine for a compiled spec. envs[i] is the CEL environment of
// spec.Models[i]; when envs is nil they are declared from the models (the
// path for generated tables). Every CEL expression is compiled here, once.
func New(spec *tables.Spec, envs []*celenv.Env, opt Options) (*Engine, error) {
	spec, err := selectProperties(spec, opt.Properties, opt.ContextOnly)
	if err != nil {
		return nil, err
	}
	if spec, err = withFailOpen(spec, opt.FailOpen); err != nil {
		return nil, err
	}
	e := &Engine{spec: spec, opt: opt, wctx: new(Ctx)}
	e.ctxs.New = func() any { return new(Ctx) }
	for i, m := range spec.Models {
		var env *celenv.Env
		if i < len(envs) && envs[i] != nil {
			env = envs[i]
		} else {
			var err error
			if env, err = celenv.New(m); err != nil {
				return nil, err
			}
		}
		mr, err := e.prepareModel(int32(i), m, env)
		if err != nil {
			return nil, err
		}
		e.models = append(e.models, mr)
	}
	for i, p := range spec.Properties {
		pr, err := e.prepareProperty(int32(i), p)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", p.Name, err)
		}
		e.props = append(e.props, pr)
	}
	e.guards = e.buildGuards()
	e.prepareRare()
	e.w = e.newWorld()
	e.w.initWatchlists(e)
	return e, nil
}

func (e *Engine) prepareModel(idx int32, m *tables.Model, env *celenv.Env) (*modelRT, error) {
	mr := &modelRT{idx: idx, m: m, env: env, lits: &litTable{index: map[string]int32{}}, events: map[string]int32{}}
	mr.concerns = make([][]concern, len(m.Events))
	mr.where = make([]*expr, len(m.Events))
	mr.required = make([]uint64, len(m.Events))
	for i := range m.Events {
		for j, p := range m.Events[i].Params {
			if p.Required {
				mr.required[i] |= 1 << uint(j)
			}
		}
	}
	for i := range m.Events {
		ev := &m.Events[i]
		mr.events[ev.Name] = int32(i)
		if ev.Where != nil {
			x, err := compileExpr(mr, ev.Where, exprOpts{boolean: true})
			if err != nil {
				return nil, fmt.Errorf("event %s: where: %w", ev.Name, err)
			}
			mr.where[i] = x
		}
	}
	mr.rank = precedenceRanks(m)
	for _, c := range e.spec.Clouds {
		if c.Model != idx || (e.opt.Cloud != "" && c.Name != e.opt.Cloud) {
			continue
		}
		for i := range c.Rows {
			r, err := prepareRow(mr, c, &c.Rows[i])
			if err != nil {
				return nil, fmt.Errorf("operations %s: %w", c.Name, err)
			}
			mr.rows = append(mr.rows, r)
		}
	}
	mr.indexRows()
	return mr, nil
}

func (e *Engine) prepareProperty(idx int32, p *tables.Property) (*propRT, error) {
	mr := e.models[p.Model]
	pr := &propRT{idx: idx, local: len(mr.props), t: p, model: mr, pair: p.Watchlist.Elem.Pair}
	for _, cr := range p.Criticals {
		rule, when := "", ""
		if cr.Allow != nil {
			rule = oneLine(cr.Allow.Src)
		}
		if cr.When != nil {
			when = oneLine(cr.When.Src)
		}
		pr.ruleText, pr.whenText = append(pr.ruleText, rule), append(pr.whenText, when)
	}
	mr.props = append(mr.props, pr)
	if p.Scope >= 0 {
		pr.scopeName = mr.m.Entities[p.Scope].Name
	}
	for i, f := range p.Facts {
		if !f.Local {
			pr.globalBits |= 1 << uint(i)
		}
	}
	lets, err := evalLets(mr, p)
	if err != nil {
		return nil, err
	}
	pr.lets = lets
	if e.opt.Audit {
		if pr.audit, err = compileAudit(mr, p, lets); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	opts := exprOpts{wl: p.Watchlist.Elem, lets: lets}
	test := opts
	test.boolean = true
	crit := map[int32]int16{}
	for i := range p.Criticals {
		c := &p.Criticals[i]
		crit[c.Event] = int16(i)
		var when, allow *expr
		if c.When != nil {
			if when, err = compileExpr(mr, c.When, test); err != nil {
				return nil, fmt.Errorf("critical %s: when: %w", mr.m.Events[c.Event].Name, err)
			}
		}
		if allow, err = compileExpr(mr, c.Allow, test); err != nil {
			return nil, fmt.Errorf("critical %s: allow: %w", mr.m.Events[c.Event].Name, err)
		}
		pr.when = append(pr.when, when)
		pr.allow = append(pr.allow, allow)
	}
	for _, in := range p.Watchlist.Inits {
		o := opts
		o.boolean = in.Entity >= 0
		x, err := compileExpr(mr, in.Expr, o)
		if err != nil {
			return nil, fmt.Errorf("watchlist %s: init: %w", p.Watchlist.Name, err)
		}
		pr.inits = append(pr.inits, initRT{entity: in.Entity, x: x})
	}
	pr.updates = make([][]updateRT, len(mr.m.Events))
	for _, u := range p.Watchlist.Updates {
		ur := updateRT{op: u.Op}
		if u.Expr != nil {
			if ur.x, err = compileExpr(mr, u.Expr, opts); err != nil {
				return nil, fmt.Errorf("watchlist %s: rule on %s: %w", p.Watchlist.Name, mr.m.Events[u.Event].Name, err)
			}
		}
		if u.For != nil {
			if ur.forX, err = compileExpr(mr, u.For, opts); err != nil {
				return nil, fmt.Errorf("watchlist %s: rule on %s: for: %w", p.Watchlist.Name, mr.m.Events[u.Event].Name, err)
			}
		}
		pr.updates[u.Event] = append(pr.updates[u.Event], ur)
	}
	for ev, k := range p.EventKinds {
		if k == tables.None {
			continue
		}
		c := concern{p: pr, kind: k, crit: -1}
		if k == tables.CE {
			i, ok := crit[int32(ev)]
			if !ok {
				return nil, fmt.Errorf("event %s is critical but has no critical clause", mr.m.Events[ev].Name)
			}
			c.crit = i
		}
		mr.concerns[ev] = append(mr.concerns[ev], c)
	}
	return pr, nil
}

// selectProperties is the spec restricted to the named properties (all when none is named).
func selectProperties(spec *tables.Spec, names []string, none bool) (*tables.Spec, error) {
	if none {
		out := *spec
		out.Properties = nil
		return &out, nil
	}
	if len(names) == 0 {
		return spec, nil
	}
	out := *spec
	out.Properties = nil
	for _, n := range names {
		p := spec.Property(n)
		if p == nil {
			return nil, fmt.Errorf("spec %s has no property %q", spec.Name, n)
		}
		out.Properties = append(out.Properties, p)
	}
	return &out, nil
}

// withFailOpen copies the spec with the named properties failing open when in doubt.
func withFailOpen(spec *tables.Spec, names []string) (*tables.Spec, error) {
	if len(names) == 0 {
		return spec, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		if spec.Property(n) == nil {
			return nil, fmt.Errorf("spec %s has no property %q", spec.Name, n)
		}
		want[n] = true
	}
	out := *spec
	out.Properties = nil
	for _, p := range spec.Properties {
		q := *p
		q.FailOpen = q.FailOpen || want[p.Name]
		out.Properties = append(out.Properties, &q)
	}
	return &out, nil
}

// precedenceRanks gives every entity its depth in the precedence order: an entity comes after all its parents.
func precedenceRanks(m *tables.Model) []int {
	rank := make([]int, len(m.Entities))
	for i := range rank {
		rank[i] = -1
	}
	var depth func(e int32, seen int) int
	depth = func(e int32, seen int) int {
		if rank[e] >= 0 || seen > len(m.Entities) {
			return max(rank[e], 0)
		}
		d := 0
		for _, p := range m.Entities[e].Parents {
			if p != e {
				d = max(d, depth(p, seen+1)+1)
			}
		}
		rank[e] = d
		return d
	}
	for i := range m.Entities {
		depth(int32(i), 0)
	}
	return rank
}

// Spec is the compiled spec the engine runs.
func (e *Engine) Spec() *tables.Spec { return e.spec }

// Options are the engine's options.
func (e *Engine) Options() Options { return e.opt }

// SetDryRun switches dry-run mode: verdicts are reported, nothing is blocked.
func (e *Engine) SetDryRun(on bool) {
	e.mu.Lock()
	e.opt.DryRun = on
	e.mu.Unlock()
}

func (e *Engine) ctx() *Ctx { return e.ctxs.Get().(*Ctx) }

func (e *Engine) release(c *Ctx) {
	c.reset()
	e.ctxs.Put(c)
}

// property finds a property by name.
func (e *Engine) property(name string) (*propRT, error) {
	for _, p := range e.props {
		if p.t.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no property %q", name)
}

// sym is a state.Sym alias for brevity in signatures.
type sym = state.Sym
