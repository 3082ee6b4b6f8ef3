package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/replay"
	"pvsc.dev/pvsc/runtime/workload"
	"pvsc.dev/pvsc/server/idmef"
	"pvsc.dev/pvsc/solver/satengine"
)

func init() {
	register(&command{
		name:    "replay",
		summary: "run an operation stream through the verifier: one decision per line, then counts and time per phase",
		usage:   "--spec DIR [--snapshot FILE] --ops FILE.jsonl [--out FILE] [--dry-run] [--property P,...] [--engine proactive|sat] [--idmef FILE]",
		run:     runReplay,
	})
	register(&command{
		name:    "workload",
		summary: "generate a seeded snapshot and operation stream for a shipped spec (openstack or music)",
		usage:   "--kind openstack|music --snapshot FILE --ops FILE.jsonl [--tenants N] [--ports N] [--count N] [--seed N] [--native]",
		run:     runWorkload,
	})
}

func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["replay"], stderr)
	spec := fs.String("spec", "", "spec directory")
	snapshot := fs.String("snapshot", "", "cloud snapshot (the JSON of the list APIs) to start from")
	opsPath := fs.String("ops", "", "operations, one JSON document a line (neutral form, notifications, REST calls)")
	outPath := fs.String("out", "", "write the decision lines here instead of stdout (the summary then goes to stdout)")
	dryRun := fs.Bool("dry-run", false, "report verdicts without blocking: every operation is applied")
	props := fs.String("property", "", "run only these properties (comma-separated)")
	cloud := fs.String("cloud", "", "use only this cloud's operation blocks")
	engine := fs.String("engine", "proactive", "proactive (watchlists, one lookup) or sat (intercept-and-check: every critical operation solved by SAT on the full state)")
	idmefPath := fs.String("idmef", "", "also write every violation (deny, alert, log) as an IDMEF-Message document (RFC 4765) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *engine != "proactive" && *engine != "sat" {
		return fmt.Errorf("--engine %q: want proactive or sat", *engine)
	}
	if *spec == "" || *opsPath == "" {
		fs.Usage()
		return errors.New("--spec and --ops are required")
	}
	res, err := compileOne(*spec, stderr)
	if err != nil {
		return err
	}
	opt := runtime.Options{DryRun: *dryRun, Timing: true, Cloud: *cloud}
	if *props != "" {
		opt.Properties = strings.Split(*props, ",")
	}
	e, proc, err := replayEngine(*engine, res, opt)
	if err != nil {
		return err
	}
	summaryOut := stderr
	if *snapshot != "" {
		t0 := time.Now()
		st, err := e.LoadSnapshotFile(*snapshot)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "snapshot %s: %d records, %d watchlists built in %v", *snapshot, st.Records, st.Watchlists, time.Since(t0).Round(time.Millisecond))
		if len(st.Ignored) > 0 {
			fmt.Fprintf(stderr, " (collections no row reads: %s)", strings.Join(st.Ignored, ", "))
		}
		fmt.Fprintln(stderr)
	}
	in, err := os.Open(*opsPath)
	if err != nil {
		return err
	}
	defer in.Close()
	out := stdout
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		out, summaryOut = f, stdout
	}
	var alerts []idmef.Alert
	observe := func(l replay.Line) { alerts = append(alerts, alertsOf(res, l)...) }
	s, err := replay.RunObserved(e, proc, in, out, observe)
	if err != nil {
		return err
	}
	if *idmefPath != "" {
		if err := writeWith(*idmefPath, func(w io.Writer) error {
			return idmef.Encode(w, idmef.Analyzer{ID: "pvsc-replay", Name: "pvsc", Version: "replay"}, alerts)
		}); err != nil {
			return err
		}
		fmt.Fprintf(summaryOut, "%d IDMEF alerts written to %s\n", len(alerts), *idmefPath)
	}
	return s.WriteText(summaryOut)
}

// alertsOf turns a decision line's violations into IDMEF alerts.
func alertsOf(res *compiler.Result, l replay.Line) []idmef.Alert {
	var out []idmef.Alert
	for _, c := range l.Checks {
		if c.Verdict != "deny" && c.Verdict != "alert" && c.Verdict != "log" {
			continue
		}
		a := idmef.Alert{Time: time.Now(), Property: c.Property, Event: l.Op, Operation: fmt.Sprintf("%s (line %d)", l.Op, l.Line),
			Scope: c.Scope, Verdict: c.Verdict, Blocked: l.Blocked, Reason: c.Reason}
		if p := res.Spec.Property(c.Property); p != nil {
			a.Doc = p.Doc
		}
		out = append(out, a)
	}
	return out
}

// replayEngine builds the engine --engine names; the runtime engine it
// returns holds the context and decodes operations.
func replayEngine(name string, res *compiler.Result, opt runtime.Options) (*runtime.Engine, replay.Processor, error) {
	if name == "sat" {
		sat, err := satengine.New(res.Spec, res.Envs, opt)
		if err != nil {
			return nil, nil, err
		}
		return sat.Runtime(), satProcessor{sat}, nil
	}
	e, err := runtime.New(res.Spec, res.Envs, opt)
	return e, replay.Proactive(e), err
}

// satProcessor is the intercept-and-check engine as replay's Processor.
type satProcessor struct{ e *satengine.Engine }

func (p satProcessor) Process(op *runtime.Op) replay.Outcome {
	d := p.e.Process(op)
	out := replay.Outcome{Op: p.e.Runtime().Spec().Models[op.Model].Events[op.Event].Name, Verdict: d.Verdict(), Blocked: d.Blocked, Err: d.Err}
	for _, c := range d.Checks {
		out.Checks = append(out.Checks, runtime.CheckRecord{Property: c.Property, Kind: "CE", Verdict: c.Verdict.String(),
			Reason: fmt.Sprintf("%s (SAT: %d variables, %d clauses)", c.Reason, c.Vars, c.Clauses)})
	}
	return out
}

func (p satProcessor) Phases() map[string]time.Duration {
	return map[string]time.Duration{"intercept-and-check": p.e.Checking}
}

func runWorkload(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["workload"], stderr)
	kind := fs.String("kind", "openstack", "openstack (specs/openstack) or music (specs/music)")
	snapshot := fs.String("snapshot", "", "write the snapshot here")
	opsPath := fs.String("ops", "", "write the operations here")
	cfg := workload.Config{AttackRate: 0.3}
	fs.IntVar(&cfg.Tenants, "tenants", 100, "projects (organisations for music)")
	fs.IntVar(&cfg.PortsPerTenant, "ports", 10, "ports per project (data objects per organisation for music)")
	fs.IntVar(&cfg.Ops, "count", 1000, "operations in the stream")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	fs.BoolVar(&cfg.Native, "native", false, "OpenStack wire shapes (notifications, REST calls) instead of the neutral form")
	fs.Float64Var(&cfg.AttackRate, "attacks", 0.3, "share of critical port updates that are the OSSA-2015-018 move")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *snapshot == "" || *opsPath == "" {
		fs.Usage()
		return errors.New("--snapshot and --ops are required")
	}
	var w *workload.Workload
	switch *kind {
	case "openstack":
		w = workload.OpenStack(cfg)
	case "music":
		w = workload.Music(cfg)
	default:
		return fmt.Errorf("--kind %q: want openstack or music", *kind)
	}
	if err := writeWith(*snapshot, w.WriteSnapshot); err != nil {
		return err
	}
	if err := writeWith(*opsPath, w.WriteOps); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (%d operations)\n", *snapshot, *opsPath, len(w.Ops))
	return nil
}

func writeWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
