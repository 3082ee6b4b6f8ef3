// Package feed feeds what OpenStack publishes on RabbitMQ into the engine: each notification decoded, applied, journaled, then acknowledged.
package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/server/journal"
	"pvsc.dev/pvsc/server/revision"
)

// SnapshotFunc takes a live snapshot of the cloud: a name for messages and the JSON the runtime loads.
type SnapshotFunc func(ctx context.Context) (name string, data []byte, err error)

// Config configures a Pipeline.
type Config struct {
	Engine *runtime.Engine
	// Store persists the base snapshot and the journal; nil keeps nothing (tests, throw-away runs).
	Store *journal.Store
	// Live takes a snapshot of the running cloud for resynchronisation; nil: a gap leaves the
	// context in doubt until an operator loads one.
	Live SnapshotFunc
	// Enricher reads back from Keystone what its CADF notifications leave out; nil skips it.
	Enricher *Enricher
	// Revisions drops notifications older than what was applied for the same resource
	// (Neutron's revision_number); share it with the proxy. nil keeps a guard of its own.
	Revisions *revision.Guard
	// CheckpointEvery, when Live is set, rebases on a live snapshot after that many journal
	// entries so that a restart replays a bounded journal; 0 never does.
	CheckpointEvery int
	// Gate, when set, is told every operation applied and every context loaded (see Gate).
	Gate    Gate
	Metrics *Metrics
	Log     *slog.Logger
}

// Pipeline applies events to the engine in order and keeps them journal. Apply and the
// resynchronisation are serialised by one mutex; deciding never waits for it.
type Pipeline struct {
	cfg Config
	eng *runtime.Engine
	in  *intercept.Interceptor
	log *slog.Logger
	m   *Metrics
	rev *revision.Guard

	mu       sync.Mutex // held while applying and journaling one event, and through a resync
	seen     map[string]bool
	restored bool // the context came from a previous run's store

	loaded     atomic.Bool // a context is loaded (a snapshot, possibly empty)
	doubt      atomic.Bool // events may have been missed: critical operations fail by their mode
	sessions   atomic.Int64
	following  atomic.Bool  // a consumer is configured
	consuming  atomic.Bool  // the consumer is connected and consuming
	lastEvent  atomic.Int64 // unix nanoseconds of the last applied notification's timestamp
	lastResync atomic.Int64 // unix nanoseconds of the last rebuild from a live snapshot
	kick       chan struct{}
	pending    atomic.Pointer[resyncReq]
}

type resyncReq struct {
	reason string
	doubt  bool
}

// New makes a pipeline; call Restore or Load before feeding it.
func New(cfg Config) *Pipeline {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Revisions == nil {
		cfg.Revisions = revision.NewGuard()
	}
	return &Pipeline{cfg: cfg, eng: cfg.Engine, in: intercept.New(cfg.Engine), log: cfg.Log, m: cfg.Metrics,
		rev: cfg.Revisions, seen: map[string]bool{}, kick: make(chan struct{}, 1)}
}

// Revisions is the pipeline's guard against stale notifications, for a proxy to share.
func (p *Pipeline) Revisions() *revision.Guard { return p.rev }

// Engine is the engine the pipeline feeds.
func (p *Pipeline) Engine() *runtime.Engine { return p.eng }

// Outcome is what became of one event.
type Outcome int

// Outcomes.
const (
	Applied   Outcome = iota // applied and journaled
	Duplicate                // its message id was applied before: acknowledged, not applied again
	Ignored                  // no row maps it: acknowledged, nothing changed
	Rejected                 // malformed: dead-lettered, nothing changed
)

var outcomeNames = [...]string{"applied", "duplicate", "ignored", "rejected"}

func (o Outcome) String() string { return outcomeNames[o] }

// RejectError is an event that can never be applied, and why; the consumer dead-letters it.
type RejectError struct {
	Reason string // "decode" or "operation"
	Err    error
}

func (e *RejectError) Error() string { return e.Err.Error() }
func (e *RejectError) Unwrap() error { return e.Err }

// Apply applies one event — an oslo notification, a CADF event, or a REST call with its
// response, in any form intercept.Line reads — unless its message id was applied before, and
// journals it before returning, so that the caller may acknowledge it.
func (p *Pipeline) Apply(msgID string, data []byte) (Outcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.applyLocked(msgID, data)
}

func (p *Pipeline) applyLocked(msgID string, data []byte) (Outcome, error) {
	if p.isSeen(msgID) {
		p.m.events.WithLabelValues("duplicate").Inc()
		return Duplicate, nil
	}
	applied, err := p.applyOps(data)
	switch {
	case err != nil && !applied:
		return Rejected, err
	case !applied:
		p.m.events.WithLabelValues("ignored").Inc()
		return Ignored, nil
	}
	if err := p.journal(msgID, data); err != nil {
		return Applied, err
	}
	p.m.events.WithLabelValues("applied").Inc()
	return Applied, nil
}

// applyOps decodes and applies; applied says some operation changed the context. A
// partly applied event (one model took it, another refused it) is kept: replay does the same.
func (p *Pipeline) applyOps(data []byte) (applied bool, err error) {
	if c, ok := revision.Notification(data); ok && !p.rev.Admit(c) {
		p.m.events.WithLabelValues("stale").Inc()
		return false, nil // a newer state of the resource is applied already
	}
	for attempt := 0; attempt < 3; attempt++ {
		ops, derr := p.in.Line(data)
		if derr != nil {
			return false, &RejectError{Reason: "decode", Err: derr}
		}
		stale := false
		for i := range ops {
			d := p.eng.Apply(&ops[i])
			switch {
			case errors.Is(d.Err, runtime.ErrStale):
				stale = true
			case d.Err != nil:
				err = &RejectError{Reason: "operation", Err: fmt.Errorf("%s: %w", p.eng.Format(&ops[i]), d.Err)}
			case d.Applied:
				applied = true
				p.applied(&ops[i])
			}
		}
		if !stale {
			return applied, err
		}
	}
	return applied, errors.New("events: the context was replaced three times while applying one event")
}

func (p *Pipeline) isSeen(msgID string) bool {
	if msgID == "" {
		return false
	}
	if s := p.cfg.Store; s != nil {
		return s.Seen(msgID)
	}
	return p.seen[msgID]
}

// journal makes an applied event journal. A store that cannot write leaves the context ahead
// of the disk: it is marked in doubt and the error is fatal to the caller.
func (p *Pipeline) journal(msgID string, data []byte) error {
	s := p.cfg.Store
	if s == nil {
		if msgID != "" {
			if len(p.seen) >= journal.DefaultMaxSeen {
				clear(p.seen)
			}
			p.seen[msgID] = true
		}
		return nil
	}
	if _, err := s.Append(msgID, data); err != nil {
		p.markDoubt()
		return &FatalError{Err: err}
	}
	p.m.position.Set(float64(s.Position()))
	p.m.journal.Set(float64(s.Len()))
	if n := p.cfg.CheckpointEvery; n > 0 && p.cfg.Live != nil && s.Len() >= n {
		p.request("checkpoint", false)
	}
	return nil
}

// FatalError is a failure that no retry of the event fixes (the disk refused the journal).
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return "events: fatal: " + e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Restore loads the store's base snapshot and replays its journal. It reports false when the
// store holds nothing yet. An entry that no longer applies (the spec changed) is skipped,
// logged and leaves the context in doubt.
func (p *Pipeline) Restore() (bool, error) {
	s := p.cfg.Store
	if s == nil {
		return false, nil
	}
	b, ok, err := s.Base()
	if err != nil || !ok {
		return false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.eng.LoadSnapshot(bytes.NewReader(b.Data), "state base "+b.Name); err != nil {
		return false, fmt.Errorf("events: restore from %s: %w", s.Path(), err)
	}
	p.reloaded()
	bad := 0
	err = s.Replay(func(e journal.Entry) error {
		if _, err := p.applyOps(e.Data); err != nil {
			bad++
			p.log.Warn("events: journal entry no longer applies", "seq", e.Seq, "message_id", e.MsgID, "err", err)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("events: replay %s: %w", s.Path(), err)
	}
	p.restored = true
	p.loaded.Store(true)
	p.m.position.Set(float64(s.Position()))
	p.m.journal.Set(float64(s.Len()))
	if bad > 0 {
		p.markDoubt()
	}
	p.log.Info("events: restored", "base", b.Name, "journal", s.Len(), "position", s.Position(), "skipped", bad)
	return true, nil
}

// Load makes a snapshot the context and the store's new base. A snapshot that does not load
// changes nothing: the error names the file, the record and the field.
func (p *Pipeline) Load(name string, data []byte) (runtime.LoadStats, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.loadLocked(name, data)
}

func (p *Pipeline) loadLocked(name string, data []byte) (runtime.LoadStats, error) {
	st, err := p.eng.LoadSnapshot(bytes.NewReader(data), name)
	if err != nil {
		return st, err
	}
	p.reloaded()
	if s := p.cfg.Store; s != nil {
		if err := s.Reset(name, data); err != nil {
			p.markDoubt()
			return st, &FatalError{Err: err}
		}
		p.m.journal.Set(0)
	}
	p.loaded.Store(true)
	p.doubt.Store(false)
	p.m.doubt.Set(0)
	return st, nil
}

func (p *Pipeline) markDoubt() {
	p.eng.MarkAllInDoubt()
	p.doubt.Store(true)
	p.m.doubt.Set(1)
}

// Status is the pipeline's state for operators.
type Status struct {
	Loaded    bool      `json:"loaded"`
	InDoubt   bool      `json:"in_doubt"`
	Restored  bool      `json:"restored"`
	Position  uint64    `json:"position"`
	Journal   int       `json:"journal"`
	Store     string    `json:"store,omitempty"`
	Following bool      `json:"following"`
	Consuming bool      `json:"consuming"`
	Sessions  int64     `json:"amqp_sessions"`
	LastEvent time.Time `json:"last_event,omitzero"`
	// LastResync is when the context was last rebuilt from a live snapshot.
	LastResync time.Time `json:"last_resync,omitzero"`
}

// Status reports the pipeline's state.
func (p *Pipeline) Status() Status {
	st := Status{Loaded: p.loaded.Load(), InDoubt: p.doubt.Load(), Restored: p.restored, Sessions: p.sessions.Load(),
		Following: p.following.Load(), Consuming: p.consuming.Load()}
	if s := p.cfg.Store; s != nil {
		st.Position, st.Journal, st.Store = s.Position(), s.Len(), s.Path()
	}
	if t := p.lastResync.Load(); t != 0 {
		st.LastResync = time.Unix(0, t).UTC()
	}
	if t := p.lastEvent.Load(); t != 0 {
		st.LastEvent = time.Unix(0, t).UTC()
	}
	return st
}
