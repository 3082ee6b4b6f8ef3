package compiler

import (
	"github.com/alecthomas/participle/v2/lexer"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
)

// directions are the words a metric's target may be bounded by.
var directions = map[string]tables.Direction{"most": tables.AtMost, "least": tables.AtLeast}

// defaultPenalty is what a miss costs when the metric does not say: one level, as the trust
// level manager's miss_penalty does for a metric the spec does not define.
const defaultPenalty = 1

// measurementParams are the parameters the trust level manager reads from a measurement: the
// metric's name and the measured value.
var measurementParams = []struct {
	name string
	kind tables.TypeKind
	what string
}{{"name", tables.TString, "string"}, {"value", tables.TInt, "int"}}

// metricClauses collects one metric's clauses, each at most once.
type metricClauses struct {
	doc, unit *dsl.Str
	target    *dsl.Target
	reported  *dsl.Reported
	miss      *dsl.MissPenalty
}

// checkMetrics checks every metric declaration and fills Spec.Metrics.
func (c *compiler) checkMetrics() {
	seen := map[string]lexer.Position{}
	for _, f := range c.files {
		for _, d := range f.File.Decls {
			if d.Metric == nil || c.dup(seen, d.Metric.Name.Name, d.Metric.Name.Pos, "metric") {
				continue
			}
			if m, ok := c.metric(d.Metric); ok {
				c.spec.Metrics = append(c.spec.Metrics, m)
			}
		}
	}
}

func (c *compiler) metric(am *dsl.Metric) (tables.Metric, bool) {
	out := tables.Metric{Name: am.Name.Name, Penalty: defaultPenalty}
	mi := c.byName[am.Model.Name]
	if mi == nil {
		c.errorf(am.Model.Pos, "metric %s: unknown model %s%s", am.Name.Name, am.Model.Name, didYouMean(am.Model.Name, keys(c.byName)))
		return out, false
	}
	out.Model = mi.index
	cl := c.metricClauses(am)
	ok := c.required(am, cl)
	if cl.doc != nil {
		out.Doc = cl.doc.Value
	}
	if cl.unit != nil {
		out.Unit = cl.unit.Value
		ok = c.nonEmptyUnit(am, cl.unit) && ok
	}
	if cl.target != nil {
		ok = c.target(am, cl.target, &out) && ok
	}
	if cl.reported != nil {
		ok = c.reportedBy(am, mi, cl.reported, &out) && ok
	}
	if cl.miss != nil {
		ok = c.penalty(am, cl.miss, &out) && ok
	}
	return out, ok
}

// metricClauses sorts a metric's items by clause; a repeated clause is reported.
func (c *compiler) metricClauses(am *dsl.Metric) metricClauses {
	var cl metricClauses
	seen := map[string]lexer.Position{}
	once := func(it *dsl.MetricItem, what string) bool {
		return !c.dup(seen, what, it.Pos, "metric "+am.Name.Name+": clause")
	}
	for _, it := range am.Items {
		switch {
		case it.Doc != nil && once(it, "doc"):
			cl.doc = it.Doc
		case it.Unit != nil && once(it, "unit"):
			cl.unit = it.Unit
		case it.Target != nil && once(it, "target"):
			cl.target = it.Target
		case it.Reported != nil && once(it, "reported"):
			cl.reported = it.Reported
		case it.Miss != nil && once(it, "miss"):
			cl.miss = it.Miss
		}
	}
	return cl
}

// required reports the clauses a metric cannot do without: a measurement cannot be judged
// without a target, read without its unit, or matched without its event.
func (c *compiler) required(am *dsl.Metric, cl metricClauses) bool {
	ok := true
	missing := func(absent bool, clause string) {
		if absent {
			c.errorf(am.Name.Pos, "metric %s has no %s clause", am.Name.Name, clause)
			ok = false
		}
	}
	missing(cl.unit == nil, "unit")
	missing(cl.target == nil, "target")
	missing(cl.reported == nil, "reported by")
	return ok
}

func (c *compiler) nonEmptyUnit(am *dsl.Metric, u *dsl.Str) bool {
	if u.Value == "" {
		c.errorf(u.Pos, "metric %s: empty unit", am.Name.Name)
		return false
	}
	return true
}

func (c *compiler) target(am *dsl.Metric, t *dsl.Target, out *tables.Metric) bool {
	ok := true
	dir, known := directions[t.Direction.Name]
	if !known {
		c.errorf(t.Direction.Pos, "metric %s: unknown direction %q (want at most or at least)", am.Name.Name, "at "+t.Direction.Name)
		ok = false
	}
	// Measurements count things or time (days, incidents, findings, per mille): a negative
	// target is a typo, and one no measurement could meet when bounded at most.
	if t.Value.Int() < 0 {
		c.errorf(t.Value.Pos, "metric %s: negative target %d", am.Name.Name, t.Value.Int())
		ok = false
	}
	out.Direction, out.Target = dir, int64(t.Value.Int())
	return ok
}

// reportedBy checks the measurement event exists and carries what the manager reads.
func (c *compiler) reportedBy(am *dsl.Metric, mi *modelInfo, r *dsl.Reported, out *tables.Metric) bool {
	if r.Point != nil {
		out.Point = r.Point.Value
	}
	ev, known := mi.events[r.Event.Name]
	if !known {
		c.errorf(r.Event.Pos, "metric %s: unknown event %s in model %s%s", am.Name.Name, r.Event.Name, mi.t.Name, mi.eventHint(r.Event.Name))
		return false
	}
	out.Event = ev
	ok := true
	for _, want := range measurementParams {
		if !hasParam(mi.eventAST[ev], want.name, want.kind) {
			c.errorf(r.Event.Pos, "metric %s: event %s carries no parameter %s: %s (a measurement names its metric and its value)",
				am.Name.Name, r.Event.Name, want.name, want.what)
			ok = false
		}
	}
	return ok
}

func hasParam(ev *dsl.Event, name string, kind tables.TypeKind) bool {
	for _, p := range ev.Params {
		if p.Name.Name == name && p.Type.List == nil && p.Type.Name != nil && builtinTypes[p.Type.Name.Name] == kind {
			return true
		}
	}
	return false
}

func (c *compiler) penalty(am *dsl.Metric, mp *dsl.MissPenalty, out *tables.Metric) bool {
	// A negative penalty would raise a provider's trust for missing its target.
	if mp.Levels.Int() < 0 {
		c.errorf(mp.Levels.Pos, "metric %s: negative penalty %d (a miss lowers trust, never raises it)", am.Name.Name, mp.Levels.Int())
		return false
	}
	out.Penalty = int32(mp.Levels.Int())
	return true
}
