package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"pvsc.dev/pvsc/compiler/report"
)

func init() {
	register(&command{
		name:    "graph",
		summary: "draw the dependency model with each configuration's N (Graphviz DOT, or SVG when dot is installed)",
		usage:   "--property P [-o FILE.dot|FILE.svg] PATH",
		run:     runGraph,
	})
}

func runGraph(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["graph"], stderr)
	property := fs.String("property", "", "the property whose N values annotate the graph (required)")
	out := fs.String("o", "", "output file; .svg renders with Graphviz dot (default: DOT on stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *property == "" {
		fs.Usage()
		return errors.New("want --property P and exactly one spec PATH")
	}
	res, err := compileOne(fs.Arg(0), stderr)
	if err != nil {
		return err
	}
	p := res.Spec.Property(*property)
	if p == nil {
		_, err := report.Build(res.Spec, *property)
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteDOT(&buf, res.Spec, p); err != nil {
		return err
	}
	switch {
	case *out == "":
		_, err = stdout.Write(buf.Bytes())
		return err
	case strings.HasSuffix(*out, ".svg"):
		return renderSVG(buf.Bytes(), *out)
	default:
		return os.WriteFile(*out, buf.Bytes(), 0o644)
	}
}

func renderSVG(dotSrc []byte, out string) error {
	dotBin, err := exec.LookPath("dot")
	if err != nil {
		return fmt.Errorf("rendering %s needs Graphviz's dot (apt-get install graphviz); write a .dot file instead", out)
	}
	cmd := exec.Command(dotBin, "-Tsvg", "-o", out)
	cmd.Stdin = bytes.NewReader(dotSrc)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("dot: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
