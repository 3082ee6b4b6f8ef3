package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"pvsc.dev/pvsc/music/neutral"
	"pvsc.dev/pvsc/music/paths"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/replay"
	"pvsc.dev/pvsc/server/journal"
)

// TrustChange is one set_trust of the trust level manager and what the engine said of it.
type TrustChange struct {
	At int // the input line that caused it (0: the snapshot)
	trust.Applied
}

// TrustStatus is a provider's trust components at the end of a run.
type TrustStatus = trust.Status

// Run replays operations (JSON lines as pvsc replay reads them) on an engine whose
// context is loaded, as pvsc replay does; on the music model every applied operation is
// also read by the trust level manager, whose set_trust is applied before the next line, as
// pvsc trust does. name labels the input (its file); m is the manager, with its rule and
// metric definitions (one without definitions takes the spec's).
func Run(e *runtime.Engine, ops io.Reader, name string, m *trust.Manager) (*Input, error) {
	in := &Input{Name: name}
	p := &processor{Processor: replay.Proactive(e), e: e}
	if hasEvent(e, "record_outcome") {
		if err := p.startTrust(m); err != nil {
			return nil, err
		}
	}
	source := "replay"
	if strings.HasPrefix(name, "journal ") {
		source = "journal"
	}
	observe := func(l replay.Line) {
		in.Decisions = append(in.Decisions, fromReplay(l, source))
		p.flush(l.Line, in)
	}
	if _, err := replay.RunOptions(e, p, ops, io.Discard, replay.Options{Observe: observe}); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	in.Trust = append(p.seeded, in.Trust...)
	if p.m != nil {
		in.Statuses = p.m.Statuses()
	}
	c, err := ReadCommunity(e)
	in.Community = c
	in.Community.Moves, in.Community.Attempts = p.moves, p.attempts
	return in, err
}

// RunJournal replays a journal's base snapshot and entries (as pvsc serve restores them) with
// Run; positions are the journal's sequence numbers.
func RunJournal(e *runtime.Engine, path string, m *trust.Manager) (*Input, error) {
	s, err := journal.Open(path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	b, ok, err := s.Base()
	if err != nil {
		return nil, err
	}
	if ok {
		if _, err := e.LoadSnapshot(bytes.NewReader(b.Data), "journal base "+b.Name); err != nil {
			return nil, fmt.Errorf("%s: base %s: %w", path, b.Name, err)
		}
	}
	lines, err := journalLines(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Run(e, lines, "journal "+path, m)
}

// journalLines is the journal as one JSON line per entry; blank lines keep an entry's line
// number equal to its sequence number (a Reset leaves the first entries' numbers behind).
func journalLines(s *journal.Store) (io.Reader, error) {
	var buf bytes.Buffer
	next := uint64(1)
	err := s.Replay(func(en journal.Entry) error {
		for ; next < en.Seq; next++ {
			buf.WriteByte('\n')
		}
		if err := json.Compact(&buf, en.Data); err != nil {
			return fmt.Errorf("journal entry %d: %w", en.Seq, err)
		}
		buf.WriteByte('\n')
		next++
		return nil
	})
	return &buf, err
}

func fromReplay(l replay.Line, source string) Decision {
	return Decision{At: l.Line, Source: source, Op: l.Op, Verdict: l.Verdict, Blocked: l.Blocked, Fact: l.Fact, Error: l.Error, Checks: l.Checks}
}

func hasEvent(e *runtime.Engine, name string) bool {
	for _, m := range e.Spec().Models {
		for _, ev := range m.Events {
			if ev.Name == name {
				return true
			}
		}
	}
	return false
}

// processor decides as the proactive engine does and hands what was applied to the trust
// level manager; it also remembers where data was stored and which steps were attempted, for
// the data owner.
type processor struct {
	replay.Processor
	e        *runtime.Engine
	m        *trust.Manager
	keeper   *paths.Keeper // the workflows' admissible paths: the gate pvsc trust runs too
	seeded   []TrustChange
	pending  []trust.Applied
	moves    []Move
	attempts []Attempt
	line     int
}

func (p *processor) startTrust(m *trust.Manager) error {
	p.m = m
	seeded, err := trust.NewFeed(p.e, m).Seed()
	if err != nil {
		return err
	}
	for _, a := range seeded {
		p.seeded = append(p.seeded, TrustChange{Applied: a})
	}
	p.keeper, _, err = paths.NewKeeper(p.e)
	return err
}

func (p *processor) Process(op *runtime.Op) replay.Outcome {
	if o, refused := p.gate(op); refused {
		return p.after(op, o)
	}
	return p.after(op, p.Processor.Process(op))
}

// gate refuses a step that leaves every admissible path of its workflow, as pvsc trust's
// feed does: when the properties allow it, the keeper's refusal is the verdict, recorded as
// its own check next to theirs.
func (p *processor) gate(op *runtime.Op) (replay.Outcome, bool) {
	if p.keeper == nil {
		return replay.Outcome{}, false
	}
	a, d, refused := trust.Refused(p.e, []trust.Gate{p.keeper}, op)
	if !refused {
		return replay.Outcome{}, false
	}
	rec := d.Record()
	checks := append(rec.Checks, runtime.CheckRecord{Property: a.Kind, Kind: "gate", Verdict: "deny", Scope: a.Subject, Reason: a.Message})
	return replay.Outcome{Op: rec.Op, Verdict: runtime.Deny, Blocked: true, Checks: checks}, true
}

func (p *processor) Fact(op *runtime.Op) replay.Outcome {
	return p.after(op, p.Processor.Fact(op))
}

// after reads an operation the engine decided: what the data owner is shown, and, once
// applied, what the trust level manager makes of it.
func (p *processor) after(op *runtime.Op, o replay.Outcome) replay.Outcome {
	if o.Err != nil {
		return o
	}
	n := neutral.Of(p.e, op)
	p.remember(n, o)
	if o.Blocked || p.m == nil {
		return o
	}
	p.keeper.After(n, nil)
	changes, err := p.m.Observe(n)
	if err != nil {
		return o // the manager's complaint (say, an outcome of an unknown step) changes no level
	}
	for _, c := range changes {
		p.pending = append(p.pending, trust.Apply(p.e, c))
		p.keeper.After(c.Op(), &c)
	}
	return o
}

// flush dates the changes the line just processed caused.
func (p *processor) flush(line int, in *Input) {
	for _, a := range p.pending {
		a.Line = line
		in.Trust = append(in.Trust, TrustChange{At: line, Applied: a})
	}
	p.pending = p.pending[:0]
	for i := range p.moves {
		if p.moves[i].At == 0 {
			p.moves[i].At = line
		}
	}
	for i := range p.attempts {
		if p.attempts[i].At == 0 {
			p.attempts[i].At = line
		}
	}
}

// remember keeps data stores and workflow steps with their verdicts.
func (p *processor) remember(n neutral.Op, o replay.Outcome) {
	str := func(k string) string { s, _ := n.Params[k].(string); return s }
	switch n.Event {
	case "store_data":
		p.moves = append(p.moves, Move{Data: str("data_id"), Location: str("location"), Verdict: verdictOf(o)})
	case "hand_to_provider", "hand_to_service":
		p.attempts = append(p.attempts, Attempt{Workflow: str("workflow_id"), Step: str("step_id"),
			Provider: str("provider"), Service: str("service"), Verdict: verdictOf(o)})
	}
}

func verdictOf(o replay.Outcome) string {
	if o.Blocked {
		return "denied"
	}
	return o.Verdict.String()
}
