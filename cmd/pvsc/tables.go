package main

import (
	"errors"
	"io"

	"pvsc.dev/pvsc/compiler/report"
)

func init() {
	register(&command{
		name:    "tables",
		summary: "print the five PVSC tables of a spec (aligned text, or JSON)",
		usage:   "[--property P] [--json] PATH",
		run:     runTables,
	})
}

func runTables(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["tables"], stderr)
	property := fs.String("property", "", "only this property's tables (and its model's operations)")
	asJSON := fs.Bool("json", false, "print JSON for tools instead of aligned text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want exactly one spec PATH")
	}
	res, err := compileOne(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	r, err := report.Build(res.Spec, *property)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, r)
	}
	return r.WriteText(stdout)
}
