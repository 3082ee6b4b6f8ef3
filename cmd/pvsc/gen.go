package main

import (
	"errors"
	"fmt"
	"io"

	"pvsc.dev/pvsc/gen"
)

func init() {
	register(&command{
		name:    "gen",
		summary: "generate Go source of a spec's tables (written only when its bytes change)",
		usage:   "[-o FILE] [-pkg NAME] DIR",
		run:     runGen,
	})
}

func runGen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["gen"], stderr)
	out := fs.String("o", "", "output file (default DIR/tables_gen.go; - for stdout)")
	pkg := fs.String("pkg", "", "Go package name (default: the package of DIR's Go files, else the directory name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want exactly one spec DIR")
	}
	res, err := compileOne(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	t := gen.Target{Dir: fs.Arg(0), Out: *out, Package: *pkg}
	if *out == "-" {
		src, err := gen.Source(res.Spec, t)
		if err == nil {
			_, err = stdout.Write(src)
		}
		return err
	}
	path, wrote, err := gen.Write(res.Spec, t)
	if wrote {
		fmt.Fprintf(stdout, "wrote %s\n", path)
	}
	return err
}
