package benchrun

import (
	"encoding/json"
	"fmt"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/tables"
)

// critOp is one critical operation the engines are timed on.
type critOp struct {
	line     cloudgen.Line
	data     []byte // the neutral JSON form, as an interceptor receives it
	expected runtime.Verdict
	verdicts map[string]string // per engine
}

func newCritOp(l cloudgen.Line, expected runtime.Verdict) (critOp, error) {
	data, err := json.Marshal(l)
	return critOp{line: l, data: data, expected: expected}, err
}

// generated reports whether the stream generator makes critical operations
// for the property, allowed or denied on request; other properties take theirs
// from a mixed stream (sampled).
func generated(prop string) bool {
	return prop == cloudgen.NoBypass || prop == cloudgen.CommonOwnership
}

// criticalOps makes n critical operations for the property, alternately
// allowed and denied, each on the pristine cloud (a fresh stream per operation).
func criticalOps(c *cloudgen.OpenStack, seed uint64, prop string, n int) ([]critOp, error) {
	var out []critOp
	for j := 0; len(out) < n && j < 20*n; j++ {
		s, err := c.NewStream(seed+uint64(j), cloudgen.StreamConfig{Properties: []string{prop}})
		if err != nil {
			return nil, err
		}
		violate := len(out)%2 == 1
		l, ok := s.Critical(prop, violate)
		if !ok {
			continue
		}
		want := runtime.Allow
		if l.Violates {
			want = runtime.Deny
		}
		op, err := newCritOp(l, want)
		if err != nil {
			return nil, err
		}
		out = append(out, op)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the cloud has nothing to make a critical operation of %s from", prop)
	}
	return out, nil
}

// sampledOps finds n critical operations of the property in a mixed stream,
// as the proactive engine classifies them; their expected verdict is its own
// (for properties the generator has no critical operations of).
func sampledOps(e *runtime.Engine, c *cloudgen.OpenStack, seed uint64, prop string, n int) ([]critOp, error) {
	s, err := c.NewStream(seed, cloudgen.StreamConfig{Properties: []string{}})
	if err != nil {
		return nil, err
	}
	in := intercept.New(e)
	var out []critOp
	for tries := 0; len(out) < n && tries < 500*n; tries++ {
		l := s.Next()
		op, err := newCritOp(l, 0)
		if err != nil {
			return nil, err
		}
		bound, err := bind(in, op.data, e.Spec(), prop)
		if err != nil {
			continue
		}
		d := e.Decide(&bound)
		ch, ok := check(e.Spec(), &d, prop)
		if !ok || d.Err != nil || ch.Kind != tables.CE || ch.Verdict == runtime.Pass || failMode(ch.Why) {
			continue
		}
		op.expected = ch.Verdict
		out = append(out, op)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no critical operation of %s in %d operations of a mixed stream", prop, 500*n)
	}
	return out, nil
}

// bind intercepts a neutral operation and returns the operation of the property's model.
func bind(in *intercept.Interceptor, data []byte, spec *tables.Spec, prop string) (runtime.Op, error) {
	ops, err := in.Neutral(data)
	if err != nil {
		return runtime.Op{}, err
	}
	return pick(ops, spec, prop)
}

func pick(ops []runtime.Op, spec *tables.Spec, prop string) (runtime.Op, error) {
	p := spec.Property(prop)
	if p == nil {
		return runtime.Op{}, fmt.Errorf("spec %s has no property %s", spec.Name, prop)
	}
	for _, op := range ops {
		if op.Model == p.Model {
			return op, nil
		}
	}
	return runtime.Op{}, fmt.Errorf("the operation is not an event of model %s", spec.Models[p.Model].Name)
}

// check is the property's check in a decision.
func check(spec *tables.Spec, d *runtime.Decision, prop string) (*runtime.Check, bool) {
	for i := range d.Len() {
		ch := d.At(i)
		if spec.Properties[ch.Property].Name == prop {
			return ch, true
		}
	}
	return nil, false
}

// verdictOf is the property's verdict in a decision, pass when it does not concern it.
func verdictOf(spec *tables.Spec, d *runtime.Decision, prop string) runtime.Verdict {
	if ch, ok := check(spec, d, prop); ok {
		return ch.Verdict
	}
	return runtime.Pass
}

// failMode says a verdict came from the fail mode (the stream named a record the pristine cloud
// does not have yet, or left out a required parameter): the SAT baseline has no fail mode, so
// such an operation measures nothing comparable.
func failMode(w runtime.Why) bool {
	return w == runtime.WhyScopeUnknown || w == runtime.WhyMissing || w == runtime.WhyInDoubt
}
