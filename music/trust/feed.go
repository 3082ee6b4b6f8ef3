package trust

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"pvsc.dev/pvsc/music/neutral"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
)

// Feed runs an operation stream through the proactive engine and the manager: each
// operation is decided (a request) or applied (a fact) as pvsc replay does, the manager reads
// what was applied, and each change of level is applied back to the engine as the set_trust
// fact it publishes, so the engine's watchlists (data_placement's admissible providers) are
// rebuilt before the next operation arrives.
type Feed struct {
	Engine  *runtime.Engine
	Manager *Manager
	// Watchers read the engine after each operation it applied (the set_trusts the feed
	// publishes included) and raise alerts: data stranded by a trust drop, a workflow left
	// without an admissible path (music/paths).
	Watchers []Watcher
	// Gates judge a request before the engine decides it; one that refuses blocks it (a step
	// that leaves every admissible path of its workflow, music/paths).
	Gates []Gate
	dec   *intercept.Decoder
}

// Gate judges a request before the engine does: what the properties cannot see (a step of the
// wrong kind for its place in a workflow) is refused before it runs, with the alert saying why.
// A fact happened already: it is not gated.
type Gate interface {
	Before(op neutral.Op) (Alert, bool)
}

// Watcher looks at the engine after it applied an operation; change is the manager's level
// change when the operation is the set_trust the feed published for it, nil otherwise.
type Watcher interface {
	After(op neutral.Op, change *Change) []Alert
}

// Alert is what a watcher raises: of a kind, about a subject (a data object, a workflow).
type Alert struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Message string `json:"message"`
	// Migrate is the migration plan of stranded data: the providers it may move to, cheapest first.
	Migrate []Placement `json:"migrate_to,omitempty"`
}

// Placement is a provider data may be placed on, with the level it holds and its cost.
type Placement struct {
	Provider string `json:"provider"`
	Level    Level  `json:"level"`
	Cost     int64  `json:"cost"`
}

// Line is what one input line did.
type Line struct {
	Line    int       `json:"line"`
	Ops     []string  `json:"ops,omitempty"`
	Blocked bool      `json:"blocked,omitempty"` // a request the engine refused: not applied, not read
	Error   string    `json:"error,omitempty"`
	Changes []Applied `json:"changes,omitempty"`
	Misses  []Miss    `json:"misses,omitempty"` // measurements of the line that missed their target
	Alerts  []Alert   `json:"alerts,omitempty"` // raised by the watchers on the line's own operations
}

// Applied is a change as the engine judged its set_trust: a fact, applied whatever the
// verdict; a property it breaks (data stored on the provider above its new level) is a
// violation to act on (migrate the data).
type Applied struct {
	Line int `json:"line"`
	Change
	Verdict    string   `json:"verdict"`
	Violations []string `json:"violations,omitempty"`
	Alerts     []Alert  `json:"alerts,omitempty"`
}

// NewFeed makes a feed over an engine of the music model. A manager that was given no metric
// definitions (Define) takes the engine's spec's: the metrics the spec declares are the ones
// its measurements are judged by, whoever builds the feed.
func NewFeed(e *runtime.Engine, m *Manager) *Feed {
	if m.metrics == nil {
		m.metrics = Definitions(e.Spec())
	}
	return &Feed{Engine: e, Manager: m, dec: intercept.New(e).NewDecoder()}
}

// Seed reads the providers, services and steps the engine's context holds (a snapshot it
// loaded) into the manager, and applies the changes that makes.
func (f *Feed) Seed() ([]Applied, error) {
	var out []Applied
	for _, src := range seeds {
		recs, err := f.Engine.Records(src.entity)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			op := src.op(r)
			if op.Event == "" {
				continue
			}
			changes, err := f.Manager.Observe(op)
			if err != nil {
				return nil, fmt.Errorf("snapshot %s %v: %w", src.entity, r["id"], err)
			}
			out = append(out, f.publish(0, changes)...)
		}
	}
	return out, nil
}

// seeds turn the context's records back into the operations that made them, parents first;
// an op with no event is nothing to replay.
var seeds = []struct {
	entity string
	op     func(map[string]any) neutral.Op
}{
	{"provider", func(r map[string]any) neutral.Op {
		return neutral.Op{Event: "register_provider", Params: map[string]any{"provider_id": r["id"], "trust": contract(r), "sla": r["sla"]}}
	}},
	{"service", func(r map[string]any) neutral.Op {
		return neutral.Op{Event: "register_service", Params: map[string]any{"service_id": r["id"], "provider_id": r["provider"]}}
	}},
	{"step", func(r map[string]any) neutral.Op {
		if s, _ := r["service"].(string); s != "" {
			return neutral.Op{Event: "hand_to_service", Params: map[string]any{"step_id": r["id"], "service": s}}
		}
		return neutral.Op{Event: "hand_to_provider", Params: map[string]any{"step_id": r["id"], "provider": r["provider"]}}
	}},
	// A step's outcome is the manager's experience of its provider: a checkpoint keeps it on
	// the step record. (A context keeps no order of outcomes: they are read in record order.)
	{"step", func(r map[string]any) neutral.Op {
		if o, _ := r["outcome"].(string); o != "" {
			return neutral.Op{Event: "record_outcome", Params: map[string]any{"step_id": r["id"], "outcome": o}}
		}
		return neutral.Op{}
	}},
	{"rating", func(r map[string]any) neutral.Op {
		return neutral.Op{Event: "rate_provider", Params: map[string]any{"provider_id": r["provider"], "rater": r["rater"], "score": r["score"]}}
	}},
	{"metric", func(r map[string]any) neutral.Op {
		return neutral.Op{Event: "report_measurement", Params: map[string]any{"provider_id": r["provider"], "name": r["name"],
			"value": r["value"], "target": r["target"], "direction": r["direction"]}}
	}},
}

// contract is the level a provider's contract gives, the manager's base: its base, which the
// registry's registration sets and set_trust leaves alone. A record without one (registered
// by an operation that named no base) falls back to its trust, which after a set_trust is the
// manager's level rather than the contract's (the restart then counts the same history twice).
func contract(r map[string]any) any {
	if b, _ := r["base"].(string); b != "" && b != Public.String() {
		return b
	}
	return r["trust"]
}

// Run reads operations (JSON lines in any form pvsc replay reads; blank lines and lines
// starting with # are skipped) and hands each line's result to each.
func (f *Feed) Run(r io.Reader, each func(Line)) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for n := 1; ; n++ {
		text, err := br.ReadBytes('\n')
		if t := bytes.TrimSpace(text); len(t) > 0 && t[0] != '#' {
			each(f.line(n, t))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// line processes one input line's operations.
func (f *Feed) line(n int, text []byte) Line {
	l := Line{Line: n}
	dec, err := f.dec.Decode(text)
	if err != nil {
		l.Error = err.Error()
		return l
	}
	for i := range dec.Ops {
		op := &dec.Ops[i]
		l.Ops = append(l.Ops, f.Engine.Format(op))
		if a, refused := f.gate(op, dec.Fact); refused {
			l.Blocked = true
			l.Alerts = append(l.Alerts, a)
			continue
		}
		d := f.decide(op, dec.Fact)
		if d.Err != nil {
			l.Error = d.Err.Error()
			continue
		}
		if d.Blocked {
			l.Blocked = true
			continue
		}
		nop := neutral.Of(f.Engine, op)
		seen := len(f.Manager.Misses())
		changes, err := f.Manager.Observe(nop)
		if err != nil {
			l.Error = err.Error()
		}
		l.Misses = append(l.Misses, f.Manager.Misses()[seen:]...)
		l.Alerts = append(l.Alerts, f.watch(nop, nil)...)
		l.Changes = append(l.Changes, f.publish(n, changes)...)
	}
	return l
}

// gate refuses a request a gate refuses (Refused); a fact is not gated.
func (f *Feed) gate(op *runtime.Op, fact bool) (Alert, bool) {
	if fact {
		return Alert{}, false
	}
	a, _, refused := Refused(f.Engine, f.Gates, op)
	return a, refused
}

// Refused hands a request to every gate; the first that refuses it blocks it, unless the
// engine refuses it too (or cannot decide it): then the engine's verdict, with the
// properties' reasons, is the one given. d is the engine's decision of the refused request.
func Refused(e *runtime.Engine, gates []Gate, op *runtime.Op) (a Alert, d runtime.Decision, refused bool) {
	if len(gates) == 0 {
		return Alert{}, d, false
	}
	nop := neutral.Of(e, op)
	for _, g := range gates {
		if a, refused := g.Before(nop); refused {
			d = e.Decide(op)
			return a, d, !d.Blocked && d.Err == nil
		}
	}
	return Alert{}, d, false
}

func (f *Feed) decide(op *runtime.Op, fact bool) runtime.Decision {
	if fact {
		return f.Engine.Apply(op)
	}
	return f.Engine.Process(op)
}

// publish applies each change's set_trust to the engine as a fact.
func (f *Feed) publish(line int, changes []Change) []Applied {
	out := make([]Applied, 0, len(changes))
	for _, c := range changes {
		a := Apply(f.Engine, c)
		a.Line = line
		a.Alerts = f.watch(c.Op(), &c)
		out = append(out, a)
	}
	return out
}

// Apply applies a change's set_trust to the engine as the fact it is, judged.
func Apply(e *runtime.Engine, c Change) Applied {
	a := Applied{Change: c, Verdict: "applied"}
	n := c.Op()
	ops, err := e.Neutral(n.Event, n.Params)
	if err != nil {
		a.Verdict, a.Violations = "error", []string{err.Error()}
	}
	for i := range ops {
		a.judge(e.Apply(&ops[i]))
	}
	return a
}

// watch hands an applied operation to every watcher.
func (f *Feed) watch(op neutral.Op, change *Change) []Alert {
	var out []Alert
	for _, w := range f.Watchers {
		out = append(out, w.After(op, change)...)
	}
	return out
}

// judge records what the engine said of the set_trust fact.
func (a *Applied) judge(d runtime.Decision) {
	for _, c := range d.Record().Checks {
		if c.Verdict == "deny" || c.Verdict == "alert" || c.Verdict == "log" {
			a.Verdict = "violation"
			a.Violations = append(a.Violations, c.Reason)
		}
	}
}
