package main

import (
	"fmt"
	"io"
	"os"

	"pvsc.dev/pvsc/examples"
)

func init() {
	register(&command{
		name:    "demo",
		summary: "run the example scenarios (OSSA-2015-018, a cross-domain Keystone grant, a MuSIC workflow, the MuSIC navigation journey) step by step",
		usage:   "[--specs DIR] [NAME...]",
		run:     runDemo,
	})
}

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["demo"], stderr)
	specs := fs.String("specs", "specs", "directory holding the shipped spec directories")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat(*specs); err != nil {
		return fmt.Errorf("specs directory %s: %w (run from the repository root or give --specs)", *specs, err)
	}
	want := map[string]bool{}
	for _, n := range fs.Args() {
		want[n] = true
	}
	ran := 0
	for _, x := range examples.All() {
		if len(want) > 0 && !want[x.ID()] {
			continue
		}
		if err := x.Run(*specs, stdout); err != nil {
			return fmt.Errorf("example %s: %w", x.ID(), err)
		}
		ran++
	}
	if ran == 0 {
		return fmt.Errorf("no example named %v", fs.Args())
	}
	return nil
}
