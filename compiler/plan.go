package compiler

import "strings"

// checkPlan rejects critical events the root cannot reach and thresholds above N-max.
func (c *compiler) checkPlan() {
	for _, a := range c.analyses() {
		steps := a.steps()
		for i, cr := range a.p.Criticals {
			g, ok := a.mask(a.goal(cr))
			if !ok || !reachableFromRoot(g, steps) {
				c.errorf(a.pi.criticals[i].Event.Pos, "critical event %s cannot occur from the root configuration {%s}: nothing creates %s",
					a.m.Events[cr.Event].Name, a.m.Entities[a.p.Scope].Name, strings.Join(a.missing(g, steps), ", "))
			}
		}
		if a.pi.threshold != nil && a.p.NMax > 0 && a.p.Threshold > a.p.NMax {
			c.errorf(a.pi.threshold.Pos, "threshold %d is above N-max %d of property %s", a.p.Threshold, a.p.NMax, a.p.Name)
		}
	}
}

func reachableFromRoot(goal uint32, steps []step) bool {
	var m uint32
	for {
		next := m
		for _, s := range steps {
			if s.pre&^next == 0 {
				next |= s.gain
			}
		}
		if goal&^next == 0 {
			return true
		}
		if next == m {
			return false
		}
		m = next
	}
}

// missing names the goal facts that the root can never reach.
func (a *analysis) missing(goal uint32, steps []step) []string {
	var m uint32
	for changed := true; changed; {
		changed = false
		for _, s := range steps {
			if s.pre&^m == 0 && m|s.gain != m {
				m |= s.gain
				changed = true
			}
		}
	}
	names := a.p.ConfigFacts(goal &^ m)
	if len(names) == 0 {
		names = []string{"its preconditions"}
	}
	return names
}
