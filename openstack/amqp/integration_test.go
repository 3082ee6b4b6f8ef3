package amqp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/stacktest"
)

// envelope wraps a notification as oslo's messagingv2 driver does.
func envelope(t *testing.T, eventType, id string, payload any) []byte {
	t.Helper()
	msg, err := json.Marshal(map[string]any{"message_id": id, "event_type": eventType, "publisher_id": "pvsc.test",
		"priority": "INFO", "payload": payload, "timestamp": time.Now().UTC().Format("2006-01-02 15:04:05.000000")})
	require.NoError(t, err)
	body, err := json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": string(msg)})
	require.NoError(t, err)
	return body
}

// publish sends one message on a connection of its own, which the broker-side disconnect of the
// test may have closed before.
func publish(t *testing.T, url, exchange, key string, body []byte) {
	t.Helper()
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	defer conn.Close()
	ch, err := conn.Channel()
	require.NoError(t, err)
	require.NoError(t, ch.PublishWithContext(context.Background(), exchange, key, false, false,
		amqp.Publishing{ContentType: "application/json", ContentEncoding: "utf-8", Body: body}))
}

// deadLettered polls the dead-letter queue for a message with the body.
func deadLettered(t *testing.T, url, queue string, body []byte) bool {
	t.Helper()
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	defer conn.Close()
	ch, err := conn.Channel()
	require.NoError(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		d, ok, err := ch.Get(queue, true)
		require.NoError(t, err)
		if ok && string(d.Body) == string(body) {
			return true
		}
		if !ok {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return false
}

func deleteTopology(t *testing.T, url string, cfg Config) {
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	for _, q := range []string{cfg.Queue, cfg.Queue + ".dlq"} {
		if _, err := ch.QueueDelete(q, false, false, false); err != nil {
			t.Logf("cleanup: delete queue %s: %v", q, err)
		}
	}
	if err := ch.ExchangeDelete(cfg.Queue+".dlx", false, false); err != nil {
		t.Logf("cleanup: delete exchange: %v", err)
	}
}

// waitEvent waits for a delivery with the message id.
func waitEvent(t *testing.T, got <-chan *Delivery, pred func(*Delivery) bool, what string) *Delivery {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case d := <-got:
			if pred(d) {
				return d
			}
		case <-timeout:
			t.Fatalf("no delivery of %s within 30 s", what)
			return nil
		}
	}
}

func byID(id string) func(*Delivery) bool {
	return func(d *Delivery) bool { return d.Envelope.Message.MessageID == id }
}

func TestIntegrationConsumer(t *testing.T) {
	st := stacktest.New(t)
	cfg := Config{URL: st.AMQPURL, Queue: stacktest.UniqueName("pvsc-test"), Prefetch: 4,
		ReconnectMin: 100 * time.Millisecond, ReconnectMax: time.Second, RetryMin: 50 * time.Millisecond}
	t.Cleanup(func() { deleteTopology(t, st.AMQPURL, cfg) })

	got := make(chan *Delivery, 10000)
	var ready atomic.Int32
	readyCh := make(chan struct{}, 10)
	cfg.OnReady = func() { ready.Add(1); readyCh <- struct{}{} }
	var failOnce sync.Map
	c, err := NewConsumer(cfg, func(ctx context.Context, d *Delivery) error {
		id := d.Envelope.Message.MessageID
		switch d.Envelope.Message.EventType {
		case "pvsc.test.poison":
			return fmt.Errorf("test: %w", ErrMalformed)
		case "pvsc.test.flaky":
			if _, seen := failOnce.LoadOrStore(id, true); !seen {
				return fmt.Errorf("transient failure of %s", id)
			}
		}
		got <- d
		return nil
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	waitReady := func() {
		select {
		case <-readyCh:
		case <-time.After(30 * time.Second):
			t.Fatal("consumer not ready within 30 s")
		}
	}
	waitReady()

	t.Run("delivered from the neutron exchange", func(t *testing.T) {
		publish(t, st.AMQPURL, "neutron", "notifications.info", envelope(t, "port.update.end", "it-1", map[string]any{"port": map[string]any{"id": "x"}}))
		d := waitEvent(t, got, byID("it-1"), "it-1")
		assert.Equal(t, "neutron", d.Exchange)
		assert.Equal(t, "notifications.info", d.RoutingKey)
		assert.Equal(t, "2.0", d.Envelope.OsloVersion)
		assert.JSONEq(t, `{"port": {"id": "x"}}`, string(d.Envelope.Message.Payload))
	})

	t.Run("other priorities and exchanges", func(t *testing.T) {
		publish(t, st.AMQPURL, "keystone", "notifications.error", envelope(t, "identity.x", "it-2", map[string]any{}))
		publish(t, st.AMQPURL, "nova", "notifications.info", envelope(t, "compute.instance.create.end", "it-3", map[string]any{}))
		waitEvent(t, got, byID("it-2"), "it-2")
		waitEvent(t, got, byID("it-3"), "it-3")
	})

	t.Run("malformed lands in the DLQ", func(t *testing.T) {
		garbage := []byte(`{"oslo.version": "2.0", "oslo.message": "not json"}`)
		publish(t, st.AMQPURL, "neutron", "notifications.info", garbage)
		assert.True(t, deadLettered(t, st.AMQPURL, cfg.Queue+".dlq", garbage))
		poison := envelope(t, "pvsc.test.poison", "it-4", map[string]any{})
		publish(t, st.AMQPURL, "neutron", "notifications.info", poison)
		assert.True(t, deadLettered(t, st.AMQPURL, cfg.Queue+".dlq", poison))
	})

	t.Run("handler error requeues", func(t *testing.T) {
		publish(t, st.AMQPURL, "neutron", "notifications.info", envelope(t, "pvsc.test.flaky", "it-5", map[string]any{}))
		d := waitEvent(t, got, byID("it-5"), "it-5")
		assert.True(t, d.Redelivered)
	})

	t.Run("a real Neutron notification", func(t *testing.T) {
		admin := st.AdminToken(t)
		net := st.CreateNetwork(t, admin, map[string]any{"name": stacktest.UniqueName("amqpnet")})
		netID := net["id"].(string)
		waitEvent(t, got, func(d *Delivery) bool {
			var p struct {
				Network struct {
					ID string `json:"id"`
				} `json:"network"`
			}
			return d.Envelope.Message.EventType == "network.create.end" &&
				json.Unmarshal(d.Envelope.Message.Payload, &p) == nil && p.Network.ID == netID
		}, "network.create.end of "+netID)
	})

	t.Run("reconnects after the broker drops connections", func(t *testing.T) {
		before := ready.Load()
		st.RabbitmqCtl(t, "close_all_connections", "pvsc integration test")
		waitReady()
		assert.Greater(t, ready.Load(), before)
		publish(t, st.AMQPURL, "neutron", "notifications.info", envelope(t, "port.update.end", "it-6", map[string]any{}))
		waitEvent(t, got, byID("it-6"), "it-6 after reconnect")
	})

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// A queue declared elsewhere with other arguments is a conflict that Run reports instead of retrying forever.
func TestIntegrationTopologyConflict(t *testing.T) {
	st := stacktest.New(t)
	cfg := Config{URL: st.AMQPURL, Queue: stacktest.UniqueName("pvsc-conflict"), Exchanges: []string{"neutron"}}
	t.Cleanup(func() { deleteTopology(t, st.AMQPURL, cfg) })
	conn, err := amqp.Dial(st.AMQPURL)
	require.NoError(t, err)
	ch, err := conn.Channel()
	require.NoError(t, err)
	_, err = ch.QueueDeclare(cfg.Queue, true, false, false, false, nil) // no dead-letter argument
	require.NoError(t, err)
	conn.Close()

	c, err := NewConsumer(cfg, func(context.Context, *Delivery) error { return nil })
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = c.Run(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), cfg.Queue)
}

// Notifications published while no consumer runs wait in the durable queue.
func TestIntegrationQueueOutlivesConsumer(t *testing.T) {
	st := stacktest.New(t)
	cfg := Config{URL: st.AMQPURL, Queue: stacktest.UniqueName("pvsc-durable"), Exchanges: []string{"neutron"}}
	t.Cleanup(func() { deleteTopology(t, st.AMQPURL, cfg) })
	got := make(chan *Delivery, 100)
	run := func() (stop func()) {
		readyCh := make(chan struct{}, 1)
		cfg.OnReady = func() { readyCh <- struct{}{} }
		c, err := NewConsumer(cfg, func(_ context.Context, d *Delivery) error { got <- d; return nil })
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { assert.NoError(t, c.Run(ctx)); close(done) }()
		<-readyCh
		return func() { cancel(); <-done }
	}
	run()() // declare the queue, then stop
	publish(t, st.AMQPURL, "neutron", "notifications.info", envelope(t, "port.update.end", "while-away", map[string]any{}))
	stop := run()
	defer stop()
	waitEvent(t, got, byID("while-away"), "the message published while no consumer ran")
}
