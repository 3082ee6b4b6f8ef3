package main

import (
	"errors"
	"fmt"
	"io"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/compiler/conform"
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
	samples := fs.String("samples", "", "also check every row's document paths against the real messages in this folder (REST calls, notifications, snapshots)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dirs, err := specDirs(fs.Args())
	if err != nil {
		return err
	}
	var corpus *conform.Corpus
	if *samples != "" {
		if corpus, err = conform.Load(*samples); err != nil {
			return err
		}
	}
	failed := false
	for _, dir := range dirs {
		failed = !checkUnit(dir, corpus, stdout, stderr) || failed
	}
	if failed {
		return exitError{code: 1}
	}
	return nil
}

// checkUnit compiles one spec and, given a corpus, checks its rows against it; it reports whether all is well.
func checkUnit(dir string, corpus *conform.Corpus, stdout, stderr io.Writer) bool {
	res, err := compileUnit(dir)
	if err != nil {
		printCompileError(stderr, err)
		return false
	}
	metrics := ""
	if n := len(res.Spec.Metrics); n > 0 {
		metrics = fmt.Sprintf(", %d metrics", n)
	}
	fmt.Fprintf(stdout, "ok  %s  (%d models, %d operation blocks, %d properties%s)\n", dir, len(res.Spec.Models), len(res.Spec.Clouds), len(res.Spec.Properties), metrics)
	for _, d := range compiler.Coverage(res) {
		fmt.Fprintln(stderr, d.String())
	}
	if corpus == nil {
		return true
	}
	rep := conform.Check(res, corpus)
	rep.Diags.AttachFiles()
	printCompileError(stderr, rep.Diags.Err())
	fmt.Fprintf(stdout, "    rows: %d checked against %d sample files, %d with no sample (unchecked)\n", rep.Checked, corpus.Files, len(rep.Unsampled))
	for _, u := range rep.Unsampled {
		fmt.Fprintf(stdout, "    unchecked: %s\n", u)
	}
	return len(rep.Diags) == 0
}

// printCompileError prints diagnostics one per line, or a plain error; nil prints nothing.
func printCompileError(w io.Writer, err error) {
	if err == nil {
		return
	}
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
