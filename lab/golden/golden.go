// Package golden runs expected-output tests kept as txtar files: one file per case, input and expected sections side by side, rewritten by one switch (PVSC_UPDATE=1, or -update).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the expected sections of golden files (also PVSC_UPDATE=1)")

// Updating reports whether this run rewrites expected sections instead of comparing them.
func Updating() bool { return *update || os.Getenv("PVSC_UPDATE") == "1" }

// Case is one txtar file: its comment, its input sections and the sections a test checks.
type Case struct {
	Path    string
	archive *txtar.Archive
	changed bool
}

// Load reads one case; a missing file is an empty case when updating, so that a new case can be
// written from scratch.
func Load(t testing.TB, path string) *Case {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) && Updating() {
		data, err = nil, nil
	}
	require.NoError(t, err, "run with PVSC_UPDATE=1 to create %s", path)
	return &Case{Path: path, archive: txtar.Parse(data)}
}

// Run loads every case matching the glob and runs fn on each as a subtest named after its file,
// writing the case back when updating changed it.
func Run(t *testing.T, glob string, fn func(t *testing.T, c *Case)) {
	t.Helper()
	paths, err := filepath.Glob(glob)
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no golden cases match %s", glob)
	sort.Strings(paths)
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".txtar"), func(t *testing.T) {
			c := Load(t, p)
			fn(t, c)
			c.Save(t)
		})
	}
}

// Has reports whether the case has a section.
func (c *Case) Has(name string) bool { return c.index(name) >= 0 }

// Section is a section's text; the test fails when the case has none.
func (c *Case) Section(t testing.TB, name string) string {
	t.Helper()
	i := c.index(name)
	require.GreaterOrEqual(t, i, 0, "%s: no section %q", c.Path, name)
	return string(c.archive.Files[i].Data)
}

// Inputs are the sections whose names end in suffix (say ".pvsc"), by name.
func (c *Case) Inputs(suffix string) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range c.archive.Files {
		if strings.HasSuffix(f.Name, suffix) {
			out[f.Name] = f.Data
		}
	}
	return out
}

// Check compares got with section name; when updating, it rewrites the section (appending it
// when the case has none yet).
func (c *Case) Check(t testing.TB, name string, got []byte) {
	t.Helper()
	if len(got) > 0 && got[len(got)-1] != '\n' {
		got = append(got, '\n') // txtar sections end in a newline
	}
	i := c.index(name)
	if Updating() {
		if i < 0 {
			c.archive.Files = append(c.archive.Files, txtar.File{Name: name})
			i = len(c.archive.Files) - 1
		}
		if !bytes.Equal(c.archive.Files[i].Data, got) {
			c.archive.Files[i].Data, c.changed = got, true
		}
		return
	}
	require.GreaterOrEqual(t, i, 0, "%s: no section %q; run with PVSC_UPDATE=1", c.Path, name)
	assert.Equal(t, string(c.archive.Files[i].Data), string(got), "%s: section %q (PVSC_UPDATE=1 rewrites it)", c.Path, name)
}

// Save writes the case back if updating changed it.
func (c *Case) Save(t testing.TB) {
	t.Helper()
	if !c.changed {
		return
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(c.Path), 0o755))
	require.NoError(t, os.WriteFile(c.Path, txtar.Format(c.archive), 0o644))
	c.changed = false
}

// File checks got against the single section "out" of a one-output case at path: for outputs that
// are a whole file (an SVG, a transcript) with nothing else to say.
func File(t *testing.T, path string, got []byte) {
	t.Helper()
	c := Load(t, path)
	c.Check(t, "out", got)
	c.Save(t)
}

func (c *Case) index(name string) int {
	for i, f := range c.archive.Files {
		if f.Name == name {
			return i
		}
	}
	return -1
}
