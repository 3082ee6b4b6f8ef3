package benchrun

import (
	"fmt"
	goruntime "runtime"
	"time"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/solver"
	"pvsc.dev/pvsc/solver/satengine"
	"pvsc.dev/pvsc/specs/openstack"
	"pvsc.dev/pvsc/tables"
)

// loadSAT builds the SAT baseline engine of the properties and loads the snapshot into its context store.
func loadSAT(props []string, snap string) (*satengine.Engine, time.Duration, error) {
	se, err := satengine.New(openstack.Spec, nil, runtime.Options{Properties: props})
	if err != nil {
		return nil, 0, err
	}
	t := time.Now()
	if _, err := se.LoadSnapshotFile(snap); err != nil {
		return nil, 0, err
	}
	return se, time.Since(t), nil
}

// measureSAT times the SAT intercept-and-check baseline on the property's
// critical operations: satengine.Decide (the instances the operation can
// change, Repeat times each) and, when configured, the full baseline that
// grounds every instance of the invariant over the collected cloud state
// (each operation once, within SATBudget).
func (r *runner) measureSAT(se *satengine.Engine, prop string, ops []critOp) ([]EngineResult, error) {
	inc := EngineResult{Engine: SATIncremental}
	var is samples
	goruntime.GC()
	for i := range ops {
		o := &ops[i]
		op, err := se.Runtime().NewOp(o.line.Op, o.line.Params)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.line.Op, err)
		}
		var v runtime.Verdict
		for k := range r.cfg.Warmup + r.cfg.Repeat {
			t := time.Now()
			d := se.Decide(&op)
			el := time.Since(t)
			if d.Err != nil {
				return nil, fmt.Errorf("sat %s: %w", o.line.Op, d.Err)
			}
			v = satVerdict(d, prop)
			if k >= r.cfg.Warmup {
				is.add(el, o.expected == runtime.Deny)
			}
		}
		o.verdict(SATIncremental, v.String())
		tally(&inc, v, o.expected)
	}
	inc.Timings = is.timings()
	out := []EngineResult{inc}
	if !r.cfg.SATFull {
		return append(out, EngineResult{Engine: SATFull, Skipped: "not asked for"}), nil
	}
	full, err := r.measureSATFull(se, prop, ops)
	if err != nil {
		return nil, err
	}
	return append(out, full), nil
}

func satVerdict(d satengine.Decision, prop string) runtime.Verdict {
	for _, c := range d.Checks {
		if c.Property == prop {
			return c.Verdict
		}
	}
	return runtime.Pass
}

// measureSATFull is intercept-and-check as the paper ran it: at each critical
// operation, collect the cloud state the invariant ranges over (every record,
// read from the context store), encode state, effect and invariant as CNF and
// solve. satengine keeps its baselines' Full switch private, so the harness
// builds its own over the same store (see BENCHMARKS.md).
func (r *runner) measureSATFull(se *satengine.Engine, prop string, ops []critOp) (EngineResult, error) {
	res := EngineResult{Engine: SATFull}
	p := openstack.Spec.Property(prop)
	bl, err := solver.NewBaseline(openstack.Spec, p)
	if err != nil {
		return res, err
	}
	bl.Full = true
	m := openstack.Spec.Models[p.Model]
	var fs samples
	start := time.Now()
	for i := range ops {
		if i >= 2 && time.Since(start) > r.cfg.SATBudget {
			break
		}
		o := &ops[i]
		sop, err := solverOp(m, o.line.Op, o.line.Params)
		if err != nil {
			return res, err
		}
		goruntime.GC()
		var d solver.Decision
		t := time.Now()
		se.Runtime().ReadState(p.Model, func(st *state.Store) {
			d, err = bl.Decide(satengine.NewSource(st), sop)
		})
		el := time.Since(t)
		if err != nil {
			return res, fmt.Errorf("sat %s: %w", o.line.Op, err)
		}
		fs.add(el, o.expected == runtime.Deny)
		v := runtime.Verdict(d.Verdict)
		o.verdict(SATFull, v.String())
		tally(&res, v, o.expected)
	}
	res.Timings = fs.timings()
	return res, nil
}

// solverOp is a neutral operation as the solver takes it: parameters by index, absent ones left absent.
func solverOp(m *tables.Model, event string, params map[string]any) (solver.Op, error) {
	ev := m.EventIndex(event)
	if ev < 0 {
		return solver.Op{}, fmt.Errorf("model %s has no event %s", m.Name, event)
	}
	op := solver.Op{Event: ev, Params: make([]solver.Value, len(m.Events[ev].Params))}
	for i, p := range m.Events[ev].Params {
		x, ok := params[p.Name]
		if !ok {
			continue
		}
		v, err := solverValue(x)
		if err != nil {
			return op, fmt.Errorf("%s parameter %s: %w", event, p.Name, err)
		}
		op.Params[i] = v
	}
	return op, nil
}

func solverValue(x any) (solver.Value, error) {
	switch v := x.(type) {
	case string:
		return solver.Str(v), nil
	case bool:
		return solver.Bool(v), nil
	case int:
		return solver.Int(int64(v)), nil
	case float64:
		return solver.Int(int64(v)), nil
	case []string:
		var out []solver.Value
		for _, s := range v {
			out = append(out, solver.Str(s))
		}
		return solver.List(out...), nil
	case []any:
		var out []solver.Value
		for _, e := range v {
			ev, err := solverValue(e)
			if err != nil {
				return solver.Value{}, err
			}
			out = append(out, ev)
		}
		return solver.List(out...), nil
	}
	return solver.Value{}, fmt.Errorf("unsupported value %T", x)
}
