package report

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"pvsc.dev/pvsc/internal/plot"
	"pvsc.dev/pvsc/music/trust"
)

// Audiences are the reports pvsc report writes, in order.
var Audiences = []string{"operator", "owner", "auditor"}

// Build makes the report for one audience.
func Build(in *Input, audience string) (*Doc, error) {
	switch audience {
	case "operator":
		return Operator(in)
	case "owner":
		return Owner(in), nil
	case "auditor":
		return Auditor(in)
	}
	return nil, fmt.Errorf("unknown audience %q (want %s)", audience, strings.Join(Audiences, ", "))
}

// Operator is the operator's report: decisions per property over the input, denials per
// scope (tenant, project, provider), the N-cp distribution, the event lag.
func Operator(in *Input) (*Doc, error) {
	d := &Doc{Audience: "operator", Title: "pvsc operator report: " + in.Name}
	d.p("%d decisions, %d refused.", len(in.Decisions), countBlocked(in.Decisions))
	d.h("Decisions per property")
	props := propertyCounts(in.Decisions)
	t := &Table{Head: []string{"property", "checks", "critical", "allow", "deny", "alert", "log", "pass"}}
	for _, p := range props {
		t.Rows = append(t.Rows, []string{p.name, itoa(p.checks), itoa(p.critical), itoa(p.verdicts["allow"]),
			itoa(p.verdicts["deny"]), itoa(p.verdicts["alert"]), itoa(p.verdicts["log"]), itoa(p.verdicts["pass"])})
	}
	d.table(t)
	if len(props) > 0 {
		if err := d.plot("checks per property over the input (cumulative)", (&plot.Line{Title: "checks per property",
			XLabel: "input position", YLabel: "checks so far", Series: cumulative(in.Decisions, props)}).SVG); err != nil {
			return nil, err
		}
	}
	d.h("Denials per scope")
	if err := denials(d, in.Decisions); err != nil {
		return nil, err
	}
	d.h("N-cp distribution")
	if err := ncpPlot(d, in.Decisions, props); err != nil {
		return nil, err
	}
	d.h("Event lag")
	if in.Lag == nil {
		d.p("No scrape of /metrics given (--lag): the decision lines carry no event time.")
		return d, nil
	}
	return d, lagPlot(d, in.Lag)
}

type propCount struct {
	name             string
	checks, critical int
	verdicts         map[string]int
	ncp              map[string]int
}

func propertyCounts(ds []Decision) []*propCount {
	by := map[string]*propCount{}
	for _, dec := range ds {
		for _, c := range dec.Checks {
			p := by[c.Property]
			if p == nil {
				p = &propCount{name: c.Property, verdicts: map[string]int{}, ncp: map[string]int{}}
				by[c.Property] = p
			}
			p.checks++
			if c.Kind == "CE" {
				p.critical++
			}
			p.verdicts[c.Verdict]++
			p.ncp[ncpOf(c.NCP)]++
		}
	}
	out := make([]*propCount, 0, len(by))
	for _, p := range by {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func ncpOf(n *int32) string {
	if n == nil {
		return "unknown"
	}
	return strconv.Itoa(int(*n))
}

func cumulative(ds []Decision, props []*propCount) []plot.Series {
	out := make([]plot.Series, len(props))
	idx := map[string]int{}
	for i, p := range props {
		out[i].Name = p.name
		idx[p.name] = i
	}
	for _, dec := range ds {
		for _, c := range dec.Checks {
			s := &out[idx[c.Property]]
			s.X = append(s.X, float64(dec.At))
			s.Y = append(s.Y, float64(len(s.Y)+1))
		}
	}
	return out
}

// denials are the refused operations by the scope of the check that refused them.
func denials(d *Doc, ds []Decision) error {
	by := map[string]int{}
	for _, dec := range ds {
		for _, c := range dec.Checks {
			if c.Verdict == "deny" {
				by[cmp.Or(c.Scope, dec.Project, "(no scope)")]++
			}
		}
	}
	if len(by) == 0 {
		d.p("No denials.")
		return nil
	}
	scopes := sortedByCount(by)
	t := &Table{Head: []string{"scope", "denials"}}
	vals := make([]float64, len(scopes))
	for i, s := range scopes {
		t.Rows = append(t.Rows, []string{s, itoa(by[s])})
		vals[i] = float64(by[s])
	}
	d.table(t)
	return d.plot("denials per scope", (&plot.Bars{Title: "denials per scope", YLabel: "denials", Groups: scopes,
		Series: []plot.BarSeries{{Name: "denials", Values: vals}}}).SVG)
}

func ncpPlot(d *Doc, ds []Decision, props []*propCount) error {
	if len(props) == 0 {
		d.p("No checks.")
		return nil
	}
	keys := map[string]bool{}
	for _, p := range props {
		for k := range p.ncp {
			keys[k] = true
		}
	}
	groups := slices.Sorted(maps.Keys(keys))
	sort.Slice(groups, func(i, j int) bool { return ncpRank(groups[i]) < ncpRank(groups[j]) })
	series := make([]plot.BarSeries, len(props))
	t := &Table{Head: append([]string{"property"}, groups...)}
	for i, p := range props {
		series[i].Name = p.name
		row := []string{p.name}
		for _, g := range groups {
			series[i].Values = append(series[i].Values, float64(p.ncp[g]))
			row = append(row, itoa(p.ncp[g]))
		}
		t.Rows = append(t.Rows, row)
	}
	d.p("Checks by the N-cp of their scope when decided (unknown: the scope was not known yet).")
	d.table(t)
	return d.plot("checks by N-cp", (&plot.Bars{Title: "checks by N-cp", YLabel: "checks", Groups: groups, Series: series}).SVG)
}

func ncpRank(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return math.MaxInt32
}

func lagPlot(d *Doc, h *Histogram) error {
	var groups []string
	var vals []float64
	prev := 0.0
	for _, b := range h.Buckets {
		groups = append(groups, "≤ "+plot.Num(b.LE)+" s")
		if math.IsInf(b.LE, 1) {
			groups[len(groups)-1] = "more"
		}
		vals = append(vals, b.Count-prev)
		prev = b.Count
	}
	mean := 0.0
	if h.Count > 0 {
		mean = h.Sum / h.Count
	}
	d.p("%s notifications handled, mean lag %s s.", plot.Num(h.Count), plot.Num(mean))
	return d.plot("event lag", (&plot.Bars{Title: "event lag (" + h.Name + ")", YLabel: "notifications", Groups: groups,
		Series: []plot.BarSeries{{Name: "notifications", Values: vals}}}).SVG)
}

// Owner is the data owner's report: where each data object is, the workflows that touched
// it, and the providers admissible for each class.
func Owner(in *Input) *Doc {
	d := &Doc{Audience: "owner", Title: "pvsc data owner report: " + in.Name}
	c := in.Community
	if c == nil {
		d.p("The input holds no MuSIC community (no data objects): nothing to report to a data owner.")
		return d
	}
	d.h("Data objects")
	t := &Table{Head: []string{"data", "owner", "class", "stored at", "vault", "workflows"}}
	for _, o := range c.Data {
		var flows []string
		for _, w := range c.Workflows {
			if w.Data == o.ID {
				flows = append(flows, w.ID)
			}
		}
		t.Rows = append(t.Rows, []string{o.ID, o.Owner, o.Class.String(), cmp.Or(o.Location, "(nowhere)"),
			strconv.FormatBool(o.Vault), strings.Join(flows, ", ")})
	}
	d.table(t)
	if len(c.Moves) > 0 {
		t := &Table{Head: []string{"input", "data", "to", "verdict"}}
		for _, m := range c.Moves {
			t.Rows = append(t.Rows, []string{itoa(m.At), m.Data, m.Location, m.Verdict})
		}
		d.p("Stores requested in the input, with their verdicts:")
		d.table(t)
	}
	d.h("Workflows")
	t = &Table{Head: []string{"workflow", "owner", "data", "kinds", "steps handed (outcome)"}}
	for _, w := range c.Workflows {
		var steps []string
		for _, s := range w.Steps {
			steps = append(steps, fmt.Sprintf("%s→%s (%s)", s.ID, cmp.Or(s.Service, s.Provider), cmp.Or(s.Outcome, "running")))
		}
		t.Rows = append(t.Rows, []string{w.ID, w.Owner, w.Data, strings.Join(w.Kinds, " → "), strings.Join(steps, ", ")})
	}
	d.table(t)
	if len(c.Attempts) > 0 {
		t := &Table{Head: []string{"input", "workflow", "step", "to", "verdict"}}
		for _, a := range c.Attempts {
			t.Rows = append(t.Rows, []string{itoa(a.At), a.Workflow, a.Step, cmp.Or(a.Service, a.Provider), a.Verdict})
		}
		d.p("Steps attempted in the input, with their verdicts:")
		d.table(t)
	}
	d.h("Admissible providers per class")
	d.p("A provider holds data of a class when its trust level, never above its SLA, reaches the class.")
	t = &Table{Head: []string{"class", "providers"}}
	for l := trust.Level(0); int(l) < len(trust.Levels); l++ {
		var ps []string
		for _, p := range c.Providers {
			if p.Level() >= l {
				ps = append(ps, p.ID+" ("+p.Level().String()+")")
			}
		}
		t.Rows = append(t.Rows, []string{l.String(), strings.Join(ps, ", ")})
	}
	d.table(t)
	return d
}

// OwnerFor is one data owner's report: Owner over the part of the community the owner may
// see (Community.Of), written as owner-ID. The report of every owner (Owner) is the
// community operator's; this is the one to hand to an owner.
func OwnerFor(in *Input, owner string) (*Doc, error) {
	if in.Community == nil {
		return nil, fmt.Errorf("owner %q: the input holds no MuSIC community", owner)
	}
	c, err := in.Community.Of(owner)
	if err != nil {
		return nil, err
	}
	mine := *in
	mine.Community = c
	d := Owner(&mine)
	d.Audience = "owner-" + fileSafe(owner)
	d.Title += " (for " + owner + ")"
	return d, nil
}

// fileSafe keeps an id's letters, digits, '-', '_' and '.' for a file name.
func fileSafe(id string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, id)
}

// Auditor is the auditor's report: findings, denials, the proofs run with their bounds,
// and each provider's trust level history with the causes (metric misses) that moved it.
func Auditor(in *Input) (*Doc, error) {
	d := &Doc{Audience: "auditor", Title: "pvsc auditor report: " + in.Name}
	d.h("Findings")
	if len(in.Findings) == 0 {
		d.p("No audit findings in the input.")
	} else {
		t := &Table{Head: []string{"line", "time", "finding", "property", "scope", "reason"}}
		for _, f := range in.Findings {
			t.Rows = append(t.Rows, []string{itoa(f.At), timeOf(f.Time), f.Kind, f.Property, f.Scope, brief(f.Reason)})
		}
		d.table(t)
	}
	d.h("Refused operations")
	t := &Table{Head: []string{"input", "operation", "property", "reason"}}
	for _, dec := range in.Decisions {
		for _, c := range dec.Checks {
			if c.Verdict == "deny" && dec.Blocked {
				t.Rows = append(t.Rows, []string{itoa(dec.At), dec.Op, c.Property, brief(c.Reason)})
			}
		}
	}
	if len(t.Rows) == 0 {
		d.p("None.")
	} else {
		d.table(t)
	}
	d.h("Proofs")
	proofs(d, in.Proofs)
	d.h("Trust levels")
	return d, trustHistory(d, in)
}

func proofs(d *Doc, ps []Proof) {
	if len(ps) == 0 {
		d.p("No output of pvsc verify given (--proofs).")
		return
	}
	t := &Table{Head: []string{"spec", "property", "N table", "verdicts", "bounds", "claims"}}
	for _, p := range ps {
		var claims []string
		for _, c := range p.Claims {
			claims = append(claims, c.Claim+": "+c.Outcome)
		}
		t.Rows = append(t.Rows, []string{p.Spec, p.Property, p.N, p.Verdict, p.Bounds, strings.Join(claims, "; ")})
	}
	d.table(t)
}

func trustHistory(d *Doc, in *Input) error {
	if len(in.Trust) == 0 && len(in.Statuses) == 0 {
		d.p("The input ran no trust level manager (not the music model, or no changes).")
		return nil
	}
	t := &Table{Head: []string{"input", "provider", "from", "to", "cause", "set_trust"}}
	series := map[string]*plot.Series{}
	for _, c := range in.Trust {
		t.Rows = append(t.Rows, []string{itoa(c.At), c.Provider, c.From.String(), c.To.String(), c.Cause, c.Verdict})
		s := series[c.Provider]
		if s == nil {
			s = &plot.Series{Name: c.Provider, X: []float64{0}, Y: []float64{float64(c.From)}}
			series[c.Provider] = s
		}
		s.X = append(s.X, float64(c.At), float64(c.At))
		s.Y = append(s.Y, s.Y[len(s.Y)-1], float64(c.To))
	}
	d.table(t)
	if len(in.Statuses) > 0 {
		st := &Table{Head: []string{"provider", "base", "SLA", "experience", "reputation", "metric misses", "current"}}
		for _, s := range in.Statuses {
			var misses []string
			for _, m := range s.Misses {
				misses = append(misses, m.String())
			}
			st.Rows = append(st.Rows, []string{s.Provider, s.Base.String(), s.SLA.String(), plot.Num(s.Experience.Score),
				plot.Num(s.Reputation.Score), strings.Join(misses, "; "), s.Current.String()})
		}
		d.p("Each provider's trust components at the end of the input:")
		d.table(st)
	}
	if len(series) == 0 {
		return nil
	}
	var lines []plot.Series
	for _, id := range slices.Sorted(maps.Keys(series)) {
		lines = append(lines, *series[id])
	}
	d.p("Levels by rank: %s.", levelRanks())
	return d.plot("trust level per provider over the input", (&plot.Line{Title: "trust level per provider",
		XLabel: "input position", YLabel: "level (rank)", Series: lines}).SVG)
}

func levelRanks() string {
	var s []string
	for i, l := range trust.Levels {
		s = append(s, fmt.Sprintf("%d %s", i, l))
	}
	return strings.Join(s, ", ")
}

func countBlocked(ds []Decision) int {
	n := 0
	for _, d := range ds {
		if d.Blocked {
			n++
		}
	}
	return n
}

func sortedByCount(m map[string]int) []string {
	out := slices.Sorted(maps.Keys(m))
	sort.SliceStable(out, func(i, j int) bool { return m[out[i]] > m[out[j]] })
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func timeOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// brief shortens the rules a reason quotes: a derived rule runs to pages, and the report
// names the property and the operation; the decision log keeps the whole rule.
func brief(reason string) string {
	parts := strings.Split(reason, "`")
	for i := 1; i < len(parts); i += 2 {
		if r := []rune(parts[i]); len(r) > 80 {
			parts[i] = string(r[:60]) + " …"
		}
	}
	return strings.Join(parts, "`")
}
