package feed

import (
	"context"
	"errors"
	"time"

	"pvsc.dev/pvsc/openstack/amqp"
)

// ErrNoLive is Resync's answer when no live snapshot can be taken.
var ErrNoLive = errors.New("events: no live snapshot source (give OpenStack credentials): the context stays in doubt until a snapshot is loaded")

// Resync rebuilds the context from a live snapshot. Critical operations get their
// property's fail mode from the start until the snapshot is loaded. Events wait meanwhile:
// whatever was acknowledged before the snapshot is in it, whatever comes after applies on top.
func (p *Pipeline) Resync(ctx context.Context, reason string) error {
	return p.rebase(ctx, reason, true)
}

func (p *Pipeline) rebase(ctx context.Context, reason string, doubt bool) error {
	if doubt {
		p.markDoubt()
	}
	if p.cfg.Live == nil {
		p.m.resyncs.WithLabelValues(reason, "failed").Inc() // the context stays in doubt: say so
		return ErrNoLive
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t0 := time.Now()
	name, data, err := p.cfg.Live(ctx)
	if err == nil {
		_, err = p.loadLocked(name, data)
	}
	if err != nil {
		p.m.resyncs.WithLabelValues(reason, "failed").Inc()
		return err
	}
	p.m.resyncs.WithLabelValues(reason, "ok").Inc()
	p.lastResync.Store(time.Now().UnixNano())
	p.log.Info("events: rebuilt the context from a live snapshot", "reason", reason, "bytes", len(data), "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

// RequestResync asks the background loop (RunResync) for a resync; the context is in doubt at once.
func (p *Pipeline) RequestResync(reason string) { p.request(reason, true) }

func (p *Pipeline) request(reason string, doubt bool) {
	if doubt {
		p.markDoubt()
	}
	if old := p.pending.Load(); old != nil && old.doubt && !doubt {
		return // a resync is pending already; a checkpoint would not add to it
	}
	p.pending.Store(&resyncReq{reason: reason, doubt: doubt})
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// RunResync serves resync and checkpoint requests until ctx ends, retrying a failed one with
// a capped, jittered backoff.
func (p *Pipeline) RunResync(ctx context.Context) {
	attempt := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		}
		for {
			req := p.pending.Swap(nil)
			if req == nil {
				break
			}
			err := p.rebase(ctx, req.reason, req.doubt)
			if err == nil {
				attempt = 0
				continue
			}
			p.log.Warn("events: rebuild failed; retrying", "reason", req.reason, "err", err)
			if errors.Is(err, ErrNoLive) {
				break
			}
			p.pending.CompareAndSwap(nil, req)
			attempt++
			if !amqp.Sleep(ctx, amqp.Backoff(500*time.Millisecond, 32*time.Second, attempt)) {
				return
			}
		}
	}
}
