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
		t.Run(x.ID(), func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, x.Run("../specs", &out))
			golden.File(t, filepath.Join("testdata", x.ID()+".txtar"), out.Bytes())
		})
	}
}

// TestVerdicts pins what each example is about, independently of the printout.
func TestVerdicts(t *testing.T) {
	for name, want := range map[string][]string{
		"ossa":     {"no_bypass              CE  N-cp 1  DENY", "no_bypass              CE  N-cp 1  ALLOW"},
		"keystone": {"common_ownership       CE  N-cp 2  ALLOW", "common_ownership       CE  N-cp 2  DENY"},
		"music":    {"workflow_admissibility CE  N-cp 1  ALLOW", "workflow_admissibility CE  N-cp 1  DENY", "data_placement         CE  N-cp 1  DENY"},
		"navigation": {
			"admissible paths of nav-route: 4, cheapest merge-edge@cloud-edge -> routing-edge@cloud-edge",
			"trust cloud-edge: confidential -> internal (report_measurement cloud-edge patch_latency_days 21 > target 7); set_trust applied",
			"admissible paths of nav-route: 1, cheapest merge-secure@cloud-secure -> routing-secure@cloud-secure",
			"service=routing-edge, at=2000)  DENY: refused before it runs",
			"service=routing-secure, at=2000)  applied",
		},
	} {
		ran := false
		for _, x := range examples.All() {
			if x.ID() != name {
				continue
			}
			ran = true
			var out bytes.Buffer
			require.NoError(t, x.Run("../specs", &out))
			for _, w := range want {
				assert.Contains(t, out.String(), w, name)
			}
		}
		assert.True(t, ran, "no scenario named %s", name)
	}
}
