package music_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/compiler/tables"
	"pvsc.dev/pvsc/internal/specstest"
	"pvsc.dev/pvsc/specs/music"
)

// TestGeneratedTablesMatchTheSpecs checks the committed Go tables are exactly
// what the compiler computes from the .pvsc files (go generate ./... refreshes them).
func TestGeneratedTablesMatchTheSpecs(t *testing.T) {
	res, err := compiler.CompileDir(".")
	require.NoError(t, err)
	assert.Equal(t, specstest.WithoutGo(res.Spec), specstest.WithoutGo(music.Spec))
}

// TestPredicatesAreCompiled checks gen compiled the fast expressions to Go.
func TestPredicatesAreCompiled(t *testing.T) {
	n := 0
	for _, p := range music.Spec.Properties {
		for _, c := range p.Criticals {
			if c.Allow.Fast != nil && c.Allow.Fast.Type == tables.TBool {
				assert.NotNil(t, c.Allow.Go, "%s: allow rule with a fast form has Go", p.Name)
				n++
			}
		}
	}
	assert.Positive(t, n)
}
