// Package specstest helps tests compare compiled specs with their generated Go tables.
package specstest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime/genimpl"
	"pvsc.dev/pvsc/tables"
)

// CheckGenerated asserts that a spec directory's committed Go tables are
// exactly what the compiler computes from its .pvsc files, and that gen
// compiled the boolean fast allow rules to Go.
func CheckGenerated(t *testing.T, dir string, generated *tables.Spec) {
	t.Helper()
	res, err := compiler.CompileDir(dir)
	require.NoError(t, err)
	assert.Equal(t, unnamed(res.Spec), unnamed(generated), "run go generate ./... after changing %s", dir)
	n := 0
	for _, p := range generated.Properties {
		for _, c := range p.Criticals {
			if c.Allow.Fast != nil && c.Allow.Fast.Type == tables.TBool {
				assert.NotNil(t, genimpl.PredOf(c.Allow), "%s: allow rule with a fast form has Go", p.Name)
				n++
			}
		}
	}
	assert.Positive(t, n, "no compiled allow rule in %s", dir)
}

// unnamed copies a spec without its name, which says where it was compiled from.
func unnamed(s *tables.Spec) *tables.Spec {
	cp := *s
	cp.Name = ""
	return &cp
}
