// Package replay runs a stream of operations through the verifier: one JSON decision line per operation, then a summary with the time per phase (the paper's Fig. 9).
package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
)

// Line is one decision line: the input line, its decision, or why it had none.
type Line struct {
	Line    int                   `json:"line"`
	Op      string                `json:"op,omitempty"`
	Verdict string                `json:"verdict"`
	Blocked bool                  `json:"blocked"`
	Unknown bool                  `json:"unknown,omitempty"`
	Fact    bool                  `json:"fact,omitempty"` // a notification or a completed call: applied whatever the verdict
	Error   string                `json:"error,omitempty"`
	Checks  []runtime.CheckRecord `json:"checks,omitempty"`
}

// Summary is what a replay did.
type Summary struct {
	Operations int                       `json:"operations"`
	Verdicts   map[string]int            `json:"verdicts"`
	Properties map[string]map[string]int `json:"properties"` // property → verdict → count
	Blocked    int                       `json:"blocked"`
	Unknown    int                       `json:"unknown"`
	Malformed  int                       `json:"malformed"`
	Stale      int                       `json:"stale"`
	SlowPaths  int64                     `json:"slow_paths"`
	Phases     map[string]time.Duration  `json:"phases_ns"`
	Total      time.Duration             `json:"total_ns"`
	// Rare are the paths the spec declares rare (they scan an entity) that ran.
	Rare []runtime.RareStat `json:"rare,omitempty"`
}

// Outcome is one engine's answer to one operation, as a decision line prints it.
type Outcome struct {
	Op      string
	Verdict runtime.Verdict
	Blocked bool
	Checks  []runtime.CheckRecord
	Err     error
}

// Processor decides one operation, enforces its verdict, and applies it
// unless it is blocked: the proactive engine, or an intercept-and-check one.
// Fact applies an operation the cloud already performed (a notification),
// whatever the verdict: a violating one is reported, never blocked.
type Processor interface {
	Process(op *runtime.Op) Outcome
	Fact(op *runtime.Op) Outcome
	// Phases is the time spent so far in each phase the engine has.
	Phases() map[string]time.Duration
}

// Proactive is the proactive engine as a Processor.
func Proactive(e *runtime.Engine) Processor { return proactive{e} }

type proactive struct{ e *runtime.Engine }

func (p proactive) Process(op *runtime.Op) Outcome {
	d := p.e.Process(op)
	rec := d.Record()
	return Outcome{Op: rec.Op, Verdict: d.Verdict(), Blocked: d.Blocked, Checks: rec.Checks, Err: d.Err}
}

func (p proactive) Fact(op *runtime.Op) Outcome {
	d := p.e.Apply(op)
	rec := d.Record()
	return Outcome{Op: rec.Op, Verdict: d.Verdict(), Checks: rec.Checks, Err: d.Err}
}

func (p proactive) Phases() map[string]time.Duration {
	st := p.e.Stats()
	out := map[string]time.Duration{}
	for ph := runtime.PhaseNStep; ph <= runtime.PhaseDetect; ph++ {
		out[ph.String()] = st.Phases[ph]
	}
	return out
}

// Run reads operations (JSON lines in any form intercept.Line reads; blank
// lines and lines starting with # are skipped), processes each, and writes
// one decision line per operation to out. The engine should have
// Options.Timing on for the phase times.
func Run(e *runtime.Engine, ops io.Reader, out io.Writer) (*Summary, error) {
	return RunWith(e, Proactive(e), ops, out)
}

// RunWith is Run with another engine deciding: e decodes the operations
// (its context must be the one p decides on), p processes them.
func RunWith(e *runtime.Engine, p Processor, ops io.Reader, out io.Writer) (*Summary, error) {
	return RunObserved(e, p, ops, out, nil)
}

// RunObserved is RunWith that also hands every decision line to observe
// (when not nil) after writing it: to export alerts, say.
func RunObserved(e *runtime.Engine, p Processor, ops io.Reader, out io.Writer, observe func(Line)) (*Summary, error) {
	return RunOptions(e, p, ops, out, Options{Observe: observe})
}

// Options refine a replay.
type Options struct {
	// Observe sees every decision line after it is written (to export alerts, say).
	Observe func(Line)
	// Fresh, when set, says whether a line is not older than what was applied for the
	// resource it reports (serve's revision guard): a stale one is skipped and counted.
	Fresh func(line []byte) bool
}

// RunOptions is Run with another processor and options.
func RunOptions(e *runtime.Engine, p Processor, ops io.Reader, out io.Writer, opt Options) (*Summary, error) {
	dec := intercept.New(e).NewDecoder()
	observe := opt.Observe
	s := &Summary{Verdicts: map[string]int{}, Properties: map[string]map[string]int{}, Phases: map[string]time.Duration{}}
	slowBefore, before, rareBefore := e.Stats().SlowPaths, p.Phases(), e.RareStats()
	start := time.Now()
	var intercepting time.Duration
	r := bufio.NewReaderSize(ops, 1<<16)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for n := 1; ; n++ {
		text, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(text)) > 0 && text[0] != '#' {
			t0 := time.Now()
			decoded, derr := dec.Decode(text)
			intercepting += time.Since(t0)
			var l Line
			if derr == nil && opt.Fresh != nil && !opt.Fresh(text) {
				l = s.stale(n)
			} else {
				l = s.process(p, n, decoded, derr)
			}
			if err := enc.Encode(l); err != nil {
				return nil, err
			}
			if observe != nil {
				observe(l)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	s.Total = time.Since(start)
	s.SlowPaths = e.Stats().SlowPaths - slowBefore
	s.Phases["interception"] = intercepting
	s.Rare = rareSince(rareBefore, e.RareStats())
	for ph, d := range p.Phases() {
		s.Phases[ph] = d - before[ph]
	}
	return s, w.Flush()
}

// process decides and applies one input line's operations (one per model that maps it) as one decision line.
func (s *Summary) process(p Processor, n int, dec intercept.Decoded, err error) Line {
	s.Operations++
	l := Line{Line: n, Verdict: "pass", Fact: dec.Fact}
	ops, fact := dec.Ops, dec.Fact
	switch {
	case err != nil:
		s.Malformed++
		l.Verdict, l.Error = "malformed", err.Error()
		return l
	case !dec.Known:
		s.Unknown++
		l.Unknown = true
		s.Verdicts["pass"]++
		return l
	case len(ops) == 0:
		s.Verdicts["pass"]++ // recognised: changes nothing the model holds
		return l
	}
	verdict := runtime.Pass
	var names []string
	for i := range ops {
		var d Outcome
		if fact {
			d = p.Fact(&ops[i])
			factChecks(&d)
		} else {
			d = p.Process(&ops[i])
		}
		names = append(names, d.Op)
		l.Checks = append(l.Checks, d.Checks...)
		l.Blocked = l.Blocked || d.Blocked
		verdict = max(verdict, d.Verdict)
		if d.Err != nil {
			s.Malformed++
			l.Error = d.Err.Error()
		}
	}
	l.Op = strings.Join(names, "+")
	l.Verdict = verdict.String()
	if fact {
		l.Fact = true
		l.Verdict = factVerdict(l.Checks, verdict)
	}
	if l.Error != "" {
		l.Verdict = "malformed"
	}
	if l.Blocked {
		s.Blocked++
	}
	s.Verdicts[l.Verdict]++
	for _, c := range l.Checks {
		if s.Properties[c.Property] == nil {
			s.Properties[c.Property] = map[string]int{}
		}
		s.Properties[c.Property][c.Verdict]++
	}
	return l
}

// factChecks reports a fact's refused checks as violations (the cloud already did it), or as
// unchecked when only the fail mode refused it (the context could not tell).
func factChecks(d *Outcome) {
	for i := range d.Checks {
		c := &d.Checks[i]
		if v := c.Verdict; v == "deny" || v == "alert" || v == "log" {
			c.Verdict = "violation"
			if c.FailMode {
				c.Verdict = "unchecked"
			}
		}
	}
	d.Blocked = false
}

// factVerdict is a fact's line verdict: violation when a check found one, unchecked when only
// fail modes refused it.
func factVerdict(checks []runtime.CheckRecord, v runtime.Verdict) string {
	out := v.String()
	for _, c := range checks {
		switch {
		case c.Verdict == "violation":
			return "violation"
		case c.Verdict == "unchecked":
			out = "unchecked"
		}
	}
	if out != "unchecked" && v > runtime.Allow {
		return "violation"
	}
	return out
}

// stale is the line of an operation older than what was applied for its resource.
func (s *Summary) stale(n int) Line {
	s.Operations++
	s.Stale++
	s.Verdicts["stale"]++
	return Line{Line: n, Verdict: "stale", Fact: true}
}

// WriteText writes the summary for people: counts, then the time per phase.
func (s *Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "operations\t%d\t(%d blocked, %d unknown, %d malformed, %d slow-path decisions)\n", s.Operations, s.Blocked, s.Unknown, s.Malformed, s.SlowPaths)
	if s.Stale > 0 {
		fmt.Fprintf(tw, "stale\t%d\t(older than what was applied for the same resource: skipped)\n", s.Stale)
	}
	fmt.Fprintf(tw, "verdicts\t%s\n", counts(s.Verdicts))
	props := make([]string, 0, len(s.Properties))
	for p := range s.Properties {
		props = append(props, p)
	}
	sort.Strings(props)
	for _, p := range props {
		fmt.Fprintf(tw, "  %s\t%s\n", p, counts(s.Properties[p]))
	}
	fmt.Fprintf(tw, "time per phase\ttotal\tper operation\n")
	for _, ph := range s.phaseOrder() {
		d := s.Phases[ph]
		fmt.Fprintf(tw, "  %s\t%v\t%v\n", ph, d.Round(time.Microsecond), perOp(d, s.Operations))
	}
	fmt.Fprintf(tw, "wall time\t%v\t%v\n", s.Total.Round(time.Microsecond), perOp(s.Total, s.Operations))
	if len(s.Rare) > 0 {
		fmt.Fprintf(tw, "rare paths (declared rare: they scan)\tcount\ttotal\tmean\n")
		for _, r := range s.Rare {
			fmt.Fprintf(tw, "  %s on %s\t%d\t%v\t%v\n", r.Property, r.Event, r.Count, r.Time.Round(time.Microsecond), perOp(r.Time, int(r.Count)))
		}
	}
	return tw.Flush()
}

// rareSince is what ran of the rare paths between two readings.
func rareSince(before, after []runtime.RareStat) []runtime.RareStat {
	var out []runtime.RareStat
	for i, a := range after {
		if i < len(before) {
			a.Count -= before[i].Count
			a.Time -= before[i].Time
		}
		if a.Count > 0 {
			out = append(out, a)
		}
	}
	return out
}

// phaseOrder is the paper's phases first (Fig. 9), then any other the engine reported.
func (s *Summary) phaseOrder() []string {
	order := []string{"interception", "n-step evaluation", "watchlist update", "violation detection"}
	var extra []string
	for ph := range s.Phases {
		if !slices.Contains(order, ph) {
			extra = append(extra, ph)
		}
	}
	sort.Strings(extra)
	return append(order, extra...)
}

func perOp(d time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return (d / time.Duration(n)).Round(10 * time.Nanosecond)
}

func counts(m map[string]int) string {
	order := []string{"allow", "deny", "alert", "log", "pass", "malformed"}
	var parts []string
	for _, k := range order {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}
