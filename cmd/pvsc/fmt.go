package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"pvsc.dev/pvsc/dsl"
)

func init() {
	register(&command{
		name:    "fmt",
		summary: "print specs in canonical form (comments kept); -w rewrites the files",
		usage:   "[-w] [-l] PATH...",
		run:     runFmt,
	})
}

func runFmt(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["fmt"], stderr)
	write := fs.Bool("w", false, "write the result to the file instead of stdout")
	list := fs.Bool("l", false, "only list the files whose formatting differs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files, err := specFiles(fs.Args())
	if err != nil {
		return err
	}
	failed := false
	for _, f := range files {
		if err := fmtFile(f, *write, *list, stdout); err != nil {
			printCompileError(stderr, err)
			failed = true
		}
	}
	if failed {
		return exitError{code: 1}
	}
	return nil
}

func fmtFile(path string, write, list bool, stdout io.Writer) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := dsl.Parse(path, src)
	if err != nil {
		return err
	}
	out := dsl.Format(f)
	switch {
	case list:
		if !bytes.Equal(src, out) {
			fmt.Fprintln(stdout, path)
		}
	case write:
		if !bytes.Equal(src, out) {
			return os.WriteFile(path, out, 0o644)
		}
	default:
		_, err = stdout.Write(out)
	}
	return err
}

// specFiles expands paths to .pvsc files: files as given, directories (and DIR/...) to their .pvsc files.
func specFiles(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("no spec path given")
	}
	var out []string
	for _, a := range args {
		if filepath.Ext(a) == ".pvsc" {
			out = append(out, a)
			continue
		}
		dirs, err := specDirs([]string{a})
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			m, _ := filepath.Glob(filepath.Join(d, "*.pvsc"))
			out = append(out, m...)
		}
	}
	return out, nil
}
