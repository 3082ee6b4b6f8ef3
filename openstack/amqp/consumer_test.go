package amqp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// acks records how a delivery was settled.
type acks struct{ calls []string }

func (a *acks) Ack(tag uint64, multiple bool) error { a.calls = append(a.calls, "ack"); return nil }
func (a *acks) Nack(tag uint64, multiple, requeue bool) error {
	a.calls = append(a.calls, fmt.Sprintf("nack requeue=%v", requeue))
	return nil
}
func (a *acks) Reject(tag uint64, requeue bool) error {
	a.calls = append(a.calls, fmt.Sprintf("reject requeue=%v", requeue))
	return nil
}

const goodBody = `{"oslo.version": "2.0", "oslo.message": "{\"message_id\": \"m1\", \"event_type\": \"port.create.end\", \"publisher_id\": \"network.vm\", \"priority\": \"INFO\", \"payload\": {\"port\": {\"id\": \"p\"}}, \"timestamp\": \"2026-11-22 09:18:21.971177\"}"}`

func testConsumer(t *testing.T, h Handler) *Consumer {
	t.Helper()
	c, err := NewConsumer(Config{URL: "amqp://x", Queue: "q", RetryMin: time.Millisecond, RetryMax: 4 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, h)
	require.NoError(t, err)
	return c
}

func deliver(c *Consumer, body string) *acks {
	a := &acks{}
	c.handle(context.Background(), amqp.Delivery{Acknowledger: a, DeliveryTag: 1, Body: []byte(body),
		Exchange: "neutron", RoutingKey: "notifications.info"})
	return a
}

func TestHandleVerdicts(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		handler Handler
		want    string
		called  bool
	}{
		{"ok", goodBody, func(context.Context, *Delivery) error { return nil }, "ack", true},
		{"handler says malformed", goodBody, func(context.Context, *Delivery) error {
			return fmt.Errorf("port without id: %w", ErrMalformed)
		}, "reject requeue=false", true},
		{"handler fails", goodBody, func(context.Context, *Delivery) error { return errors.New("db down") },
			"nack requeue=true", true},
		{"handler panics", goodBody, func(context.Context, *Delivery) error { panic("boom") }, "reject requeue=false", true},
		{"malformed envelope", `{"oslo.version": "2.0", "oslo.message": "{"}`, nil, "reject requeue=false", false},
		{"garbage", "\x00\xff", nil, "reject requeue=false", false},
		{"handler settles itself", goodBody, func(_ context.Context, d *Delivery) error {
			return d.Requeue()
		}, "nack requeue=true", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			c := testConsumer(t, func(ctx context.Context, d *Delivery) error {
				called = true
				assert.Equal(t, "port.create.end", d.Envelope.Message.EventType)
				assert.Equal(t, "neutron", d.Exchange)
				assert.JSONEq(t, `{"port": {"id": "p"}}`, string(d.Envelope.Message.Payload))
				return tc.handler(ctx, d)
			})
			a := deliver(c, tc.body)
			assert.Equal(t, []string{tc.want}, a.calls, "settled exactly once")
			assert.Equal(t, tc.called, called)
		})
	}
}

func TestHandleBackoffGrowsAndResets(t *testing.T) {
	fail := true
	c := testConsumer(t, func(context.Context, *Delivery) error {
		if fail {
			return errors.New("transient")
		}
		return nil
	})
	for i := 1; i <= 3; i++ {
		deliver(c, goodBody)
		assert.Equal(t, i, c.failures)
	}
	fail = false
	deliver(c, goodBody)
	assert.Zero(t, c.failures)
}

func TestBackoff(t *testing.T) {
	for attempt := range 100 {
		d := Backoff(100*time.Millisecond, 5*time.Second, attempt)
		want := min(100*time.Millisecond<<min(attempt, 20), 5*time.Second)
		assert.GreaterOrEqual(t, d, want/2, "attempt %d", attempt)
		assert.LessOrEqual(t, d, want, "attempt %d", attempt)
	}
	assert.Equal(t, time.Duration(0), Backoff(0, 0, 3))
	assert.LessOrEqual(t, Backoff(time.Hour, time.Second, 0), time.Second)
}

func TestNewConsumerDefaults(t *testing.T) {
	_, err := NewConsumer(Config{URL: "amqp://x"}, func(context.Context, *Delivery) error { return nil })
	assert.Error(t, err, "queue required")
	c := testConsumer(t, func(context.Context, *Delivery) error { return nil })
	assert.Equal(t, []string{"keystone", "neutron", "nova"}, c.cfg.Exchanges)
	assert.Equal(t, []string{"notifications.*", "versioned_notifications.*"}, c.cfg.BindingKeys, "Nova's versioned topic by default")
	assert.Equal(t, "q.dlx", c.cfg.DeadLetterExchange)
	assert.Equal(t, "q.dlq", c.cfg.DeadLetterQueue)
}

// With no broker, Run keeps retrying and returns promptly once cancelled.
func TestRunStopsOnCancelWithoutBroker(t *testing.T) {
	c, err := NewConsumer(Config{URL: "amqp://guest:guest@127.0.0.1:1/", Queue: "q",
		ReconnectMin: time.Millisecond, ReconnectMax: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, func(context.Context, *Delivery) error { return nil })
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	assert.NoError(t, c.Run(ctx))
	assert.Less(t, time.Since(start), 2*time.Second)
}
