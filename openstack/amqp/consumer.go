package amqp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Config configures a Consumer; zero values take the defaults.
type Config struct {
	// URL of the broker, e.g. "amqp://guest:guest@127.0.0.1:5672/".
	URL string
	// Queue is our own durable queue; required. It survives restarts of the consumer, so no
	// notification published meanwhile is lost.
	Queue string
	// Exchanges to bind to; default keystone, neutron and nova (oslo's control_exchange names).
	Exchanges []string
	// BindingKeys; default "notifications.*" and "versioned_notifications.*": every priority of
	// the unversioned topic (Neutron, Keystone, Nova's legacy format) and of the versioned one
	// (Nova's default notification_format publishes its versioned notifications there).
	BindingKeys []string
	// DeadLetterExchange and DeadLetterQueue receive rejected messages; default Queue+".dlx" and Queue+".dlq".
	DeadLetterExchange string
	DeadLetterQueue    string
	// ExchangeDurable is used only to create an exchange no service has declared yet, and must
	// match oslo's amqp_durable_queues (default false) or the service's own declaration will fail.
	ExchangeDurable bool
	// Prefetch is how many unacknowledged messages the broker sends ahead; default 16.
	Prefetch int
	// RetryMin and RetryMax bound the wait before requeueing after a handler error; default 200 ms and 30 s.
	RetryMin, RetryMax time.Duration
	// ReconnectMin and ReconnectMax bound the wait before reconnecting; default 250 ms and 30 s.
	ReconnectMin, ReconnectMax time.Duration
	// Heartbeat detects a dead broker; default 10 s.
	Heartbeat time.Duration
	// Logger; default slog.Default().
	Logger *slog.Logger
	// OnReady, if set, is called each time consuming (re)starts, e.g. for tests to publish after it.
	OnReady func()
	// QueueArgs are extra arguments of our queue, e.g. {"x-expires": 86400000} so that the broker
	// drops the queue of a consumer gone for longer than that. They must match on every declaration.
	QueueArgs amqp.Table
	// OnQueueCreated, if set, is called before consuming starts when our queue did not exist: every
	// notification published before was lost to us (first start, a consumer gone past the queue's
	// expiry, a broker that lost its state). Callers that kept state must resynchronise.
	OnQueueCreated func()
	// OnDeadLetter, if set, is called for each message sent to the dead-letter queue, with why.
	OnDeadLetter func(d *Delivery, err error)
}

// Handler processes one delivery. nil acknowledges it; an error wrapping ErrMalformed
// dead-letters it; any other error requeues it after a backoff.
type Handler func(ctx context.Context, d *Delivery) error

// Delivery is one message with its decoded envelope.
type Delivery struct {
	Body        []byte
	Exchange    string
	RoutingKey  string
	Redelivered bool
	Envelope    Envelope

	raw     amqp.Delivery
	settled atomic.Bool
}

// Ack acknowledges the message; later settlements are no-ops.
func (d *Delivery) Ack() error { return d.settle(func() error { return d.raw.Ack(false) }) }

// Reject dead-letters the message (no requeue).
func (d *Delivery) Reject() error { return d.settle(func() error { return d.raw.Reject(false) }) }

// Requeue returns the message to the queue for redelivery.
func (d *Delivery) Requeue() error { return d.settle(func() error { return d.raw.Nack(false, true) }) }

func (d *Delivery) settle(f func() error) error {
	if !d.settled.CompareAndSwap(false, true) {
		return nil
	}
	return f()
}

// Consumer delivers notifications to a handler, one at a time in queue order, reconnecting
// whenever the broker connection or channel drops.
type Consumer struct {
	cfg      Config
	handler  Handler
	log      *slog.Logger
	failures int // consecutive handler errors, for the requeue backoff
}

// NewConsumer checks the config and fills in defaults.
func NewConsumer(cfg Config, h Handler) (*Consumer, error) {
	if cfg.URL == "" || cfg.Queue == "" || h == nil {
		return nil, errors.New("amqp: consumer needs a URL, a queue name and a handler")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.Exchanges == nil {
		cfg.Exchanges = []string{"keystone", "neutron", "nova"}
	}
	if len(cfg.BindingKeys) == 0 {
		cfg.BindingKeys = []string{"notifications.*", "versioned_notifications.*"}
	}
	if cfg.DeadLetterExchange == "" {
		cfg.DeadLetterExchange = cfg.Queue + ".dlx"
	}
	if cfg.DeadLetterQueue == "" {
		cfg.DeadLetterQueue = cfg.Queue + ".dlq"
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 16
	}
	def(&cfg.RetryMin, 200*time.Millisecond)
	def(&cfg.RetryMax, 30*time.Second)
	def(&cfg.ReconnectMin, 250*time.Millisecond)
	def(&cfg.ReconnectMax, 30*time.Second)
	def(&cfg.Heartbeat, 10*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Consumer{cfg: cfg, handler: h, log: cfg.Logger.With("queue", cfg.Queue)}, nil
}

// Run consumes until ctx is cancelled, then returns nil after the message in hand is settled;
// unacknowledged prefetched messages go back to the queue. It returns an error only for a
// topology conflict (an exchange or queue declared with other arguments), which no retry fixes.
func (c *Consumer) Run(ctx context.Context) error {
	attempt := 0
	for {
		ready, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var ae *amqp.Error
		if errors.As(err, &ae) && ae.Code == amqp.PreconditionFailed {
			return fmt.Errorf("amqp: %s: %w", c.cfg.Queue, err)
		}
		if ready {
			attempt = 0 // the last session worked: start the backoff over
		}
		delay := Backoff(c.cfg.ReconnectMin, c.cfg.ReconnectMax, attempt)
		attempt++
		c.log.Warn("amqp: connection lost; reconnecting", "err", err, "in", delay)
		if !Sleep(ctx, delay) {
			return nil
		}
	}
}

// session runs one connection until it drops or ctx ends; ready says whether it got to consuming.
func (c *Consumer) session(ctx context.Context) (ready bool, err error) {
	conn, err := amqp.DialConfig(c.cfg.URL, amqp.Config{
		Heartbeat:  c.cfg.Heartbeat,
		Dial:       amqp.DefaultDial(10 * time.Second),
		Properties: amqp.Table{"connection_name": connectionName(c.cfg.Queue)},
	})
	if err != nil {
		return false, fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	connClosed := conn.NotifyClose(make(chan *amqp.Error, 1))
	if err := c.declareExchanges(conn); err != nil {
		return false, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return false, fmt.Errorf("open channel: %w", err)
	}
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	created, err := c.queueMissing(conn)
	if err != nil {
		return false, err
	}
	deliveries, err := c.setup(ch)
	if err != nil {
		return false, err
	}
	if created && c.cfg.OnQueueCreated != nil {
		c.cfg.OnQueueCreated()
	}
	if c.cfg.OnReady != nil {
		c.cfg.OnReady()
	}
	c.log.Info("amqp: consuming", "exchanges", c.cfg.Exchanges, "bindings", c.cfg.BindingKeys)
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case e := <-connClosed:
			return true, fmt.Errorf("connection closed: %v", e)
		case e := <-chClosed:
			return true, fmt.Errorf("channel closed: %v", e)
		case d, ok := <-deliveries:
			if !ok {
				return true, errors.New("delivery stream ended")
			}
			c.handle(ctx, d)
		}
	}
}

func connectionName(queue string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("pvsc %s@%s", queue, host)
}

// declareExchanges makes sure each exchange exists without contradicting the service that owns
// it: a passive declare first, and only if that finds nothing, a declaration as oslo makes it
// (topic, not auto-deleted, durable as configured). A failed passive declare closes its channel,
// so each exchange gets its own.
func (c *Consumer) declareExchanges(conn *amqp.Connection) error {
	for _, ex := range c.cfg.Exchanges {
		ch, err := conn.Channel()
		if err != nil {
			return fmt.Errorf("open channel: %w", err)
		}
		err = ch.ExchangeDeclarePassive(ex, amqp.ExchangeTopic, false, false, false, false, nil)
		var ae *amqp.Error
		if errors.As(err, &ae) && ae.Code == amqp.NotFound {
			if ch, err = conn.Channel(); err != nil {
				return fmt.Errorf("open channel: %w", err)
			}
			err = ch.ExchangeDeclare(ex, amqp.ExchangeTopic, c.cfg.ExchangeDurable, false, false, false, nil)
		}
		if err != nil {
			return fmt.Errorf("declare exchange %q: %w", ex, err)
		}
		_ = ch.Close()
	}
	return nil
}

// queueMissing reports whether our queue does not exist yet. A failed passive declare closes its
// channel, so it gets one of its own.
func (c *Consumer) queueMissing(conn *amqp.Connection) (bool, error) {
	ch, err := conn.Channel()
	if err != nil {
		return false, fmt.Errorf("open channel: %w", err)
	}
	_, err = ch.QueueDeclarePassive(c.cfg.Queue, true, false, false, false, nil)
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Code == amqp.NotFound {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("inspect queue %q: %w", c.cfg.Queue, err)
	}
	_ = ch.Close()
	return false, nil
}

// setup declares the dead-letter pair and our queue, binds it and starts consuming.
func (c *Consumer) setup(ch *amqp.Channel) (<-chan amqp.Delivery, error) {
	cfg := c.cfg
	if err := ch.Qos(cfg.Prefetch, 0, false); err != nil {
		return nil, fmt.Errorf("qos %d: %w", cfg.Prefetch, err)
	}
	if err := ch.ExchangeDeclare(cfg.DeadLetterExchange, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
		return nil, fmt.Errorf("declare dead-letter exchange %q: %w", cfg.DeadLetterExchange, err)
	}
	if _, err := ch.QueueDeclare(cfg.DeadLetterQueue, true, false, false, false, nil); err != nil {
		return nil, fmt.Errorf("declare dead-letter queue %q: %w", cfg.DeadLetterQueue, err)
	}
	if err := ch.QueueBind(cfg.DeadLetterQueue, "", cfg.DeadLetterExchange, false, nil); err != nil {
		return nil, fmt.Errorf("bind %q to %q: %w", cfg.DeadLetterQueue, cfg.DeadLetterExchange, err)
	}
	args := amqp.Table{"x-dead-letter-exchange": cfg.DeadLetterExchange}
	for k, v := range cfg.QueueArgs {
		args[k] = v
	}
	if _, err := ch.QueueDeclare(cfg.Queue, true, false, false, false, args); err != nil {
		return nil, fmt.Errorf("declare queue %q: %w", cfg.Queue, err)
	}
	for _, ex := range cfg.Exchanges {
		for _, key := range cfg.BindingKeys {
			if err := ch.QueueBind(cfg.Queue, key, ex, false, nil); err != nil {
				return nil, fmt.Errorf("bind %q to %q with %q: %w", cfg.Queue, ex, key, err)
			}
		}
	}
	d, err := ch.Consume(cfg.Queue, "", false, false, false, false, nil)
	if err != nil {
		return nil, fmt.Errorf("consume %q: %w", cfg.Queue, err)
	}
	return d, nil
}

// handle decodes, calls the handler and settles the message by its verdict. A message that
// cannot be decoded never reaches the handler; a handler that panics dead-letters the message,
// since the same message would make it panic again.
func (c *Consumer) handle(ctx context.Context, raw amqp.Delivery) {
	d := &Delivery{Body: raw.Body, Exchange: raw.Exchange, RoutingKey: raw.RoutingKey,
		Redelivered: raw.Redelivered, raw: raw}
	env, err := DecodeEnvelope(raw.Body)
	if err == nil {
		d.Envelope = env
		err = c.call(ctx, d)
	}
	log := c.log.With("exchange", raw.Exchange, "routing_key", raw.RoutingKey, "event_type", d.Envelope.Message.EventType)
	var serr error
	switch {
	case err == nil:
		c.failures = 0
		serr = d.Ack()
	case errors.Is(err, ErrMalformed):
		log.Warn("amqp: dead-lettering message", "err", err)
		serr = d.Reject()
		if c.cfg.OnDeadLetter != nil {
			c.cfg.OnDeadLetter(d, err)
		}
	default:
		c.failures++
		delay := Backoff(c.cfg.RetryMin, c.cfg.RetryMax, c.failures-1)
		log.Warn("amqp: handler failed; requeueing", "err", err, "in", delay)
		Sleep(ctx, delay)
		serr = d.Requeue()
	}
	if serr != nil {
		// the channel is gone; the broker requeues the message itself and the session reconnects
		log.Warn("amqp: settle failed", "err", serr)
	}
}

func (c *Consumer) call(ctx context.Context, d *Delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: handler panicked: %v", ErrMalformed, p)
		}
	}()
	return c.handler(ctx, d)
}

// Backoff is exponential in attempt, capped, with equal jitter so that many consumers cut off at
// once do not come back at once.
func Backoff(lo, hi time.Duration, attempt int) time.Duration {
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	if d > hi || d <= 0 {
		d = hi
	}
	return d/2 + rand.N(d/2+1)
}

// Sleep waits d or until ctx ends; it reports whether the full wait happened.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
