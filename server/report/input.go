// Package report writes pvsc's security reports (operator, data owner, auditor) as Markdown and HTML with SVG plots.
package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/findings"
)

// Decision is one decided operation: a decision-log line, a replay's output line, or an
// operation run here.
type Decision struct {
	// At is where it came from: the input line, or the journal's sequence number.
	At      int
	Time    time.Time // the decision log's clock; zero for a replay
	Source  string    // api, proxy, replay, journal
	Project string
	Op      string
	Verdict string
	Blocked bool
	Fact    bool
	Error   string
	Checks  []runtime.CheckRecord
}

// Finding is an audit finding opened or resolved, from a decision log.
type Finding struct {
	At   int
	Time time.Time
	Kind string // opened or resolved
	runtime.Violation
}

// Input is everything a report is made of; the parts a source does not give stay empty.
type Input struct {
	// Name says what was read, for the reports' headers.
	Name      string
	Decisions []Decision
	Findings  []Finding
	// Trust is every set_trust the trust level manager emitted, in order (a run of MuSIC
	// operations only).
	Trust []TrustChange
	// Statuses are the providers' trust components at the end of the run.
	Statuses  []TrustStatus
	Community *Community
	Proofs    []Proof
	Lag       *Histogram
}

// LineError is bad input: the file and line it is on.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// logLine is the union of what a decision log (decisionlog.Log) and pvsc replay write: a
// decision with its time and caller, a replay line with its input line, or a finding.
type logLine struct {
	Time      string                `json:"time"`
	Source    string                `json:"source"`
	ProjectID string                `json:"project_id"`
	Line      *int                  `json:"line"`
	Op        string                `json:"op"`
	Verdict   string                `json:"verdict"`
	Blocked   bool                  `json:"blocked"`
	Fact      bool                  `json:"fact"`
	Error     string                `json:"error"`
	Checks    []runtime.CheckRecord `json:"checks"`
	Finding   string                `json:"finding"`
	Detail    *findings.Finding     `json:"detail"`
}

// ReadDecisions reads a decision log or a replay's decision lines (both may be mixed, as
// when a log is concatenated from several nodes).
func ReadDecisions(path string) ([]Decision, []Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return readDecisions(path, f)
}

func readDecisions(name string, r io.Reader) ([]Decision, []Finding, error) {
	var ds []Decision
	var fs []Finding
	br := bufio.NewReaderSize(r, 1<<16)
	for n := 1; ; n++ {
		text, err := br.ReadBytes('\n')
		if t := bytes.TrimSpace(text); len(t) > 0 && t[0] != '#' {
			d, f, perr := parseLine(t, n, err == io.EOF && text[len(text)-1] != '\n')
			if perr != nil {
				return nil, nil, &LineError{File: name, Line: n, Err: perr}
			}
			ds, fs = appendLine(ds, fs, d, f)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, &LineError{File: name, Line: n, Err: err}
		}
	}
	if len(ds)+len(fs) == 0 {
		return nil, nil, fmt.Errorf("%s: no decision lines", name)
	}
	return ds, fs, nil
}

func appendLine(ds []Decision, fs []Finding, d *Decision, f *Finding) ([]Decision, []Finding) {
	if d != nil {
		ds = append(ds, *d)
	}
	if f != nil {
		fs = append(fs, *f)
	}
	return ds, fs
}

// parseLine reads one line; last says it had no newline, so a bad one was cut off.
func parseLine(text []byte, n int, last bool) (*Decision, *Finding, error) {
	var l logLine
	if err := json.Unmarshal(text, &l); err != nil {
		if last {
			return nil, nil, fmt.Errorf("truncated line (the log ends inside it): %w", err)
		}
		return nil, nil, fmt.Errorf("not a JSON decision line: %w", err)
	}
	t, err := parseTime(l.Time)
	if err != nil {
		return nil, nil, err
	}
	if l.Finding != "" {
		f, err := finding(l, n, t)
		return nil, f, err
	}
	if l.Verdict == "" {
		return nil, nil, errors.New(`neither a decision (no "verdict") nor a finding (no "finding")`)
	}
	return decision(l, n, t), nil, nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("time %q: want RFC 3339", s)
	}
	return t, nil
}

func finding(l logLine, n int, t time.Time) (*Finding, error) {
	if l.Detail == nil {
		return nil, fmt.Errorf(`finding %q without "detail"`, l.Finding)
	}
	return &Finding{At: n, Time: t, Kind: l.Finding, Violation: l.Detail.Violation}, nil
}

func decision(l logLine, n int, t time.Time) *Decision {
	d := &Decision{At: n, Time: t, Source: l.Source, Project: l.ProjectID, Op: l.Op, Verdict: l.Verdict,
		Blocked: l.Blocked, Fact: l.Fact, Error: l.Error, Checks: l.Checks}
	if l.Line != nil {
		// A replay line names the input line it decided: that is where it came from.
		d.At, d.Source = *l.Line, "replay"
	}
	return d
}
