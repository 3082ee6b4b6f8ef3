package exchange

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/journal"
	music "pvsc.dev/pvsc/specs/music"
)

// journaledCloud is a receiving cloud whose pipeline keeps its journal at path: restored
// when the store holds a context, loaded from the community otherwise.
func journaledCloud(t *testing.T, path string) (*feed.Pipeline, *journal.Store) {
	t.Helper()
	e, err := runtime.New(music.Spec, nil, runtime.Options{Audit: true})
	require.NoError(t, err)
	s, err := journal.Open(path)
	require.NoError(t, err)
	p := feed.New(feed.Config{Engine: e, Store: s})
	restored, err := p.Restore()
	require.NoError(t, err)
	if !restored {
		data, err := os.ReadFile("../../cmd/pvsc/testdata/workflows/community.json")
		require.NoError(t, err)
		_, err = p.Load("community.json", data)
		require.NoError(t, err)
	}
	return p, s
}

// TestRestartKeepsTheLevel: the rating and the set_trust an alert caused are journaled; after
// a restart the context holds them, the manager starts from the level held (it does not count
// the rating a second time), and the same alert delivered again changes nothing.
func TestRestartKeepsTheLevel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	p, s := journaledCloud(t, path)
	r := receiver(t, p)
	require.NoError(t, r.Handle(encode(t, "xml", violation())))
	require.Equal(t, "internal", trustOf(t, p.Engine(), "cloud-edge"))
	// cloud-budget brought down to its SLA at the start, the rating, cloud-edge's set_trust
	require.Equal(t, 3, s.Len(), "the start's change, the rating and the set_trust are journaled")
	require.NoError(t, s.Close())

	p, s = journaledCloud(t, path)
	defer s.Close()
	r = receiver(t, p)
	assert.Equal(t, "internal", trustOf(t, p.Engine(), "cloud-edge"), "restarting moved the level")
	require.NoError(t, r.Handle(encode(t, "xml", violation())))
	assert.Equal(t, "internal", trustOf(t, p.Engine(), "cloud-edge"), "the redelivered alert counted twice")
	assert.Equal(t, 3, s.Len(), "the restart or the redelivery journaled more")
	st, ok := r.mgr.Status("cloud-edge")
	require.True(t, ok)
	assert.Equal(t, "internal", st.Current.String())
}
