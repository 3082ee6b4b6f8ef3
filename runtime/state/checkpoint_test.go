package state_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime/ckpt"
	"pvsc.dev/pvsc/runtime/state"
)

// namesSection is a checkpoint's string table: the count (with ""), the total length, each
// length, then the strings end to end.
func namesSection(strs ...string) *ckpt.Reader {
	var w ckpt.Writer
	w.Uvarint(uint64(len(strs) + 1))
	total := 0
	for _, s := range strs {
		total += len(s)
	}
	w.Uvarint(uint64(total))
	for _, s := range strs {
		w.Uvarint(uint64(len(s)))
	}
	for _, s := range strs {
		w.B = append(w.B, s...)
	}
	return &ckpt.Reader{B: w.B}
}

// A string table that names a string twice (or names "" again) is corrupt: two Syms for one
// string would split a record's references.
func TestCheckpointStringTwiceIsCorrupt(t *testing.T) {
	f := newFixture(t)
	for _, strs := range [][]string{{"a", "b", "a"}, {"a", ""}} {
		s := state.New(f.res.Spec, f.prop.Model)
		err := s.ReadCheckpoint(namesSection(strs...))
		require.Error(t, err, "%q", strs)
		assert.ErrorIs(t, err, ckpt.ErrCorrupt)
		assert.Contains(t, err.Error(), "twice")
	}
	s := state.New(f.res.Spec, f.prop.Model)
	err := s.ReadCheckpoint(namesSection("a", "b"))
	assert.NotContains(t, err.Error(), "twice", "distinct strings pass the string table (the tables after it are missing)")
}
