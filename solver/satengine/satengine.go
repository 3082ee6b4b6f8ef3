// Package satengine runs the SAT intercept-and-check baseline as an engine: the cloud state is the runtime's context store, every critical operation is decided by the solver's baseline.
package satengine

import (
	"errors"
	"fmt"
	"time"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/replay"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/solver"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Engine decides critical operations by intercept-and-check: for each, it
// collects the records the invariant reads from the cloud state, encodes
// state, effect and invariant as CNF and solves. It keeps the cloud state
// with a context-only runtime engine, so both engines read the same data.
type Engine struct {
	ctx      *runtime.Engine
	spec     *tables.Spec
	concerns [][][]concern // per model, per event: the properties it is critical for
	all      []concern     // every selected property
	dryRun   bool
	// Checking is the total time spent deciding critical operations (collection, encoding, solving).
	Checking time.Duration
	// Decisions counts critical decisions.
	Decisions int
}

type concern struct {
	prop *tables.Property
	bl   *solver.Baseline
}

// Check is the baseline's verdict for one property on one operation.
type Check struct {
	Property string
	Verdict  runtime.Verdict
	Reason   string
	// Vars and Clauses are the size of the SAT problem that decided it.
	Vars, Clauses int
}

// Decision is the baseline's answer for one operation.
type Decision struct {
	Checks  []Check
	Blocked bool
	Applied bool
	Err     error
}

// Verdict is the strongest verdict of the decision.
func (d Decision) Verdict() runtime.Verdict {
	v := runtime.Pass
	for _, c := range d.Checks {
		v = max(v, c.Verdict)
	}
	return v
}

// New builds the baseline engine of a spec; opt.Properties selects properties, opt.DryRun blocks nothing.
func New(spec *tables.Spec, envs []*celenv.Env, opt runtime.Options) (*Engine, error) {
	ctxOpt := opt
	ctxOpt.ContextOnly, ctxOpt.Properties, ctxOpt.Timing = true, nil, false
	ctx, err := runtime.New(spec, envs, ctxOpt)
	if err != nil {
		return nil, err
	}
	e := &Engine{ctx: ctx, spec: spec, dryRun: opt.DryRun}
	props, err := selected(spec, opt.Properties)
	if err != nil {
		return nil, err
	}
	return e, e.compile(props)
}

func selected(spec *tables.Spec, names []string) ([]*tables.Property, error) {
	if len(names) == 0 {
		return spec.Properties, nil
	}
	var out []*tables.Property
	for _, n := range names {
		p := spec.Property(n)
		if p == nil {
			return nil, fmt.Errorf("spec %s has no property %q", spec.Name, n)
		}
		out = append(out, p)
	}
	return out, nil
}

func (e *Engine) compile(props []*tables.Property) error {
	e.concerns = make([][][]concern, len(e.spec.Models))
	for mi, m := range e.spec.Models {
		e.concerns[mi] = make([][]concern, len(m.Events))
	}
	for _, p := range props {
		bl, err := solver.NewBaseline(e.spec, p)
		if err != nil {
			return fmt.Errorf("baseline for %s: %w", p.Name, err)
		}
		e.all = append(e.all, concern{prop: p, bl: bl})
		for ev, k := range p.EventKinds {
			if k == tables.CE {
				e.concerns[p.Model][ev] = append(e.concerns[p.Model][ev], concern{prop: p, bl: bl})
			}
		}
	}
	return nil
}

// Runtime is the context-only engine that keeps the cloud state: interceptors bind operations with it.
func (e *Engine) Runtime() *runtime.Engine { return e.ctx }

// LoadSnapshotFile initialises the cloud state from a snapshot.
func (e *Engine) LoadSnapshotFile(path string) (runtime.LoadStats, error) {
	return e.ctx.LoadSnapshotFile(path)
}

// Decide decides op against the current state without changing it.
func (e *Engine) Decide(op *runtime.Op) Decision {
	var d Decision
	cs := e.concerns[op.Model][op.Event]
	if len(cs) == 0 {
		return d
	}
	start := time.Now()
	e.ctx.ReadState(op.Model, func(st *state.Store) {
		src := Source{st: st}
		sop := solverOp(st, &op.Op)
		for _, c := range cs {
			d.Checks = append(d.Checks, e.check(c, src, sop, &d))
		}
	})
	e.Checking += time.Since(start)
	e.Decisions++
	d.Blocked = !e.dryRun && d.Verdict() == runtime.Deny
	return d
}

func (e *Engine) check(c concern, src Source, op solver.Op, d *Decision) Check {
	bd, err := c.bl.Decide(src, op)
	if err != nil {
		d.Err = errors.Join(d.Err, fmt.Errorf("%s: %w", c.prop.Name, err))
		return Check{Property: c.prop.Name, Verdict: enforcement(c.prop), Reason: err.Error()}
	}
	return Check{Property: c.prop.Name, Verdict: runtime.Verdict(bd.Verdict), Reason: bd.Reason, Vars: bd.Vars, Clauses: bd.Clauses}
}

func enforcement(p *tables.Property) runtime.Verdict {
	switch p.Enforce {
	case tables.Alert:
		return runtime.Alert
	case tables.Log:
		return runtime.Log
	}
	return runtime.Deny
}

// Violations evaluates every property's invariant on the current state, in
// full: the properties whose invariant is false, each with the part that breaks it.
func (e *Engine) Violations() (map[string]string, error) {
	out := map[string]string{}
	var errs error
	for _, c := range e.all {
		e.ctx.ReadState(c.prop.Model, func(st *state.Store) {
			ok, why, err := c.bl.Holds(Source{st: st})
			switch {
			case err != nil:
				errs = errors.Join(errs, fmt.Errorf("%s: %w", c.prop.Name, err))
			case !ok:
				out[c.prop.Name] = why
			}
		})
	}
	return out, errs
}

// Process decides op and, unless it is blocked, applies it to the cloud state.
func (e *Engine) Process(op *runtime.Op) Decision {
	d := e.Decide(op)
	if d.Blocked {
		return d
	}
	ad := e.ctx.Apply(op)
	d.Applied = ad.Applied
	if ad.Err != nil {
		d.Err = errors.Join(d.Err, ad.Err)
	}
	return d
}

// Processor is the intercept-and-check engine as replay's Processor: each check's reason names
// the size of the SAT problem that decided it.
func (e *Engine) Processor() replay.Processor { return processor{e} }

type processor struct{ e *Engine }

func (p processor) Process(op *runtime.Op) replay.Outcome { return p.outcome(op, p.e.Process(op)) }

func (p processor) outcome(op *runtime.Op, d Decision) replay.Outcome {
	out := replay.Outcome{Op: p.e.Runtime().Spec().Models[op.Model].Events[op.Event].Name, Verdict: d.Verdict(), Blocked: d.Blocked, Err: d.Err}
	for _, c := range d.Checks {
		out.Checks = append(out.Checks, runtime.CheckRecord{Property: c.Property, Kind: "CE", Verdict: c.Verdict.String(),
			Reason: fmt.Sprintf("%s (SAT: %d variables, %d clauses)", c.Reason, c.Vars, c.Clauses)})
	}
	return out
}

// Fact decides a notification by SAT too (to report a violation), then applies it whatever the verdict.
func (p processor) Fact(op *runtime.Op) replay.Outcome {
	d := p.e.Decide(op)
	ad := p.e.Runtime().Apply(op)
	out := p.outcome(op, d)
	out.Blocked = false
	if ad.Err != nil {
		out.Err = errors.Join(out.Err, ad.Err)
	}
	return out
}

func (p processor) Phases() map[string]time.Duration {
	return map[string]time.Duration{"intercept-and-check": p.e.Checking}
}
