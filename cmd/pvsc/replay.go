package main

import (
	"errors"
	"fmt"
	"io"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/replay"
	"pvsc.dev/pvsc/server/idmef"
	"pvsc.dev/pvsc/server/revision"
	"pvsc.dev/pvsc/solver/satengine"
)

func init() {
	register(&command{
		name:    "replay",
		summary: "run an operation stream through the verifier: one decision per line, then counts and time per phase",
		usage:   "--spec DIR [--snapshot FILE] --ops FILE.jsonl [--out FILE] [--dry-run] [--property P,...] [--engine proactive|sat] [--idmef FILE]",
		run:     runReplay,
	})
}

type replayFlags struct {
	job                      replay.Job
	opt                      runtime.Options
	spec, props, engine, out string
}

func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["replay"], stderr)
	var f replayFlags
	fs.StringVar(&f.spec, "spec", "", "spec directory")
	fs.StringVar(&f.job.Snapshot, "snapshot", "", "cloud snapshot (the JSON of the list APIs), or a pvsc checkpoint, to start from")
	fs.StringVar(&f.job.Ops, "ops", "", "operations, one JSON document a line (neutral form, notifications, REST calls)")
	fs.StringVar(&f.job.Out, "out", "", "write the decision lines here instead of stdout (the summary then goes to stdout)")
	fs.BoolVar(&f.opt.DryRun, "dry-run", false, "report verdicts without blocking: every operation is applied")
	fs.StringVar(&f.props, "property", "", "run only these properties (comma-separated)")
	registerCloudBlock(fs, &f.opt.Cloud)
	fs.StringVar(&f.engine, "engine", "proactive", "proactive (watchlists, one lookup) or sat (intercept-and-check: every critical operation solved by SAT on the full state)")
	fs.StringVar(&f.out, "idmef", "", "also write every violation (deny, alert, log) as an IDMEF-Message document (RFC 4765) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.spec == "" || f.job.Ops == "" {
		fs.Usage()
		return errors.New("--spec and --ops are required")
	}
	f.job.Stdout, f.job.Stderr = stdout, stderr
	f.job.Fresh = revision.NewGuard().Fresh // a late re-delivery does not undo a newer state, as in serve
	return f.run()
}

func (f *replayFlags) run() error {
	if f.engine != "proactive" && f.engine != "sat" {
		return fmt.Errorf("--engine %q: want proactive or sat", f.engine)
	}
	res, err := compileOne(f.spec, f.job.Stderr)
	if err != nil {
		return err
	}
	f.opt.Timing, f.opt.Properties = true, list(f.props)
	if err := f.engines(res); err != nil {
		return err
	}
	var alerts []idmef.Alert
	f.job.Observe = func(l replay.Line) { alerts = append(alerts, idmef.FromLine(l, res.Spec.Doc)...) }
	s, summary, err := f.job.Run()
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := idmef.WriteFile(f.out, idmef.Analyzer{ID: "pvsc-replay", Name: "pvsc", Version: "replay"}, alerts); err != nil {
			return err
		}
		fmt.Fprintf(summary, "%d IDMEF alerts written to %s\n", len(alerts), f.out)
	}
	return s.WriteText(summary)
}

// engines builds the engine --engine names; the runtime engine holds the context and decodes operations.
func (f *replayFlags) engines(res *compiler.Result) error {
	if f.engine == "sat" {
		sat, err := satengine.New(res.Spec, res.Envs, f.opt)
		if err != nil {
			return err
		}
		f.job.Engine, f.job.Proc = sat.Runtime(), sat.Processor()
		return nil
	}
	e, err := runtime.New(res.Spec, res.Envs, f.opt)
	f.job.Engine = e
	return err
}
