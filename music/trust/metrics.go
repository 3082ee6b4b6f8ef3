package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"pvsc.dev/pvsc/tables"
)

// MetricDef is a security metric's definition as the manager applies it: the spec's (a
// metric declaration, see Definitions), possibly overridden by the rule's config file.
type MetricDef struct {
	Unit      string `json:"unit"`
	Target    int64  `json:"target"`
	Direction string `json:"direction"` // max: a value must not exceed the target; min: must not fall below
	Point     string `json:"point,omitempty"`
	Penalty   int    `json:"penalty"` // levels a miss costs
}

// Metrics are metric definitions by name. Read from JSON they override the definitions
// already held field by field, so a config file can move one target and keep the rest.
type Metrics map[string]MetricDef

// UnmarshalJSON merges the document's definitions into the ones held.
func (ms *Metrics) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if *ms == nil {
		*ms = Metrics{}
	}
	for _, name := range sortedNames(raw) {
		def := (*ms)[name]
		dec := json.NewDecoder(bytes.NewReader(raw[name]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&def); err != nil {
			return fmt.Errorf("metric %s: %w", name, err)
		}
		(*ms)[name] = def
	}
	return nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Definitions are the metrics a compiled spec declares.
func Definitions(spec *tables.Spec) Metrics {
	out := Metrics{}
	for _, m := range spec.Metrics {
		dir := "max"
		if m.Direction == tables.AtLeast {
			dir = "min"
		}
		out[m.Name] = MetricDef{Unit: m.Unit, Target: m.Target, Direction: dir, Point: m.Point, Penalty: int(m.Penalty)}
	}
	return out
}

// validate reports a definition out of its range.
func (ms Metrics) validate() error {
	for _, name := range sortedNames(ms) {
		d := ms[name]
		switch {
		case d.Direction != "max" && d.Direction != "min":
			return fmt.Errorf("metric %s: direction %q (want max or min)", name, d.Direction)
		case d.Target < 0:
			return fmt.Errorf("metric %s: target %d: want >= 0", name, d.Target)
		case d.Penalty < 0:
			return fmt.Errorf("metric %s: penalty %d: want >= 0", name, d.Penalty)
		}
	}
	return nil
}

// Miss is a measurement that missed its target: reported whether or not it moved the level
// (a provider at public, or missing the metric already, keeps its level).
type Miss struct {
	Provider string `json:"provider"`
	Metric
	// Defined: the target is the spec's (or the config's); otherwise the measurement's own.
	Defined bool `json:"defined"`
}

func (m Miss) String() string {
	s := m.Provider + " " + m.Metric.String()
	if m.Unit != "" {
		s += " " + m.Unit
	}
	if m.Point != "" {
		s += " (reported by " + m.Point + ")"
	}
	if !m.Defined {
		s += " (target from the measurement: no definition)"
	}
	return fmt.Sprintf("%s: costs %d level(s) until met", s, m.Penalty)
}
