package main

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strings"

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
	dir := filepath.Clean(fs.Arg(0))
	if filepath.Ext(dir) == ".pvsc" {
		dir = filepath.Dir(dir)
	}
	if *pkg == "" {
		*pkg = goPackage(dir, gen.PackageName(res.Spec.Name))
	}
	src, err := gen.Generate(res.Spec, gen.Options{Package: *pkg, Source: "pvsc gen " + filepath.ToSlash(dir)})
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err = stdout.Write(src)
		return err
	}
	if *out == "" {
		*out = filepath.Join(dir, "tables_gen.go")
	}
	wrote, err := gen.WriteIfChanged(*out, src)
	if err != nil {
		return err
	}
	if wrote {
		fmt.Fprintf(stdout, "wrote %s\n", *out)
	}
	return nil
}

// goPackage finds the package name of the hand-written Go files in dir.
func goPackage(dir, fallback string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fallback
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_gen.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.PackageClauseOnly)
		if err == nil {
			return f.Name.Name
		}
	}
	return fallback
}
