package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"pvsc.dev/pvsc/lab/difftest"
)

func init() {
	register(&command{
		name:    "difftest",
		summary: "run seeded random clouds and operations through the proactive and the SAT engine; report any verdict that differs",
		usage:   "[--ops N] [--seed N] [--out DIR] [--critical F] [--violating F] [--redeliver F] [--workers N] [specs/openstack specs/music]",
		run:     runDifftest,
	})
}

func runDifftest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["difftest"], stderr)
	var cfg difftest.Config
	fs.IntVar(&cfg.Ops, "ops", 10_000, "operations to run over all episodes")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed (a mismatch names the seed that reproduces it)")
	fs.StringVar(&cfg.ReproDir, "out", "difftest-out", "write the shrunk reproduction of each mismatch under this directory")
	fs.Float64Var(&cfg.Critical, "critical", 0.4, "share of operations drawn to be critical for some property")
	fs.Float64Var(&cfg.Violating, "violating", 0.3, "share of critical operations drawn to violate their property")
	fs.Float64Var(&cfg.Redeliver, "redeliver", 0, "share of creates that re-deliver a record that exists")
	fs.IntVar(&cfg.Workers, "workers", 0, "episodes run in parallel (default: the number of CPUs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return runDifftestOn(fs.Args(), cfg, stdout, stderr)
}

func runDifftestOn(dirs []string, cfg difftest.Config, stdout, stderr io.Writer) error {
	if len(dirs) == 0 {
		dirs = []string{"specs/openstack", "specs/music"}
	}
	var specs []*difftest.Spec
	for _, d := range dirs {
		kind := filepath.Base(filepath.Clean(d))
		if kind != "openstack" && kind != "music" {
			return fmt.Errorf("%s: the differential test generates clouds for specs/openstack and specs/music only", d)
		}
		res, err := compileOne(d, stderr)
		if err != nil {
			return err
		}
		specs = append(specs, &difftest.Spec{Kind: kind, Dir: d, Res: res})
	}
	cfg.Progress = stderr
	if err := os.MkdirAll(cfg.ReproDir, 0o755); err != nil {
		return err
	}
	rep, err := difftest.Run(specs, cfg)
	if err != nil {
		return err
	}
	rep.Write(stdout)
	if len(rep.Mismatches) > 0 {
		return errors.New("the engines disagree")
	}
	return nil
}
