package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"pvsc.dev/pvsc/openstack/snapshot"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/findings"
)

func init() {
	register(&command{
		name:    "audit",
		summary: "evaluate every property's invariant on a snapshot or the live cloud and list every violation (exit 1 if any, 0 if clean, 2 on error)",
		usage:   "--spec DIR (--snapshot FILE | --snapshot-live [--os-auth-url URL ...]) [--property P,...] [--format text|json|markdown|html|ocsf|idmef] [--out FILE]",
		run:     runAudit,
	})
}

type auditFlags struct {
	spec, snap, props, format, out string
	live                           bool
	os                             snapshot.Config
	opt                            runtime.Options
}

func runAudit(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["audit"], stderr)
	var a auditFlags
	fs.StringVar(&a.spec, "spec", "", "spec directory")
	fs.StringVar(&a.snap, "snapshot", "", "cloud snapshot or pvsc checkpoint to audit")
	fs.BoolVar(&a.live, "snapshot-live", false, "audit a live snapshot of Keystone, Neutron and Nova (the credentials serve takes)")
	fs.StringVar(&a.props, "property", "", "audit only these properties (comma-separated)")
	fs.StringVar(&a.format, "format", "text", "output: "+strings.Join(findings.Formats, ", "))
	fs.StringVar(&a.out, "out", "", "write the report here instead of stdout")
	a.os.RegisterFlags(fs)
	registerCloudBlock(fs, &a.opt.Cloud)
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if a.spec == "" || (a.snap == "") == !a.live {
		fs.Usage()
		fmt.Fprintln(stderr, "pvsc audit: --spec and one of --snapshot or --snapshot-live are required")
		return exitError{2}
	}
	if !slices.Contains(findings.Formats, a.format) {
		fmt.Fprintf(stderr, "pvsc audit: --format %q: want one of %s\n", a.format, strings.Join(findings.Formats, ", "))
		return exitError{2}
	}
	n, err := a.run(stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pvsc audit: %v\n", err)
		return exitError{2}
	}
	if n > 0 {
		return exitError{1}
	}
	return nil
}

// run audits and writes the report; it returns the number of violations.
func (a *auditFlags) run(stdout, stderr io.Writer) (int, error) {
	res, err := compileOne(a.spec, stderr)
	if err != nil {
		return 0, err
	}
	a.opt.Properties, a.opt.Audit = list(a.props), true
	e, err := runtime.New(res.Spec, res.Envs, a.opt)
	if err != nil {
		return 0, err
	}
	src, err := a.load(e)
	if err != nil {
		return 0, err
	}
	vs, st, err := e.Audit()
	if err != nil {
		return 0, err
	}
	rep := &findings.Report{Source: src, Time: time.Now().UTC(), Stats: st, Violations: vs, Spec: res.Spec.Name, Version: "audit",
		Docs: map[string]string{}}
	for _, p := range res.Spec.Properties {
		rep.Docs[p.Name] = p.Doc
	}
	w := stdout
	if a.out != "" {
		var buf bytes.Buffer
		defer func() { _ = os.WriteFile(a.out, buf.Bytes(), 0o644) }()
		w = &buf
		fmt.Fprintln(stderr, rep.Summary())
	}
	return len(vs), rep.Write(w, a.format)
}

// load fills the engine from the snapshot file or a live snapshot and names the source.
func (a *auditFlags) load(e *runtime.Engine) (string, error) {
	if !a.live {
		_, err := e.LoadSnapshotFile(a.snap)
		return a.snap, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts, err := a.os.Options(ctx)
	if err != nil {
		return "", err
	}
	name, data, err := snapshot.Live(ctx, opts)
	if err != nil {
		return "", err
	}
	_, err = e.LoadSnapshot(bytes.NewReader(data), name)
	return name, err
}
