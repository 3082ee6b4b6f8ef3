package difftest

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/solver/satengine"
	"pvsc.dev/pvsc/tables"
)

// pair is the proactive engine and the SAT intercept-and-check engine of one
// spec, each with its own context, fed the same operations.
type pair struct {
	spec *tables.Spec
	rt   *runtime.Engine
	sat  *satengine.Engine
}

func newPair(res *compiler.Result) (*pair, error) {
	rt, err := runtime.New(res.Spec, res.Envs, runtime.Options{})
	if err != nil {
		return nil, err
	}
	sat, err := satengine.New(res.Spec, res.Envs, runtime.Options{})
	if err != nil {
		return nil, err
	}
	return &pair{spec: res.Spec, rt: rt, sat: sat}, nil
}

// load gives both engines the snapshot.
func (p *pair) load(snapshot []byte) error {
	if _, err := p.rt.LoadSnapshot(bytes.NewReader(snapshot), "snapshot.json"); err != nil {
		return err
	}
	_, err := p.sat.Runtime().LoadSnapshot(bytes.NewReader(snapshot), "snapshot.json")
	return err
}

// Check is one property's verdict on one operation from both engines.
type Check struct {
	Property  string `json:"property"`
	Proactive string `json:"proactive"`
	SAT       string `json:"sat"`
	// ProactiveReason and SATReason say why.
	ProactiveReason string `json:"proactive_reason"`
	SATReason       string `json:"sat_reason"`
	// Excused names why a difference is allowed (SEMANTICS §7), "" when none is.
	Excused string `json:"excused,omitempty"`
}

// Differs reports a difference that is not excused.
func (c Check) Differs() bool { return c.Proactive != c.SAT && c.Excused == "" }

// outcome is what both engines made of one operation (of every model it binds to).
type outcome struct {
	Checks []Check
	// AppliedP and AppliedS say whether each engine applied it; Malformed whether the proactive engine refused it as malformed.
	AppliedP, AppliedS bool
	Malformed          bool
	Blocked            bool
	Critical           bool // critical for some property (a CE whose `when` holds)
	Violating          bool // the SAT engine denies it
	Problem            string
}

// bad is a disagreement that is not excused: a verdict, or what was applied.
func (o *outcome) bad() bool {
	if o.Problem != "" {
		return true
	}
	for _, c := range o.Checks {
		if c.Differs() {
			return true
		}
	}
	return false
}

// bind binds a neutral operation in both engines.
func (p *pair) bind(event string, params map[string]any) (rops, sops []runtime.Op, err error) {
	if rops, err = p.rt.Neutral(event, params); err != nil {
		return nil, nil, err
	}
	sops, err = p.sat.Runtime().Neutral(event, params)
	if err == nil && len(rops) != len(sops) {
		err = fmt.Errorf("%s binds to %d models in one engine and %d in the other", event, len(rops), len(sops))
	}
	return rops, sops, err
}

// classify asks the SAT engine, without applying anything, whether the
// operation is critical for some property and whether it would be denied.
func (p *pair) classify(sops []runtime.Op, property string) (critical, violating bool) {
	for i := range sops {
		d := p.sat.Decide(&sops[i])
		for _, c := range d.Checks {
			if property != "" && c.Property != property {
				continue
			}
			critical = critical || c.Verdict != runtime.Pass
			violating = violating || c.Verdict == runtime.Deny
		}
	}
	return critical, violating
}

// step processes one operation in both engines and compares what they did.
// A difference is excused, as SEMANTICS §7 says, when the proactive engine
// answered by the fail mode (the operation's scope is unknown, or it leaves out a
// required parameter) or the
// operation acts on a record that does not exist (it changes nothing);
// the SAT engine then applies the operation exactly when the proactive one
// did, so that the contexts stay the same.
func (p *pair) step(rops, sops []runtime.Op) outcome {
	var o outcome
	o.AppliedP, o.AppliedS = true, true
	for i := range rops {
		p.one(&rops[i], &sops[i], &o)
	}
	return o
}

func (p *pair) one(rop, sop *runtime.Op, o *outcome) {
	noop := p.noop(rop)
	rd := p.rt.Process(rop)
	excuse := ""
	if noop {
		excuse = "the operation acts on a record that does not exist"
	}
	for i := 0; i < rd.Len(); i++ {
		switch rd.At(i).Why {
		case runtime.WhyScopeUnknown:
			excuse = "the scope is unknown: the fail mode decided"
		case runtime.WhyMissing:
			excuse = "a required parameter is absent: the fail mode decided"
		}
	}
	var sd satengine.Decision
	if excuse == "" {
		sd = p.sat.Process(sop)
	} else {
		sd = p.sat.Decide(sop)
		sd.Applied = false
		if rd.Applied || rd.Err != nil {
			ad := p.sat.Runtime().Apply(sop)
			sd.Applied = ad.Applied
			if ad.Err != nil {
				sd.Err = errors.Join(sd.Err, ad.Err)
			}
		}
	}
	o.Malformed = o.Malformed || rd.Err != nil && !rd.Applied
	o.Blocked = o.Blocked || rd.Blocked
	o.AppliedP = o.AppliedP && rd.Applied
	o.AppliedS = o.AppliedS && sd.Applied
	if rd.Applied != sd.Applied {
		o.Problem = fmt.Sprintf("applied by the proactive engine: %v, by the SAT engine: %v", rd.Applied, sd.Applied)
	}
	if (rd.Err != nil) != (sd.Err != nil) {
		o.Problem = fmt.Sprintf("errors differ: proactive %v, SAT %v", rd.Err, sd.Err)
	}
	if rd.Err != nil {
		return // malformed: refused by both, no verdict to compare
	}
	sat := map[string]satengine.Check{}
	for _, c := range sd.Checks {
		sat[c.Property] = c
		o.Critical = o.Critical || c.Verdict != runtime.Pass
		o.Violating = o.Violating || c.Verdict == runtime.Deny
	}
	for i := 0; i < rd.Len(); i++ {
		ch := rd.At(i)
		if ch.Kind != tables.CE {
			continue
		}
		name := p.spec.Properties[ch.Property].Name
		sc, ok := sat[name]
		c := Check{Property: name, Proactive: ch.Verdict.String(), ProactiveReason: rd.Reason(i), SAT: "none", SATReason: "the SAT engine did not check it"}
		if ok {
			c.SAT, c.SATReason = sc.Verdict.String(), sc.Reason
			delete(sat, name)
		}
		if c.Proactive != c.SAT {
			c.Excused = excuse
		}
		o.Checks = append(o.Checks, c)
	}
	for name, sc := range sat {
		o.Checks = append(o.Checks, Check{Property: name, Proactive: "none", ProactiveReason: "the proactive engine did not check it", SAT: sc.Verdict.String(), SATReason: sc.Reason})
	}
	sort.Slice(o.Checks, func(i, j int) bool { return o.Checks[i].Property < o.Checks[j].Property })
}

// noop: an update, delete or (dis)association of a record that does not exist changes nothing.
func (p *pair) noop(op *runtime.Op) bool {
	m := p.spec.Models[op.Model]
	ev := &m.Events[op.Event]
	t := ev.Target.Index
	switch ev.Kind {
	case tables.Creates:
		return false
	case tables.Associates, tables.Dissociates:
		t = ev.Link.Entity
	}
	if ev.Key < 0 {
		return false
	}
	found := true
	p.rt.ReadState(op.Model, func(st *state.Store) {
		found = st.Exists(t, st.Param(&op.Op, int(ev.Key)).Sym())
	})
	return !found
}

// violations are the properties whose invariant the SAT engine's context breaks.
func (p *pair) violations() (string, error) {
	v, err := p.sat.Violations()
	if err != nil || len(v) == 0 {
		return "", err
	}
	var parts []string
	for prop, why := range v {
		parts = append(parts, prop+": "+why)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; "), nil
}

// sameContext compares the record counts of both contexts.
func (p *pair) sameContext() error {
	var errs error
	for _, m := range p.spec.Models {
		for _, e := range m.Entities {
			a, err1 := p.rt.Len(e.Name)
			b, err2 := p.sat.Runtime().Len(e.Name)
			if err1 == nil && err2 == nil && a != b {
				errs = errors.Join(errs, fmt.Errorf("%s: %d records in the proactive context, %d in the SAT engine's", e.Name, a, b))
			}
		}
	}
	return errs
}
