package feed

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed/feedtest"
	"pvsc.dev/pvsc/server/journal"
	"pvsc.dev/pvsc/specs/openstack"
)

func newEngine(t *testing.T) *runtime.Engine {
	t.Helper()
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	return e
}

// replay is the clean replay: a fresh engine, the snapshot, then each message once, in order.
func replay(t *testing.T, s *feedtest.Stream, n int) string {
	t.Helper()
	p := New(Config{Engine: newEngine(t)})
	_, err := p.Load("snapshot", s.Snapshot)
	require.NoError(t, err)
	for i := 0; i < n; i++ {
		_, err := p.Apply(s.IDs[i], s.Messages[i])
		require.NoError(t, err)
	}
	return feedtest.Digest(p.Engine(), s.Scopes)
}

func TestDuplicatesApplyOnceAndRestoreEqualsReplay(t *testing.T) {
	s := feedtest.NewStream(3, 20, 400)
	path := filepath.Join(t.TempDir(), "state.db")
	store, err := journal.Open(path)
	require.NoError(t, err)
	p := New(Config{Engine: newEngine(t), Store: store})
	_, err = p.Load("snapshot", s.Snapshot)
	require.NoError(t, err)
	counts := map[Outcome]int{}
	for i := range s.Messages {
		for range 1 + i%3/2 { // every third message comes twice, as a redelivery would
			out, err := p.Apply(s.IDs[i], s.Messages[i])
			require.NoError(t, err)
			counts[out]++
		}
	}
	want := replay(t, s, len(s.Messages))
	assert.Equal(t, want, feedtest.Digest(p.Engine(), s.Scopes))
	assert.Equal(t, len(s.Messages), counts[Applied]+counts[Ignored])
	assert.Positive(t, counts[Duplicate])
	require.NoError(t, store.Close())

	store, err = journal.Open(path)
	require.NoError(t, err)
	defer store.Close()
	q := New(Config{Engine: newEngine(t), Store: store})
	ok, err := q.Restore()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, want, feedtest.Digest(q.Engine(), s.Scopes), "a restart restores exactly what was applied")
	out, err := q.Apply(s.IDs[7], s.Messages[7])
	require.NoError(t, err)
	assert.Equal(t, Duplicate, out, "message ids survive the restart")
}

func TestMalformedEventsAreRejectedAndChangeNothing(t *testing.T) {
	s := feedtest.NewStream(5, 5, 50)
	p := New(Config{Engine: newEngine(t)})
	_, err := p.Load("snapshot", s.Snapshot)
	require.NoError(t, err)
	before := feedtest.Digest(p.Engine(), s.Scopes)
	cases := map[string]string{
		"broken JSON":  `{"oslo.version": "2.0", "oslo.message": "{\"event_type\": \"port.create.end\", `,
		"wrong type":   string(feedtest.Envelope(map[string]any{"event_type": "port.create.end", "message_id": "x1", "payload": map[string]any{"port": map[string]any{"id": 42}}})),
		"missing key":  string(feedtest.Envelope(map[string]any{"event_type": "port.delete.end", "message_id": "x2", "payload": map[string]any{}})),
		"not a object": `[1, 2]`,
	}
	for name, body := range cases {
		out, err := p.Apply("", []byte(body))
		assert.Equal(t, Rejected, out, name)
		var re *RejectError
		require.True(t, errors.As(err, &re), name)
		assert.NotEmpty(t, re.Error(), name)
	}
	out, err := p.Apply("x3", feedtest.Envelope(map[string]any{"event_type": "port.create.end", "message_id": "x3", "payload": map[string]any{"port": map[string]any{"id": 42}}}))
	assert.Equal(t, Rejected, out)
	assert.ErrorContains(t, err, "port_id")
	out, err = p.Apply("x4", feedtest.Envelope(map[string]any{"event_type": "compute.metrics.update", "message_id": "x4", "payload": map[string]any{}}))
	require.NoError(t, err)
	assert.Equal(t, Ignored, out)
	assert.Equal(t, before, feedtest.Digest(p.Engine(), s.Scopes))
}

func TestResyncFailsClosedUntilTheSnapshotLoads(t *testing.T) {
	s := feedtest.NewStream(9, 5, 10)
	var calls atomic.Int32
	release := make(chan struct{})
	e := newEngine(t)
	p := New(Config{Engine: e, Live: func(ctx context.Context) (string, []byte, error) {
		if calls.Add(1) == 1 {
			return "", nil, errors.New("keystone is down")
		}
		<-release
		return "live", s.Snapshot, nil
	}})
	_, err := p.Load("snapshot", s.Snapshot)
	require.NoError(t, err)
	deny := func() runtime.Verdict {
		ops, err := e.Neutral("update_port", map[string]any{"port_id": "port-0-2", "device_owner": "network:dhcp"})
		require.NoError(t, err)
		d := e.Decide(&ops[0])
		return d.Verdict()
	}
	require.Equal(t, runtime.Allow, deny(), "port-0-2 is free: making it network-owned is allowed")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { p.RunResync(ctx); close(done) }()
	p.RequestResync("test")
	assert.True(t, p.Status().InDoubt)
	assert.Equal(t, runtime.Deny, deny(), "in doubt: no_bypass fails closed")
	close(release)
	require.Eventually(t, func() bool { return !p.Status().InDoubt }, 10e9, 10e6)
	assert.Equal(t, runtime.Allow, deny())
	assert.Equal(t, int32(2), calls.Load(), "the failed snapshot was retried")
	cancel()
	<-done
}

func TestLoadRefusesATruncatedSnapshotAndKeepsTheContext(t *testing.T) {
	s := feedtest.NewStream(2, 5, 20)
	store, err := journal.Open(filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	defer store.Close()
	p := New(Config{Engine: newEngine(t), Store: store})
	_, err = p.Load("good.json", s.Snapshot)
	require.NoError(t, err)
	for i := range s.Messages {
		_, err := p.Apply(s.IDs[i], s.Messages[i])
		require.NoError(t, err)
	}
	before := feedtest.Digest(p.Engine(), s.Scopes)
	_, err = p.Load("cut.json", s.Snapshot[:len(s.Snapshot)/2])
	assert.EqualError(t, err, "cut.json: truncated: the JSON ends before it is complete")
	assert.Equal(t, before, feedtest.Digest(p.Engine(), s.Scopes))
	b, _, err := store.Base()
	require.NoError(t, err)
	assert.Equal(t, "good.json", b.Name)
	assert.True(t, bytes.Equal(s.Snapshot, b.Data))
	assert.Equal(t, len(s.Messages), store.Len())
}

func TestCheckpointRebasesOnALiveSnapshotWithoutDoubt(t *testing.T) {
	s := feedtest.NewStream(4, 5, 12)
	store, err := journal.Open(filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	defer store.Close()
	var taken atomic.Int32
	p := New(Config{Engine: newEngine(t), Store: store, CheckpointEvery: 5, Live: func(context.Context) (string, []byte, error) {
		taken.Add(1)
		return "live", s.Snapshot, nil
	}})
	_, err = p.Load("file", s.Snapshot)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.RunResync(ctx)
	for i := 0; i < 5; i++ {
		_, err := p.Apply(s.IDs[i], s.Messages[i])
		require.NoError(t, err)
	}
	assert.False(t, p.Status().InDoubt, "a checkpoint is no gap: decisions go on as usual")
	require.Eventually(t, func() bool { return taken.Load() == 1 && store.Len() == 0 }, 10e9, 10e6)
	b, _, err := store.Base()
	require.NoError(t, err)
	assert.Equal(t, "live", b.Name)
	assert.Equal(t, uint64(5), store.Position(), "the stream position carries on")
	assert.True(t, store.Seen(s.IDs[2]), "and so do the message ids")
}

// TestACheckpointIsABase: a node started from a checkpoint journals on it, and
// a restart restores the checkpoint and replays the journal.
func TestACheckpointIsABase(t *testing.T) {
	s := feedtest.NewStream(5, 15, 200)
	e := newEngine(t)
	_, err := e.LoadSnapshot(bytes.NewReader(s.Snapshot), "snapshot")
	require.NoError(t, err)
	var ck bytes.Buffer
	require.NoError(t, e.WriteCheckpoint(&ck))

	path := filepath.Join(t.TempDir(), "state.db")
	store, err := journal.Open(path)
	require.NoError(t, err)
	p := New(Config{Engine: newEngine(t), Store: store})
	_, err = p.Load("c.ckpt", ck.Bytes())
	require.NoError(t, err)
	for i := range s.Messages {
		_, err := p.Apply(s.IDs[i], s.Messages[i])
		require.NoError(t, err)
	}
	want := replay(t, s, len(s.Messages))
	assert.Equal(t, want, feedtest.Digest(p.Engine(), s.Scopes))
	require.NoError(t, store.Close())

	store, err = journal.Open(path)
	require.NoError(t, err)
	defer store.Close()
	q := New(Config{Engine: newEngine(t), Store: store})
	ok, err := q.Restore()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, want, feedtest.Digest(q.Engine(), s.Scopes))
}
