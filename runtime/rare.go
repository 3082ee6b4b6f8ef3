package runtime

import (
	"sync/atomic"
	"time"
)

// A property may declare events rare (tables.Property.Rare): their allow rule
// or watchlist rules scan an entity. The engine counts and times their
// operations, and the watchlist inits of a property whose init may scan, so
// that what the spec accepted as rare is measured.

// RareStat is how often a declared-rare path ran and what it cost.
type RareStat struct {
	Property string
	Event    string // "init" for a watchlist init that may scan
	Count    int64
	Time     time.Duration
}

type rareCounter struct {
	prop, event int32 // event -1: init
	n, nanos    atomic.Int64
}

// prepareRare numbers the engine's rare counters, per model and event.
func (e *Engine) prepareRare() {
	for _, mr := range e.models {
		mr.rare = make([][]*rareCounter, len(mr.m.Events))
	}
	for _, mr := range e.models {
		for _, p := range mr.props {
			for _, ev := range p.t.Rare {
				c := &rareCounter{prop: p.idx, event: ev}
				e.rare = append(e.rare, c)
				mr.rare[ev] = append(mr.rare[ev], c)
			}
			if p.t.RareInit {
				p.rareInit = &rareCounter{prop: p.idx, event: -1}
				e.rare = append(e.rare, p.rareInit)
			}
		}
	}
}

// rareOf is the counters an operation's event runs, nil when it is not rare anywhere.
func (e *Engine) rareOf(op *Op) []*rareCounter {
	if int(op.Model) >= len(e.models) {
		return nil
	}
	r := e.models[op.Model].rare
	if int(op.Event) >= len(r) {
		return nil
	}
	return r[op.Event]
}

func countRare(cs []*rareCounter, since time.Time) {
	d := int64(time.Since(since))
	for _, c := range cs {
		c.n.Add(1)
		c.nanos.Add(d)
	}
}

// RareStats lists every declared-rare path with its count and time since the engine was built.
func (e *Engine) RareStats() []RareStat {
	out := make([]RareStat, 0, len(e.rare))
	for _, c := range e.rare {
		p := e.spec.Properties[c.prop]
		ev := "init"
		if c.event >= 0 {
			ev = e.spec.Models[p.Model].Events[c.event].Name
		}
		out = append(out, RareStat{Property: p.Name, Event: ev, Count: c.n.Load(), Time: time.Duration(c.nanos.Load())})
	}
	return out
}
