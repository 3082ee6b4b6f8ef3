package examples_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"pvsc.dev/pvsc/lab/golden"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/examples"
)

// TestExamples runs every example and compares its printout with the golden file.
func TestExamples(t *testing.T) {
	for _, x := range examples.All() {
		t.Run(x.Name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, x.Run("../specs", &out))
			golden.File(t, filepath.Join("testdata", x.Name+".txtar"), out.Bytes())
		})
	}
}

// TestVerdicts pins what each example is about, independently of the printout.
func TestVerdicts(t *testing.T) {
	for name, want := range map[string][]string{
		"ossa":     {"no_bypass              CE  N-cp 1  DENY", "no_bypass              CE  N-cp 1  ALLOW"},
		"keystone": {"common_ownership       CE  N-cp 2  ALLOW", "common_ownership       CE  N-cp 2  DENY"},
		"music":    {"workflow_admissibility CE  N-cp 1  ALLOW", "workflow_admissibility CE  N-cp 1  DENY", "data_placement         CE  N-cp 1  DENY"},
	} {
		for _, x := range examples.All() {
			if x.Name != name {
				continue
			}
			var out bytes.Buffer
			require.NoError(t, x.Run("../specs", &out))
			for _, w := range want {
				assert.Contains(t, out.String(), w, name)
			}
		}
	}
}
