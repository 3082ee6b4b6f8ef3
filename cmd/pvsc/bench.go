package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"pvsc.dev/pvsc/lab/benchrun"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "reproduce the paper's experiments (Fig. 9, Fig. 10, Table 2): proactive against SAT intercept-and-check and OPA",
		usage:   "[-quick] [-scale] [-catalogue] [-property P,...] [-datasets 1-10] [-out DIR] [-opa PATH|auto|off]",
		run:     runBench,
	})
}

type benchFlags struct {
	quick, scale, keep, noSATFull, verbose bool
	catalogue                              bool
	props, out, datasets, opa, progress    string
	workdir                                string
	seed                                   uint64
	ops, repeat, warmup, stream, initRuns  int
	satBudget                              time.Duration
}

func (b *benchFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&b.quick, "quick", false, "a small grid (three datasets at 2% of the paper's) that CI runs in seconds")
	fs.BoolVar(&b.catalogue, "catalogue", false, "every shipped OpenStack property on at once: start-up (JSON, checkpoint), memory, every operation per phase and per property, rare paths, decode + match; 10k and 100k ports (1M with -scale)")
	fs.BoolVar(&b.scale, "scale", false, "extend the grid to 10× its largest dataset (1,000,000 ports, 100,000 tenants) for the proactive engine")
	fs.StringVar(&b.props, "property", strings.Join(benchrun.DefaultProperties, ","), "shipped OpenStack properties to measure, comma-separated")
	fs.StringVar(&b.datasets, "datasets", "", "grid points to run, e.g. 1-10 or 1,5,10 (default: all)")
	fs.StringVar(&b.out, "out", "", "output folder (default bench-out, or bench-out/quick with -quick)")
	fs.StringVar(&b.opa, "opa", "auto", "pvsc-opa binary: a path, auto (bin/pvsc-opa, then PATH) or off")
	fs.StringVar(&b.progress, "progress", "auto", "progress bar on stderr: auto (on a terminal), on or off")
	fs.StringVar(&b.workdir, "workdir", "", "folder for the generated snapshots (default a temporary one)")
	fs.BoolVar(&b.keep, "keep", false, "keep the generated snapshots in -workdir")
	fs.Uint64Var(&b.seed, "seed", 1, "seed of the clouds and operations")
	fs.IntVar(&b.ops, "ops", 0, "critical operations per dataset and property (default 10, quick 6)")
	fs.IntVar(&b.repeat, "repeat", 0, "timed decisions per operation (default 100, quick 20)")
	fs.IntVar(&b.warmup, "warmup", -1, "untimed decisions per operation first (default 10, quick 5)")
	fs.IntVar(&b.stream, "stream", 0, "mixed operations replayed for the time per phase (default 3000, quick 400)")
	fs.IntVar(&b.initRuns, "init-runs", 0, "timed watchlist initialisations (default 5, quick 3)")
	fs.DurationVar(&b.satBudget, "sat-budget", 0, "time the full SAT baseline may spend per dataset and property (default 30s, quick 5s)")
	fs.BoolVar(&b.noSATFull, "no-sat-full", false, "skip the full SAT baseline (keep the incremental one)")
	fs.BoolVar(&b.verbose, "v", false, "log each finished step on stderr")
}

func runBench(args []string, stdout, stderr io.Writer) error {
	var b benchFlags
	fs := newFlags(commands["bench"], stderr)
	b.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if b.catalogue {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return b.runCatalogue(ctx, stdout, stderr)
	}
	cfg, out, err := b.config(stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := benchrun.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := res.Write(out); err != nil {
		return err
	}
	summary(stdout, res, out)
	if n := res.Disagreements(); n > 0 {
		return fmt.Errorf("%d verdicts differ from the expected ones (see %s/%s)", n, out, benchrun.ReportFile)
	}
	return nil
}

// config turns the flags into a benchmark configuration and its output folder.
func (b *benchFlags) config(stderr io.Writer) (benchrun.Config, string, error) {
	cfg, out := benchrun.Full(), "bench-out"
	if b.quick {
		cfg, out = benchrun.Quick(), "bench-out/quick"
	}
	if b.out != "" {
		out = b.out
	}
	if b.datasets != "" {
		ds, err := pickDatasets(cfg.Datasets, b.datasets)
		if err != nil {
			return cfg, "", err
		}
		cfg.Datasets = ds
	}
	if b.scale {
		cfg.Datasets = append(cfg.Datasets, benchrun.ScalePoints(cfg.Datasets)...)
	}
	cfg.Properties = strings.Split(b.props, ",")
	cfg.Seed, cfg.WorkDir, cfg.Keep = b.seed, b.workdir, b.keep
	b.sizes(&cfg)
	if err := b.opaPeer(&cfg, stderr); err != nil {
		return cfg, "", err
	}
	if b.verbose {
		cfg.Log = stderr
	}
	tty := isTerminal(stderr)
	if b.progress == "on" || (b.progress == "auto" && tty) {
		cfg.Progress, cfg.TTY = stderr, tty
	}
	return cfg, out, nil
}

// sizes applies the run-size flags that were given.
func (b *benchFlags) sizes(cfg *benchrun.Config) {
	for _, o := range []struct {
		dst *int
		v   int
	}{{&cfg.Ops, b.ops}, {&cfg.Repeat, b.repeat}, {&cfg.StreamOps, b.stream}, {&cfg.InitRuns, b.initRuns}} {
		if o.v > 0 {
			*o.dst = o.v
		}
	}
	if b.warmup >= 0 {
		cfg.Warmup = b.warmup
	}
	if b.satBudget > 0 {
		cfg.SATBudget = b.satBudget
	}
	cfg.SATFull = !b.noSATFull
}

// opaPeer finds the pvsc-opa binary -opa names.
func (b *benchFlags) opaPeer(cfg *benchrun.Config, stderr io.Writer) error {
	switch b.opa {
	case "off":
	case "auto":
		if p := benchrun.FindOPA(); p != "" {
			cfg.OPA = benchrun.OPACommand{Path: p}
		} else {
			fmt.Fprintln(stderr, "pvsc bench: no pvsc-opa binary (bin/pvsc-opa or on PATH): OPA is not measured; build it with: cd lab/opa && go build -o ../../bin/pvsc-opa ./cmd/pvsc-opa")
		}
	default:
		if _, err := os.Stat(b.opa); err != nil {
			return fmt.Errorf("-opa: %w", err)
		}
		cfg.OPA = benchrun.OPACommand{Path: b.opa}
	}
	return nil
}

// pickDatasets selects grid points by 1-based index: "3", "1-10", "1,5,10".
func pickDatasets(grid []benchrun.Dataset, spec string) ([]benchrun.Dataset, error) {
	var out []benchrun.Dataset
	bad := errors.New("-datasets " + spec + ": want indexes 1.." + strconv.Itoa(len(grid)) + " like 1-10 or 1,5,10")
	for _, part := range strings.Split(spec, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, bad
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return nil, bad
			}
		}
		if a < 1 || b > len(grid) || a > b {
			return nil, bad
		}
		out = append(out, grid[a-1:b]...)
	}
	return out, nil
}

// summary prints the ratios of each dataset and where the report is.
func summary(w io.Writer, res *benchrun.Results, out string) {
	fmt.Fprintf(w, "%-8s %9s %8s %-17s %12s %12s %12s %16s %14s\n", "dataset", "ports", "tenants", "property", "proactive", "SAT", "OPA", "proactive:SAT", "proactive:OPA")
	for _, d := range res.Datasets {
		for i := range d.Properties {
			pr := &d.Properties[i]
			med := func(e string) string {
				if er := pr.Engine(e); er != nil && er.Skipped == "" && er.Timings.All.N > 0 {
					return benchrun.Dur(er.Timings.All.Median)
				}
				return "–"
			}
			fmt.Fprintf(w, "%-8s %9d %8d %-17s %12s %12s %12s %16s %14s\n", d.Name, d.Sizes.Ports, d.Sizes.Tenants, pr.Property,
				med(benchrun.Proactive), med(benchrun.SATFull), med(benchrun.OPA), benchrun.Ratio(pr.Ratio(benchrun.SATFull)), benchrun.Ratio(pr.Ratio(benchrun.OPA)))
		}
	}
	fmt.Fprintf(w, "report: %s/%s (took %s)\n", out, benchrun.ReportFile, res.Took.Round(time.Second))
}
