package journal

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	require.NoError(t, err)
	return s
}

func entries(t *testing.T, s *Store) []Entry {
	t.Helper()
	var out []Entry
	require.NoError(t, s.Replay(func(e Entry) error { out = append(out, e); return nil }))
	return out
}

func TestJournalSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, path)
	_, ok, err := s.Base()
	require.NoError(t, err)
	assert.False(t, ok, "a new store has no base")
	require.NoError(t, s.Reset("snap.json", []byte(`{"ports":[]}`)))
	for i := 1; i <= 3; i++ {
		seq, err := s.Append(fmt.Sprintf("m%d", i), []byte(fmt.Sprintf(`{"n":%d}`, i)))
		require.NoError(t, err)
		assert.Equal(t, uint64(i), seq)
	}
	_, err = s.Append("m2", []byte(`{}`))
	assert.ErrorIs(t, err, ErrDuplicate)
	require.NoError(t, s.Close())

	s = open(t, path)
	defer s.Close()
	b, ok, err := s.Base()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "snap.json", b.Name)
	assert.JSONEq(t, `{"ports":[]}`, string(b.Data))
	assert.Equal(t, uint64(3), s.Position())
	assert.Equal(t, 3, s.Len())
	assert.True(t, s.Seen("m3"))
	assert.False(t, s.Seen("m4"))
	got := entries(t, s)
	require.Len(t, got, 3)
	assert.Equal(t, Entry{Seq: 2, MsgID: "m2", Data: []byte(`{"n":2}`)}, got[1])
}

func TestResetEmptiesTheJournalAndKeepsThePosition(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "state.db"))
	defer s.Close()
	_, err := s.Append("a", []byte("1"))
	require.NoError(t, err)
	_, err = s.Append("", []byte("2"))
	require.NoError(t, err)
	require.NoError(t, s.Reset("live", []byte("{}")))
	assert.Empty(t, entries(t, s))
	assert.Equal(t, 0, s.Len())
	assert.Equal(t, uint64(2), s.Position())
	assert.True(t, s.Seen("a"), "message ids outlive a new base: the broker may still redeliver them")
	seq, err := s.Append("b", []byte("3"))
	require.NoError(t, err)
	assert.Equal(t, uint64(3), seq)
}

func TestSeenIsBounded(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "state.db"))
	defer s.Close()
	s.maxSeen = 2
	for i := 0; i < 5; i++ {
		_, err := s.Append(fmt.Sprint(i), []byte("x"))
		require.NoError(t, err)
	}
	require.NoError(t, s.Reset("b", []byte("{}")))
	assert.False(t, s.Seen("0"))
	assert.True(t, s.Seen("3"))
	assert.True(t, s.Seen("4"))
}

func TestCorruptEntryIsNamed(t *testing.T) {
	_, err := decodeEntry(7, []byte{0x20, 'a'})
	assert.EqualError(t, err, "durable: journal entry 7 is corrupt")
}
