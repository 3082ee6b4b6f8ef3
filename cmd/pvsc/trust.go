package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

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
	Providers []trust.Status  `json:"providers"`
	Changes   []trust.Applied `json:"set_trust"`
	Errors    []trustError    `json:"errors,omitempty"`
	Lines     int             `json:"lines"`
	Blocked   int             `json:"blocked"`
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
	cfg, err := trustConfig(f.config)
	if err != nil {
		return nil, err
	}
	e, err := f.engine(stderr)
	if err != nil {
		return nil, err
	}
	m, err := trust.New(cfg)
	if err != nil {
		return nil, err
	}
	feed := trust.NewFeed(e, m)
	rep := &trustReport{Config: cfg, Changes: []trust.Applied{}}
	if rep.Changes, err = feed.Seed(); err != nil {
		return nil, err
	}
	in, err := os.Open(f.ops)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	err = feed.Run(in, rep.add)
	rep.Providers = m.Statuses()
	return rep, err
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
}

// engine is the proactive engine of the music model, with the snapshot loaded.
func (f *trustFlags) engine(stderr io.Writer) (*runtime.Engine, error) {
	spec, envs := musicspec.Spec, []*celenv.Env(nil)
	if f.spec != "" {
		res, err := compileOne(f.spec, stderr)
		if err != nil {
			return nil, err
		}
		spec, envs = res.Spec, res.Envs
	}
	if !hasEvent(spec, "record_outcome") {
		return nil, fmt.Errorf("spec %s has no music model (no event record_outcome)", f.spec)
	}
	e, err := runtime.New(spec, envs, runtime.Options{})
	if err != nil {
		return nil, err
	}
	if f.snap != "" {
		if _, err := e.LoadSnapshotFile(f.snap); err != nil {
			return nil, err
		}
	}
	return e, nil
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

// trustConfig is the default rule with the file's parameters over it.
func trustConfig(path string) (trust.Config, error) {
	cfg := trust.Default()
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
	fmt.Fprintf(w, "\nset_trust operations (%d):\n", len(r.Changes))
	for _, c := range r.Changes {
		fmt.Fprintf(w, "  %s  set_trust(provider_id=%s, trust=%s)  %s -> %s  because %s  [%s]\n", lineText(c.Line), c.Provider, c.To, c.From, c.To, c.Cause, c.Verdict)
		for _, v := range c.Violations {
			fmt.Fprintf(w, "      %s\n", v)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "line %d: %s\n", e.Line, e.Error)
	}
	fmt.Fprintf(w, "%d lines, %d blocked, %d errors\n", r.Lines, r.Blocked, len(r.Errors))
	return nil
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
