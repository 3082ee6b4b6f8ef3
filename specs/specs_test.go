package specs_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/specs"
	"pvsc.dev/pvsc/specs/openstack"
)

func TestShippedSpecsRunTheirGeneratedTables(t *testing.T) {
	res, err := compiler.CompileDir("openstack")
	require.NoError(t, err)
	got := specs.PreferGenerated(res.Spec)
	assert.Same(t, openstack.Spec.Properties[0], got.Properties[0], "the compiled-in tables, with their Go predicates")
	assert.Equal(t, res.Spec.Name, got.Name)
	one, err := compiler.CompileDir("../compiler/testdata/objstore")
	require.NoError(t, err)
	assert.Same(t, one.Spec, specs.PreferGenerated(one.Spec), "another spec keeps its own tables")
}
