package main

import (
	"errors"
	"fmt"
	"io"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/dsl"
)

func init() {
	register(&command{
		name:    "check",
		summary: "check specs and report every error as file:line:col: message",
		usage:   "PATH...  (a spec directory, a .pvsc file, or DIR/... for every spec below DIR)",
		run:     runCheck,
	})
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["check"], stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	dirs, err := specDirs(fs.Args())
	if err != nil {
		return err
	}
	failed := false
	for _, dir := range dirs {
		res, err := compileUnit(dir)
		if err != nil {
			failed = true
			printCompileError(stderr, err)
			continue
		}
		fmt.Fprintf(stdout, "ok  %s  (%d models, %d operation blocks, %d properties)\n", dir, len(res.Spec.Models), len(res.Spec.Clouds), len(res.Spec.Properties))
	}
	if failed {
		return exitError{code: 1}
	}
	return nil
}

// printCompileError prints diagnostics one per line, or a plain error.
func printCompileError(w io.Writer, err error) {
	var ds dsl.Diagnostics
	if errors.As(err, &ds) {
		for _, d := range ds {
			fmt.Fprintln(w, d.String())
		}
		return
	}
	fmt.Fprintln(w, err)
}

// compileOne compiles exactly one spec directory, printing diagnostics.
func compileOne(path string, stderr io.Writer) (*compiler.Result, error) {
	dirs, err := specDirs([]string{path})
	if err != nil {
		return nil, err
	}
	if len(dirs) != 1 {
		return nil, fmt.Errorf("%s: names %d spec directories; give one", path, len(dirs))
	}
	res, err := compileUnit(dirs[0])
	if err != nil {
		printCompileError(stderr, err)
		return nil, exitError{code: 1}
	}
	return res, nil
}
