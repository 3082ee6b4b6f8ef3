package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/stacktest"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/api"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/feed/feedtest"
	"pvsc.dev/pvsc/server/journal"
	"pvsc.dev/pvsc/specs/openstack"
)

// crashPlan is what the test publishes: the stream's messages in order, some twice (a
// redelivery by the publisher's side), some malformed bodies in between.
type crashPlan struct {
	stream *feedtest.Stream
	bodies [][]byte
	ids    []string // the message id of each body; "" for a malformed one
	valid  []string // each applicable message id once, in order
}

func newCrashPlan(n int) *crashPlan {
	s := feedtest.NewStream(17, 30, n)
	p := &crashPlan{stream: s}
	add := func(id string, body []byte) { p.ids, p.bodies = append(p.ids, id), append(p.bodies, body) }
	for i, body := range s.Messages {
		add(s.IDs[i], body)
		p.valid = append(p.valid, s.IDs[i])
		if i%97 == 5 {
			add("", []byte(`{"oslo.version": "2.0", "oslo.message": "{\"event_type\": \"port.create.end\", "}`))
		}
		if i%89 == 7 {
			add(fmt.Sprintf("bad-%d", i), feedtest.Envelope(map[string]any{"event_type": "port.create.end", "message_id": fmt.Sprintf("bad-%d", i),
				"payload": map[string]any{"port": map[string]any{"id": i}}}))
		}
		if i%50 == 3 && i > 10 {
			add(s.IDs[i-4], s.Messages[i-4]) // a duplicate of an earlier message
		}
	}
	return p
}

// TestCrashRecovery kills pvsc with SIGKILL again and again while it consumes a long stream.
// After each kill the state on disk, restored, equals a clean replay of a prefix of the
// stream that holds every message the broker saw acknowledged; at the end the running pvsc
// equals a clean replay of the whole stream: every message applied exactly once.
func TestCrashRecovery(t *testing.T) {
	st := stacktest.New(t)
	plan := newCrashPlan(6000)
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshot.json")
	require.NoError(t, os.WriteFile(snap, plan.stream.Snapshot, 0o644))
	statePath := filepath.Join(dir, "state.db")
	exchange, queue := stacktest.UniqueName("pvsc-crash-x"), stacktest.UniqueName("pvsc-crash")
	ch := amqpChannel(t, st.AMQPURL)
	require.NoError(t, ch.ExchangeDeclare(exchange, "topic", false, false, false, false, nil))
	t.Cleanup(func() { _ = ch.ExchangeDelete(exchange, false, false); deleteQueues(t, st.AMQPURL, queue) })
	apiAddr := freePort(t)
	args := []string{"serve", "--spec", "specs/openstack", "--snapshot", snap, "--state", statePath, "--no-enrich",
		"--amqp-url", st.AMQPURL, "--queue", queue, "--exchanges", exchange, "--listen", apiAddr, "--auth", "bearer"}
	p := start(t, st, apiAddr, args...)
	publishAll(t, ch, exchange, plan.bodies)

	r := rand.New(rand.NewPCG(1, 2))
	kills := 0
	for ; ; kills++ {
		time.Sleep(time.Duration(150+r.IntN(450)) * time.Millisecond)
		p.kill()
		depth := settledDepth(t, amqpChannel(t, st.AMQPURL), queue)
		journaled := checkDisk(t, plan, statePath, len(plan.bodies)-depth)
		t.Logf("kill %d: %d messages left in the queue, %d events journaled", kills+1, depth, journaled)
		p = start(t, st, apiAddr, args...)
		if depth == 0 {
			break
		}
	}
	require.GreaterOrEqual(t, kills, 3, "the stream ended before pvsc was killed a few times: make it longer")
	want := cleanReplay(t, plan.stream, plan.valid)
	eventually(t, 60*time.Second, "the restarted pvsc holds every message", func() bool {
		return p.get(t, "/v1/status")["events"].(map[string]any)["journal"].(float64) == float64(len(plan.valid))
	})
	for _, scope := range plan.stream.Scopes {
		got := p.get(t, "/v1/scopes/"+scope)["properties"].([]any)
		for i, prop := range openstack.Spec.Properties {
			v, err := api.View(want, prop.Name, scope)
			require.NoError(t, err)
			wantJSON, _ := json.Marshal(v)
			gotJSON, _ := json.Marshal(got[i])
			require.JSONEq(t, string(wantJSON), string(gotJSON), "%s in %s", prop.Name, scope)
		}
	}
	assert.Equal(t, float64(len(plan.valid)), p.get(t, "/v1/status")["events"].(map[string]any)["position"], "each applicable message journaled once")
	t.Logf("%d kills; %d messages published (%d applicable, the rest duplicates or malformed); the final state equals the clean replay", kills+1, len(plan.bodies), len(plan.valid))
}

// checkDisk restores the store of a killed pvsc and compares it with a clean replay; acked
// is how many published messages the broker no longer holds. It returns the journal's length.
func checkDisk(t *testing.T, plan *crashPlan, path string, acked int) int {
	t.Helper()
	store, err := journal.Open(path)
	require.NoError(t, err)
	defer store.Close()
	var ids []string
	require.NoError(t, store.Replay(func(e journal.Entry) error { ids = append(ids, e.MsgID); return nil }))
	require.LessOrEqual(t, len(ids), len(plan.valid))
	require.Equal(t, plan.valid[:len(ids)], ids, "the journal is the stream's applicable messages, each once, in order")
	seen := map[string]bool{}
	for _, id := range plan.ids[:acked] {
		if id != "" && !seen[id] && !isBad(id) {
			seen[id] = true
		}
	}
	require.GreaterOrEqual(t, len(ids), len(seen), "every acknowledged message is journaled")
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	ok, err := feed.New(feed.Config{Engine: e, Store: store}).Restore()
	require.NoError(t, err)
	require.True(t, ok)
	want := cleanReplay(t, plan.stream, ids)
	require.Equal(t, feedtest.Digest(want, plan.stream.Scopes), feedtest.Digest(e, plan.stream.Scopes))
	return len(ids)
}

func isBad(id string) bool { return len(id) > 4 && id[:4] == "bad-" }

// cleanReplay applies the snapshot and then the named messages, once each, to a fresh engine.
func cleanReplay(t *testing.T, s *feedtest.Stream, ids []string) *runtime.Engine {
	t.Helper()
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	p := feed.New(feed.Config{Engine: e})
	_, err = p.Load("snapshot", s.Snapshot)
	require.NoError(t, err)
	byID := map[string][]byte{}
	for i, id := range s.IDs {
		byID[id] = s.Messages[i]
	}
	for _, id := range ids {
		_, err := p.Apply(id, byID[id])
		require.NoError(t, err)
	}
	return e
}

func amqpChannel(t *testing.T, url string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	require.NoError(t, err)
	return ch
}

func publishAll(t *testing.T, ch *amqp.Channel, exchange string, bodies [][]byte) {
	t.Helper()
	require.NoError(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, len(bodies)))
	for _, b := range bodies {
		require.NoError(t, ch.PublishWithContext(context.Background(), exchange, "notifications.info", false, false,
			amqp.Publishing{ContentType: "application/json", Body: b}))
	}
	for range bodies {
		c := <-confirms
		require.True(t, c.Ack, "the broker refused a message")
	}
}

// settledDepth is the queue's length once the broker has taken back what the killed consumer held.
func settledDepth(t *testing.T, ch *amqp.Channel, queue string) int {
	t.Helper()
	last := -1
	for i := 0; i < 50; i++ {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		require.NoError(t, err)
		if q.Consumers == 0 && q.Messages == last {
			return q.Messages
		}
		last = q.Messages
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("queue %s did not settle", queue)
	return 0
}
