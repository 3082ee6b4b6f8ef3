package examples_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/examples"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestExamples runs every example and compares its printout with the golden file.
func TestExamples(t *testing.T) {
	for _, x := range examples.All() {
		t.Run(x.Name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, x.Run("../specs", &out))
			golden := filepath.Join("testdata", x.Name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./examples -update to create it")
			assert.Equal(t, string(want), out.String())
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
