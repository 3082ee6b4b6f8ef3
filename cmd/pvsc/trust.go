package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"pvsc.dev/pvsc/music/paths"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
	musicspec "pvsc.dev/pvsc/specs/music"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

func init() {
	register(&command{
		name:    "trust",
		summary: "run MuSIC operations through the trust level manager: each provider's level and its components, and the set_trust operations it emits",
		usage:   "--ops FILE.jsonl [--snapshot FILE] [--spec DIR] [--config FILE.json] [--format text|json] [--emit FILE.jsonl]",
		run:     runTrust,
	})
}

type trustFlags struct {
	ops, snap, spec, config, format, emit string
}

// trustReport is what pvsc trust prints.
type trustReport struct {
	Config    trust.Config    `json:"config"`
	Metrics   trust.Metrics   `json:"metrics"`
	Providers []trust.Status  `json:"providers"`
	Misses    []trustMiss     `json:"misses"`
	Changes   []trust.Applied `json:"set_trust"`
	// Alerts are raised on operations other than the manager's set_trusts (which carry
	// their own): a step handed off every admissible path, a workflow registered without one.
	Alerts    []trustAlert      `json:"alerts"`
	Workflows map[string]uint64 `json:"workflows"` // admissible paths of each registered workflow at the end
	Errors    []trustError      `json:"errors,omitempty"`
	Lines     int               `json:"lines"`
	Blocked   int               `json:"blocked"`
}

type trustMiss struct {
	Line int `json:"line"`
	trust.Miss
}

type trustAlert struct {
	Line int `json:"line"`
	trust.Alert
}

// trustSettings is the config file: the rule's parameters and the metrics' definitions,
// each over the defaults (the spec's definitions), field by field.
type trustSettings struct {
	trust.Config
	Metrics trust.Metrics `json:"metrics"`
}

type trustError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

func runTrust(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["trust"], stderr)
	var f trustFlags
	fs.StringVar(&f.ops, "ops", "", "operations, one JSON document a line (neutral form, notifications, REST calls), as pvsc replay reads")
	fs.StringVar(&f.snap, "snapshot", "", "community snapshot (or checkpoint) to start from")
	fs.StringVar(&f.spec, "spec", "", "music spec directory (default: the shipped specs/music tables)")
	fs.StringVar(&f.config, "config", "", "JSON file of rule parameters overriding the defaults (docs/MUSIC.md)")
	fs.StringVar(&f.format, "format", "text", "text or json")
	fs.StringVar(&f.emit, "emit", "", "also write each set_trust as the manager's notification (music.trust.changed), one JSON line each")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.ops == "" {
		fs.Usage()
		return errors.New("--ops is required")
	}
	if f.format != "text" && f.format != "json" {
		return fmt.Errorf("--format %q: want text or json", f.format)
	}
	rep, err := f.run(stderr)
	if err != nil {
		return err
	}
	if f.emit != "" {
		if err := writeNotifications(f.emit, rep.Changes); err != nil {
			return err
		}
	}
	if f.format == "json" {
		return writeJSON(stdout, rep)
	}
	return rep.writeText(stdout)
}

func (f *trustFlags) run(stderr io.Writer) (*trustReport, error) {
	e, spec, err := f.engineSpec(stderr)
	if err != nil {
		return nil, err
	}
	return f.runOn(e, spec)
}

// runOn runs --ops on the engine through the manager (the spec's metric definitions, the
// config's parameters and definitions over them) and the keeper.
func (f *trustFlags) runOn(e *runtime.Engine, spec *tables.Spec) (*trustReport, error) {
	set, err := trustSettingsFile(f.config, trust.Definitions(spec))
	if err != nil {
		return nil, err
	}
	feed, keeper, rep, err := trustFeed(e, set)
	if err != nil {
		return nil, err
	}
	if rep.Changes, err = feed.Seed(); err != nil {
		return nil, err
	}
	in, err := os.Open(f.ops)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	err = feed.Run(in, rep.add)
	rep.Providers, rep.Workflows = feed.Manager.Statuses(), keeper.Counts()
	return rep, err
}

// trustFeed is the manager with the settings over the engine, watched for stranded data and
// workflows that lose their admissible paths; the report holds what the start raised.
func trustFeed(e *runtime.Engine, set trustSettings) (*trust.Feed, *paths.Keeper, *trustReport, error) {
	m, err := trustManager(set)
	if err != nil {
		return nil, nil, nil, err
	}
	feed := trust.NewFeed(e, m)
	keeper, alerts, err := paths.Watch(feed)
	if err != nil {
		return nil, nil, nil, err
	}
	rep := &trustReport{Config: set.Config, Metrics: set.Metrics, Misses: []trustMiss{}, Alerts: []trustAlert{}}
	for _, a := range alerts {
		rep.Alerts = append(rep.Alerts, trustAlert{Alert: a})
	}
	return feed, keeper, rep, nil
}

func (r *trustReport) add(l trust.Line) {
	r.Lines++
	if l.Blocked {
		r.Blocked++
	}
	if l.Error != "" {
		r.Errors = append(r.Errors, trustError{Line: l.Line, Error: l.Error})
	}
	r.Changes = append(r.Changes, l.Changes...)
	for _, m := range l.Misses {
		r.Misses = append(r.Misses, trustMiss{Line: l.Line, Miss: m})
	}
	for _, a := range l.Alerts {
		r.Alerts = append(r.Alerts, trustAlert{Line: l.Line, Alert: a})
	}
}

// trustManager is a manager with the settings' rule and metric definitions.
func trustManager(set trustSettings) (*trust.Manager, error) {
	m, err := trust.New(set.Config)
	if err == nil {
		err = m.Define(set.Metrics)
	}
	return m, err
}

// engineSpec is the engine and the spec it runs (whose metric definitions the manager reads).
func (f *trustFlags) engineSpec(stderr io.Writer) (*runtime.Engine, *tables.Spec, error) {
	e, spec, err := specEngine(f.spec, f.snap, stderr)
	if err == nil && !hasEvent(spec, "record_outcome") {
		err = fmt.Errorf("spec %s has no music model (no event record_outcome)", f.spec)
	}
	return e, spec, err
}

// specEngine is an engine of the spec in dir (the shipped music spec when dir is ""), with
// the snapshot or checkpoint loaded when one is given.
func specEngine(dir, snap string, stderr io.Writer) (*runtime.Engine, *tables.Spec, error) {
	spec, envs := musicspec.Spec, []*celenv.Env(nil)
	if dir != "" {
		res, err := compileOne(dir, stderr)
		if err != nil {
			return nil, nil, err
		}
		spec, envs = res.Spec, res.Envs
	}
	e, err := runtime.New(spec, envs, runtime.Options{})
	if err != nil {
		return nil, nil, err
	}
	if snap != "" {
		if _, err := e.LoadSnapshotFile(snap); err != nil {
			return nil, nil, err
		}
	}
	return e, spec, nil
}

func hasEvent(spec *tables.Spec, name string) bool {
	for _, m := range spec.Models {
		for _, ev := range m.Events {
			if ev.Name == name {
				return true
			}
		}
	}
	return false
}

// trustSettingsFile is the default rule and the spec's metric definitions with the file's
// parameters and definitions over them.
func trustSettingsFile(path string, defs trust.Metrics) (trustSettings, error) {
	cfg := trustSettings{Config: trust.Default(), Metrics: defs}
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func writeNotifications(path string, changes []trust.Applied) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	for _, c := range changes {
		if err := enc.Encode(c.Notification()); err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}

func (r *trustReport) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "provider\tbase\tsla\texperience\treputation\tmisses\tscore\toffset\tcurrent")
	for _, s := range r.Providers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%+d\t%s\n", s.Provider, s.Base, s.SLA, experienceText(s.Experience),
			fmt.Sprintf("%.3f (%d ratings)", s.Reputation.Score, s.Reputation.Ratings), missesText(s.Misses), s.Score, s.Offset, s.Current)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	r.writeMisses(w)
	fmt.Fprintf(w, "\nset_trust operations (%d):\n", len(r.Changes))
	for _, c := range r.Changes {
		fmt.Fprintf(w, "  %s  set_trust(provider_id=%s, trust=%s)  %s -> %s  because %s  [%s]\n", lineText(c.Line), c.Provider, c.To, c.From, c.To, c.Cause, c.Verdict)
		for _, v := range c.Violations {
			fmt.Fprintf(w, "      %s\n", v)
		}
		for _, a := range c.Alerts {
			fmt.Fprintf(w, "      ALERT %s %s: %s\n", a.Kind, a.Subject, a.Message)
		}
	}
	r.writeAlerts(w)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "line %d: %s\n", e.Line, e.Error)
	}
	fmt.Fprintf(w, "%d lines, %d blocked, %d errors\n", r.Lines, r.Blocked, len(r.Errors))
	return nil
}

// writeMisses lists every measurement that missed its target, whether or not it moved a level.
func (r *trustReport) writeMisses(w io.Writer) {
	if len(r.Misses) == 0 {
		return
	}
	fmt.Fprintf(w, "\nmetric misses (%d):\n", len(r.Misses))
	for _, m := range r.Misses {
		fmt.Fprintf(w, "  %s  %s\n", lineText(m.Line), m.Miss)
	}
}

// writeAlerts lists the alerts of other operations and the workflows' admissible paths now.
func (r *trustReport) writeAlerts(w io.Writer) {
	if len(r.Alerts) > 0 {
		fmt.Fprintf(w, "\nalerts on other operations (%d):\n", len(r.Alerts))
		for _, a := range r.Alerts {
			fmt.Fprintf(w, "  %s  ALERT %s %s: %s\n", lineText(a.Line), a.Kind, a.Subject, a.Message)
		}
	}
	if len(r.Workflows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nadmissible paths per workflow:\n")
	for _, id := range slices.Sorted(maps.Keys(r.Workflows)) {
		fmt.Fprintf(w, "  %s  %d\n", id, r.Workflows[id])
	}
	fmt.Fprintln(w)
}

func lineText(n int) string {
	if n == 0 {
		return "snapshot"
	}
	return fmt.Sprintf("line %d", n)
}

func experienceText(x trust.Experience) string {
	return fmt.Sprintf("%.3f (%d completed, %d failed, %d violated)", x.Score, x.Completed, x.Failed, x.Violated)
}

func missesText(ms []trust.Metric) string {
	if len(ms) == 0 {
		return "-"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, "; ")
}
