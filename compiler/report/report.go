// Package report renders a compiled spec's five PVSC tables for people (aligned text) and tools (JSON).
package report

import (
	"fmt"
	"sort"
	"strings"

	"pvsc.dev/pvsc/tables"
)

// Report holds the five tables (paper §3.2) of a spec, optionally for one property.
type Report struct {
	Spec           string          `json:"spec"`
	EventOperation []EventOpRow    `json:"event_operation"`
	ModelEvent     []ModelEventRow `json:"model_event"`
	Thresholds     []ThresholdRow  `json:"property_n_thresholds"`
	ModelN         []ModelNRow     `json:"model_n_property"`
	PropertyWL     []WatchlistRow  `json:"property_wl"`
	// Metrics are the spec's security metrics (not one of the five tables: what the trust
	// level manager judges measurements by); left out for one property.
	Metrics []MetricRow `json:"metrics,omitempty"`
}

// MetricRow is a security metric's definition.
type MetricRow struct {
	Metric  string `json:"metric"`
	Model   string `json:"model"`
	Unit    string `json:"unit"`
	Target  string `json:"target"` // "at most 7"
	Event   string `json:"reported_by"`
	Point   string `json:"point,omitempty"`
	Penalty int32  `json:"penalty"`
}

// EventOpRow maps one cloud operation to a model event.
type EventOpRow struct {
	Cloud     string `json:"cloud"`
	Model     string `json:"model"`
	Source    string `json:"source"`
	Operation string `json:"operation"`
	Event     string `json:"event"` // "-" for an ignore row: the operation changes nothing modelled
	When      string `json:"when,omitempty"`
	If        string `json:"if,omitempty"`
	Each      string `json:"each,omitempty"`
	Also      bool   `json:"also,omitempty"`
}

// ModelEventRow is the kind of an event for a property.
type ModelEventRow struct {
	Property string `json:"property"`
	Event    string `json:"event"`
	Kind     string `json:"kind"`
}

// ThresholdRow is a property's N-th (and its N-max).
type ThresholdRow struct {
	Property  string `json:"property"`
	Threshold int32  `json:"n_th"`
	NMax      int32  `json:"n_max"`
}

// ModelNRow is one configuration of a property with its N-cp.
type ModelNRow struct {
	Property      string   `json:"property"`
	Configuration []string `json:"configuration"`
	N             int32    `json:"n_cp"`
}

// WatchlistRow is a property's watchlist definition.
type WatchlistRow struct {
	Property  string   `json:"property"`
	Watchlist string   `json:"watchlist"`
	Scope     string   `json:"scope"`
	Elements  string   `json:"elements"`
	Init      []string `json:"init"`
	Updates   []string `json:"updates"`
}

var kindNames = map[tables.Kind]string{tables.TE: "TE", tables.WE: "WE", tables.CE: "CE"}

var sourceNames = map[tables.SourceKind]string{tables.API: "api", tables.Notify: "notify", tables.CLI: "cli", tables.Snapshot: "snapshot"}

// Build assembles the tables of a spec; with property != "" only that
// property's rows (and the operations of its model) are kept.
func Build(spec *tables.Spec, property string) (*Report, error) {
	r := &Report{Spec: spec.Name}
	props := spec.Properties
	if property != "" {
		p := spec.Property(property)
		if p == nil {
			return nil, fmt.Errorf("spec %s has no property %q (it has: %s)", spec.Name, property, propertyNames(spec))
		}
		props = []*tables.Property{p}
	}
	models := map[int32]bool{}
	for _, p := range props {
		models[p.Model] = true
		r.addProperty(spec, p)
	}
	for _, c := range spec.Clouds {
		if property == "" || models[c.Model] {
			r.addCloud(spec, c)
		}
	}
	if property == "" {
		r.addMetrics(spec)
	}
	return r, nil
}

func (r *Report) addMetrics(spec *tables.Spec) {
	for _, mt := range spec.Metrics {
		m := spec.Models[mt.Model]
		r.Metrics = append(r.Metrics, MetricRow{Metric: mt.Name, Model: m.Name, Unit: mt.Unit,
			Target: fmt.Sprintf("%s %d", mt.Direction, mt.Target), Event: m.Events[mt.Event].Name, Point: mt.Point, Penalty: mt.Penalty})
	}
}

func propertyNames(spec *tables.Spec) string {
	var names []string
	for _, p := range spec.Properties {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

func (r *Report) addCloud(spec *tables.Spec, c *tables.Cloud) {
	m := spec.Models[c.Model]
	for _, row := range c.Rows {
		er := EventOpRow{Cloud: c.Name, Model: m.Name, Source: sourceNames[row.Source], Operation: row.Key, Event: "-", If: row.If, Each: row.Each, Also: row.Also}
		if row.Event >= 0 {
			er.Event = m.Events[row.Event].Name
		}
		if row.When != nil {
			er.When = oneLine(row.When.Src)
		}
		r.EventOperation = append(r.EventOperation, er)
	}
}

func (r *Report) addProperty(spec *tables.Spec, p *tables.Property) {
	m := spec.Models[p.Model]
	var rows []ModelEventRow
	for i, k := range p.EventKinds {
		if k != tables.None {
			rows = append(rows, ModelEventRow{Property: p.Name, Event: m.Events[i].Name, Kind: kindNames[k]})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return kindRank(rows[i].Kind) > kindRank(rows[j].Kind) })
	r.ModelEvent = append(r.ModelEvent, rows...)
	r.Thresholds = append(r.Thresholds, ThresholdRow{Property: p.Name, Threshold: p.Threshold, NMax: p.NMax})
	scope := m.Entities[p.Scope].Name
	for _, c := range p.Configs {
		r.ModelN = append(r.ModelN, ModelNRow{Property: p.Name, Configuration: append([]string{scope}, p.ConfigFacts(c.Mask)...), N: c.N})
	}
	r.PropertyWL = append(r.PropertyWL, watchlistRow(m, p))
}

func kindRank(k string) int { return map[string]int{"CE": 3, "WE": 2, "TE": 1}[k] }

func watchlistRow(m *tables.Model, p *tables.Property) WatchlistRow {
	w := p.Watchlist
	row := WatchlistRow{Property: p.Name, Watchlist: w.Name, Scope: m.Entities[p.Scope].Name, Elements: elemText(m, w.Elem)}
	if p.ScopeBy >= 0 {
		row.Scope += " by " + m.Entities[p.ScopeBy].Name
	}
	for _, in := range w.Inits {
		prefix := ""
		if in.Entity >= 0 {
			prefix = m.Entities[in.Entity].Name + ": "
		}
		row.Init = append(row.Init, prefix+oneLine(in.Expr.Src))
	}
	for _, u := range w.Updates {
		row.Updates = append(row.Updates, updateText(m, u))
	}
	return row
}

func elemText(m *tables.Model, el tables.ElemType) string {
	parts := make([]string, len(el.Types))
	for i, t := range el.Types {
		parts[i] = "string"
		if t.Kind == tables.TRef {
			parts[i] = m.Entities[t.Ref].Name
		}
	}
	if el.Pair {
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return strings.Join(parts, " | ")
}

func updateText(m *tables.Model, u tables.Update) string {
	op := map[tables.UpdateOp]string{tables.Add: "add", tables.Remove: "remove", tables.Rebuild: "rebuild"}[u.Op]
	s := op + " on " + m.Events[u.Event].Name
	if u.Expr != nil {
		s += ": " + oneLine(u.Expr.Src)
	}
	if u.For != nil {
		s += " for " + oneLine(u.For.Src)
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
