package exchange

import (
	"context"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	osamqp "pvsc.dev/pvsc/openstack/amqp"
	"pvsc.dev/pvsc/server/idmef"
)

// Run consumes the cloud's incoming alerts until ctx ends, reconnecting when the broker goes
// away. Messages are handled one at a time (the manager reads them in order); a malformed or
// refused one goes to the queue's dead-letter queue (Queue+".dlq") with the reason logged.
func (r *Receiver) Run(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		ready, err := r.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var ae *amqp.Error
		if errors.As(err, &ae) && ae.Code == amqp.PreconditionFailed {
			return fmt.Errorf("alerts in: %s: %w", r.cfg.Queue, err)
		}
		if ready {
			attempt = 0
		}
		delay := osamqp.Backoff(250*time.Millisecond, 30*time.Second, attempt)
		r.cfg.Log.Warn("alerts in: connection lost; reconnecting", "err", err, "in", delay)
		if !osamqp.Sleep(ctx, delay) {
			return nil
		}
	}
}

func (r *Receiver) session(ctx context.Context) (ready bool, err error) {
	conn, err := amqp.DialConfig(r.cfg.URL, amqp.Config{Heartbeat: 10 * time.Second, Dial: amqp.DefaultDial(10 * time.Second),
		Properties: amqp.Table{"connection_name": "pvsc alerts in " + r.cfg.Queue}})
	if err != nil {
		return false, fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return false, err
	}
	deliveries, err := r.setup(ch)
	if err != nil {
		return false, err
	}
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	r.cfg.Log.Info("alerts in: consuming", "exchange", r.cfg.Exchange, "queue", r.cfg.Queue)
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case e := <-closed:
			return true, fmt.Errorf("connection closed: %v", e)
		case d, ok := <-deliveries:
			if !ok {
				return true, errors.New("delivery stream ended")
			}
			r.settle(ctx, d)
		}
	}
}

// setup declares what music-link.sh declares (the same arguments, so either may come first),
// our queue with its dead-letter pair, and starts consuming.
func (r *Receiver) setup(ch *amqp.Channel) (<-chan amqp.Delivery, error) {
	q, dlx := r.cfg.Queue, r.cfg.Queue+".dlx"
	steps := []func() error{
		func() error { return ch.Qos(16, 0, false) },
		func() error {
			return ch.ExchangeDeclare(r.cfg.Exchange, amqp.ExchangeTopic, true, false, false, false, nil)
		},
		func() error { return ch.ExchangeDeclare(dlx, amqp.ExchangeFanout, true, false, false, false, nil) },
		func() error { _, err := ch.QueueDeclare(q+".dlq", true, false, false, false, nil); return err },
		func() error { return ch.QueueBind(q+".dlq", "", dlx, false, nil) },
		func() error {
			_, err := ch.QueueDeclare(q, true, false, false, false, amqp.Table{"x-dead-letter-exchange": dlx})
			return err
		},
		func() error { return ch.QueueBind(q, "#", r.cfg.Exchange, false, nil) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	return ch.Consume(q, "", false, false, false, false, nil)
}

// settle handles a delivery and acknowledges, dead-letters or requeues it. A handler panic is
// a message that would make it panic again: dead-lettered, and the receiver goes on.
func (r *Receiver) settle(ctx context.Context, d amqp.Delivery) {
	err := r.safeHandle(d.Body, via(d.Headers))
	switch {
	case err == nil:
		_ = d.Ack(false)
	case errors.Is(err, idmef.ErrMalformed) || errors.Is(err, ErrRefused):
		r.cfg.Log.Warn("alerts in: dead-lettering message", "message_id", d.MessageId, "app_id", d.AppId, "err", err)
		_ = d.Reject(false)
	default:
		r.cfg.Log.Error("alerts in: could not act on an alert; requeueing", "message_id", d.MessageId, "err", err)
		osamqp.Sleep(ctx, time.Second)
		_ = d.Nack(false, true)
	}
}

func (r *Receiver) safeHandle(body []byte, from string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: handling panicked: %v", idmef.ErrMalformed, p)
		}
	}()
	return r.HandleFrom(body, from)
}

// via is the vhost the last shovel moved a message from: music-link.sh's shovels add
// forward headers, and each shovel puts its own first in x-shovelled, so a publisher cannot
// forge the entry that counts.
func via(h amqp.Table) string {
	list, _ := h["x-shovelled"].([]any)
	if len(list) == 0 {
		return ""
	}
	t, _ := list[0].(amqp.Table)
	v, _ := t["shovel-vhost"].(string)
	return v
}
