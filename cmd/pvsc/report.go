package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/server/report"
)

func init() {
	register(&command{
		name:    "report",
		summary: "write the security reports (operator, data owner, auditor) as Markdown and HTML with SVG plots, from a decision log, a journal or a run of operations",
		usage:   "(--decisions FILE | --ops FILE.jsonl | --journal DIR) [--spec DIR] [--snapshot FILE] [--proofs FILE] [--lag FILE] [--trust-config FILE] [--audience operator,owner,auditor] [--owner ID,...] [--out DIR]",
		run:     runReport,
	})
}

type reportFlags struct {
	decisions, ops, journal, spec, snap, proofs, lag, trustConfig, audience, owners, out string
}

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["report"], stderr)
	var f reportFlags
	fs.StringVar(&f.decisions, "decisions", "", "a decision log (pvsc serve --decision-log) or pvsc replay's decision lines")
	fs.StringVar(&f.ops, "ops", "", "operations to run through the engine (and, on the music model, the trust level manager)")
	fs.StringVar(&f.journal, "journal", "", "a journal directory (pvsc serve --journal) to run from its base")
	fs.StringVar(&f.spec, "spec", "", "the spec directory of --ops or --journal (default: the shipped music spec)")
	fs.StringVar(&f.snap, "snapshot", "", "the context --ops starts from")
	fs.StringVar(&f.proofs, "proofs", "", "the output of pvsc verify, for the auditor")
	fs.StringVar(&f.lag, "lag", "", "a scrape of pvsc serve's /metrics, for the operator's event lag")
	fs.StringVar(&f.trustConfig, "trust-config", "", "the trust rule's parameters (as pvsc trust --config)")
	fs.StringVar(&f.audience, "audience", strings.Join(report.Audiences, ","), "the reports to write")
	fs.StringVar(&f.owners, "owner", "", "also write one data owner report per owner (comma-separated ids): owner-ID.html and .md, with that owner's data and workflows only")
	fs.StringVar(&f.out, "out", "report", "the directory the reports are written to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	in, err := f.input(stderr)
	if err != nil {
		return err
	}
	var docs []*report.Doc
	for _, a := range list(f.audience) {
		d, err := report.Build(in, strings.TrimSpace(a))
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	for _, o := range list(f.owners) {
		d, err := report.OwnerFor(in, strings.TrimSpace(o))
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	if len(docs) == 0 {
		return errors.New("no report to write: --audience and --owner are both empty")
	}
	for _, d := range docs {
		if err := d.WriteDir(f.out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(f.out, d.Audience+".html"), filepath.Join(f.out, d.Audience+".md"))
	}
	return nil
}

// input reads the one source of decisions given and the optional proofs and lag.
func (f *reportFlags) input(stderr io.Writer) (*report.Input, error) {
	n := 0
	for _, s := range []string{f.decisions, f.ops, f.journal} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("give exactly one of --decisions, --ops and --journal")
	}
	var in *report.Input
	var err error
	if f.decisions != "" {
		in = &report.Input{Name: f.decisions}
		in.Decisions, in.Findings, err = report.ReadDecisions(f.decisions)
	} else {
		in, err = f.run(stderr)
	}
	if err != nil {
		return nil, err
	}
	if f.proofs != "" {
		if in.Proofs, err = report.ReadProofs(f.proofs); err != nil {
			return nil, err
		}
	}
	if f.lag != "" {
		if in.Lag, err = report.ReadLag(f.lag); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// run runs --ops or --journal through an engine of the spec (a journal starts from its own base).
func (f *reportFlags) run(stderr io.Writer) (*report.Input, error) {
	snap := f.snap
	if f.journal != "" {
		snap = ""
	}
	e, spec, err := specEngine(f.spec, snap, stderr)
	if err != nil {
		return nil, err
	}
	set, err := trustSettingsFile(f.trustConfig, trust.Definitions(spec))
	if err != nil {
		return nil, err
	}
	m, err := trustManager(set)
	if err != nil {
		return nil, err
	}
	if f.journal != "" {
		return report.RunJournal(e, f.journal, m)
	}
	ops, err := os.Open(f.ops)
	if err != nil {
		return nil, err
	}
	defer ops.Close()
	return report.Run(e, ops, f.ops, m)
}
