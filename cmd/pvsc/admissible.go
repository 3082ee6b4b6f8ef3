package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"pvsc.dev/pvsc/music/paths"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
)

func init() {
	register(&command{
		name:    "workflows",
		summary: "list a MuSIC workflow's admissible paths through the community (a service and provider per step), cheapest first",
		usage:   "--snapshot FILE (--data ID | --class LEVEL [--tags T,...]) --steps KIND,... [--ops FILE.jsonl] [--limit N] [--format text|json] [--spec DIR]",
		run:     runWorkflows,
	})
}

type workflowFlags struct {
	trust                       trustFlags
	data, class, tags, steps, f string
	limit                       int
}

// workflowReport is what pvsc workflows prints: the paths, and the trust changes the
// operations caused before they were computed.
type workflowReport struct {
	paths.Result
	SetTrust []trust.Applied `json:"set_trust"`
}

func runWorkflows(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["workflows"], stderr)
	var f workflowFlags
	fs.StringVar(&f.trust.snap, "snapshot", "", "community snapshot (providers, services, data_objects, ...), or a checkpoint")
	fs.StringVar(&f.trust.ops, "ops", "", "operations to run first (through the trust level manager: its set_trust changes the levels the paths read)")
	fs.StringVar(&f.trust.spec, "spec", "", "music spec directory (default: the shipped specs/music tables)")
	fs.StringVar(&f.trust.config, "config", "", "trust rule parameters (as pvsc trust --config)")
	fs.StringVar(&f.data, "data", "", "the workflow's data object (its class and tags come from the snapshot)")
	fs.StringVar(&f.class, "class", "", "or the data's protection class (public, internal, confidential, secret)")
	fs.StringVar(&f.tags, "tags", "", "and its tags (comma-separated)")
	fs.StringVar(&f.steps, "steps", "", "the workflow's steps, in order, as service kinds (comma-separated)")
	fs.IntVar(&f.limit, "limit", 10, "list at most this many paths (the count is of all)")
	fs.StringVar(&f.f, "format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.trust.snap == "" || f.steps == "" || (f.data == "") == (f.class == "") {
		fs.Usage()
		return errors.New("--snapshot, --steps and one of --data or --class are required")
	}
	if f.f != "text" && f.f != "json" {
		return fmt.Errorf("--format %q: want text or json", f.f)
	}
	rep, err := f.run(stderr)
	if err != nil {
		return err
	}
	if f.f == "json" {
		return writeJSON(stdout, rep)
	}
	return rep.writeText(stdout)
}

func (f *workflowFlags) run(stderr io.Writer) (*workflowReport, error) {
	e, spec, err := f.trust.engineSpec(stderr)
	if err != nil {
		return nil, err
	}
	rep := &workflowReport{SetTrust: []trust.Applied{}}
	if f.trust.ops != "" {
		// As pvsc trust runs them: the same manager, metric definitions and keeper (a step
		// off every admissible path is refused), so the paths read the levels it would.
		tr, err := f.trust.runOn(e, spec)
		if err != nil {
			return nil, err
		}
		rep.SetTrust = tr.Changes
	}
	c, err := paths.FromEngine(e)
	if err != nil {
		return nil, err
	}
	w, err := f.workflow(e)
	if err != nil {
		return nil, err
	}
	rep.Result = paths.Admissible(c, w, f.limit)
	return rep, nil
}

func (f *workflowFlags) workflow(e *runtime.Engine) (paths.Workflow, error) {
	w := paths.Workflow{Steps: list(f.steps)}
	if f.data != "" {
		d, err := paths.DataFromEngine(e, f.data)
		w.Data = d
		return w, err
	}
	cl, err := trust.ParseLevel(f.class)
	w.Data = paths.Data{Class: cl, Tags: list(f.tags)}
	if w.Data.Tags == nil {
		w.Data.Tags = []string{}
	}
	return w, err
}

func (r *workflowReport) writeText(w io.Writer) error {
	for _, c := range r.SetTrust {
		fmt.Fprintf(w, "%s: set_trust(provider_id=%s, trust=%s)  %s -> %s  because %s\n", lineText(c.Line), c.Provider, c.To, c.From, c.To, c.Cause)
	}
	d := r.Workflow.Data
	name := d.ID
	if name == "" {
		name = "data"
	}
	fmt.Fprintf(w, "workflow: %s (%s, tags %s), steps %s\n", name, d.Class, orNone(d.Tags), strings.Join(r.Workflow.Steps, " -> "))
	for i, s := range r.Steps {
		fmt.Fprintf(w, "  step %d %s: %d admissible", i+1, s.Kind, len(s.Admissible))
		for _, c := range s.Admissible {
			fmt.Fprintf(w, "  %s (%d)", c, c.Cost)
		}
		fmt.Fprintln(w)
		for _, x := range s.Rejected {
			fmt.Fprintf(w, "      not %s@%s: %s\n", x.Service, x.Provider, x.Reason)
		}
	}
	return r.writePaths(w)
}

func (r *workflowReport) writePaths(w io.Writer) error {
	if r.Total == 0 {
		var none []string
		for i, s := range r.Steps {
			if len(s.Admissible) == 0 {
				none = append(none, fmt.Sprintf("step %d (%s)", i+1, s.Kind))
			}
		}
		_, err := fmt.Fprintf(w, "no admissible path: no admissible service for %s\n", strings.Join(none, ", "))
		return err
	}
	plural := "s"
	if r.Total == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "%d admissible path%s, %d listed, cheapest first:\n", r.Total, plural, len(r.Paths))
	for i, p := range r.Paths {
		parts := make([]string, len(p.Steps))
		for k, c := range p.Steps {
			parts[k] = c.String()
		}
		fmt.Fprintf(w, "  %d. cost %d  %s\n", i+1, p.Cost, strings.Join(parts, " -> "))
	}
	return nil
}

func orNone(tags []string) string {
	if len(tags) == 0 {
		return "none"
	}
	return strings.Join(tags, ",")
}
