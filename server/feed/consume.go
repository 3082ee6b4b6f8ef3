package feed

import (
	"context"
	"errors"
	"fmt"
	"time"

	osamqp "pvsc.dev/pvsc/openstack/amqp"
)

// Consume runs an AMQP consumer feeding the pipeline until ctx ends. A queue that had to be
// created while the pipeline already held a context (restored from the store, or consumed
// before) means notifications were lost: the context is rebuilt from a live snapshot, in
// doubt meanwhile. A fatal error (the journal cannot be written) stops it.
func (p *Pipeline) Consume(ctx context.Context, cfg osamqp.Config) error {
	p.Follow()
	defer p.consuming.Store(false)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	cfg.OnQueueCreated = func() { p.queueCreated() }
	ready := cfg.OnReady
	cfg.OnReady = func() {
		p.sessions.Add(1)
		p.consuming.Store(true)
		p.m.connected.Set(1)
		if ready != nil {
			ready()
		}
	}
	cfg.OnDeadLetter = func(d *osamqp.Delivery, err error) {
		reason := "envelope"
		var re *RejectError
		if errors.As(err, &re) {
			reason = re.Reason
		}
		p.m.rejected.WithLabelValues(reason).Inc()
	}
	c, err := osamqp.NewConsumer(cfg, func(ctx context.Context, d *osamqp.Delivery) error {
		err := p.Handle(ctx, d)
		var fe *FatalError
		if errors.As(err, &fe) {
			cancel(fe)
		}
		return err
	})
	if err != nil {
		return err
	}
	err = c.Run(ctx)
	p.m.connected.Set(0)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// Follow says a consumer will feed the pipeline: it is not ready until that consumer consumes.
func (p *Pipeline) Follow() { p.following.Store(true) }

func (p *Pipeline) queueCreated() {
	if !p.restored && p.sessions.Load() == 0 {
		if p.cfg.Live != nil {
			p.RequestResync("queue created after the snapshot")
			return
		}
		p.log.Warn("events: our queue is new: events between the snapshot and now are not known (no live snapshot source to catch up)")
		return
	}
	p.log.Warn("events: our queue was gone: notifications were lost; rebuilding")
	p.RequestResync("queue lost")
}

// Handle applies one delivery: nil acknowledges it; a RejectError (wrapping ErrMalformed)
// dead-letters it; other errors requeue it.
func (p *Pipeline) Handle(ctx context.Context, d *osamqp.Delivery) error {
	msg := d.Envelope.Message
	if !msg.Timestamp.IsZero() {
		p.m.lag.Observe(time.Since(msg.Timestamp).Seconds())
	}
	data := d.Body
	if p.cfg.Enricher != nil && !p.seenLocked(msg.MessageID) {
		enriched, err := p.cfg.Enricher.Enrich(ctx, msg)
		if err != nil {
			return err
		}
		if enriched != nil {
			data = enriched
		}
	}
	out, err := p.Apply(msg.MessageID, data)
	if out == Rejected {
		return fmt.Errorf("%w: %w", osamqp.ErrMalformed, err)
	}
	if err == nil && !msg.Timestamp.IsZero() {
		p.lastEvent.Store(msg.Timestamp.UnixNano())
		p.m.lastEvent.Set(float64(msg.Timestamp.UnixNano()) / 1e9)
	}
	return err
}

func (p *Pipeline) seenLocked(msgID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.isSeen(msgID)
}
