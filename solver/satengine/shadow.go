package satengine

import (
	"fmt"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// Shadow decides, beside the proactive engine and on its very context, every critical
// operation again by intercept-and-check, and reports where the two disagree: the
// end-to-end evidence that the verdicts the proxy gave are the invariant's.
type Shadow struct {
	spec     *tables.Spec
	concerns [][][]concern // per model, per event: the properties it is critical for
}

// NewShadow compiles the baseline of every property of spec.
func NewShadow(spec *tables.Spec) (*Shadow, error) {
	e := &Engine{spec: spec}
	if err := e.compile(spec.Properties); err != nil {
		return nil, err
	}
	return &Shadow{spec: spec, concerns: e.concerns}, nil
}

// Check decides op by SAT on eng's context and compares each property's verdict with
// d's. A check the proactive engine answered by its fail mode (context in doubt, scope
// unknown, a required parameter missing) is not compared: the invariant does not decide
// it, and neither is one whose invariant is already false before the operation (a known
// finding the node was started with): intercept-and-check then denies every critical
// operation, whatever it changes. It returns how many properties were compared and a
// line per disagreement.
func (s *Shadow) Check(eng *runtime.Engine, op *runtime.Op, d *runtime.Decision) (compared int, mismatches []string) {
	cs := s.concerns[op.Model][op.Event]
	if len(cs) == 0 {
		return 0, nil
	}
	got := map[string]runtime.Check{}
	for i := 0; i < d.Len(); i++ {
		ch := d.At(i)
		got[s.spec.Properties[ch.Property].Name] = *ch
	}
	eng.ReadState(op.Model, func(st *state.Store) {
		src, sop := Source{st: st}, solverOp(st, &op.Op)
		for _, c := range cs {
			ch, ok := got[c.prop.Name]
			if !ok || ch.Why == runtime.WhyInDoubt || ch.Why == runtime.WhyScopeUnknown || ch.Why == runtime.WhyMissing {
				continue
			}
			bd, err := c.bl.Decide(src, sop)
			if err == nil && runtime.Verdict(bd.Verdict) != ch.Verdict {
				if holds, _, herr := c.bl.Holds(src); herr == nil && !holds {
					continue // already false before the operation (an accepted finding): the invariant judges no change
				}
			}
			compared++
			switch {
			case err != nil:
				mismatches = append(mismatches, fmt.Sprintf("%s on %s: the SAT engine failed: %v", c.prop.Name, eng.Format(op), err))
			case runtime.Verdict(bd.Verdict) != ch.Verdict:
				mismatches = append(mismatches, fmt.Sprintf("%s on %s: proactive %s, SAT %s (%s)", c.prop.Name, eng.Format(op), ch.Verdict, runtime.Verdict(bd.Verdict), bd.Reason))
			}
		}
	})
	return compared, mismatches
}
