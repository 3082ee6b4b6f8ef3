package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateRewritesOnlyExpectedSectionsAndCompareFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "case.txtar")
	require.NoError(t, os.WriteFile(path, []byte("comment\n-- in.pvsc --\nmodel m {}\n-- errors --\nold\n"), 0o644))
	t.Setenv("PVSC_UPDATE", "1")
	c := Load(t, path)
	c.Check(t, "errors", []byte("new"))
	c.Check(t, "tables", []byte("t\n"))
	c.Save(t)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "comment\n-- in.pvsc --\nmodel m {}\n-- errors --\nnew\n-- tables --\nt\n", string(data))

	t.Setenv("PVSC_UPDATE", "")
	c = Load(t, path)
	assert.Equal(t, map[string][]byte{"in.pvsc": []byte("model m {}\n")}, c.Inputs(".pvsc"))
	ft := &fakeT{TB: t}
	c.Check(ft, "errors", []byte("new\n"))
	assert.False(t, ft.failed, "equal output passes")
	func() {
		defer func() { recover() }()
		c.Check(ft, "errors", []byte("different\n"))
	}()
	assert.True(t, ft.failed, "a different output fails")
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) FailNow()              { f.failed = true; panic("failnow") }
func (f *fakeT) Helper()               {}
