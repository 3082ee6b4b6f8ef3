package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/specs/openstack"
)

func TestShippedSpecsRunTheirGeneratedTables(t *testing.T) {
	res, err := compileUnit("../../specs/openstack")
	require.NoError(t, err)
	got := preferGenerated(res.Spec)
	assert.Same(t, openstack.Spec.Properties[0], got.Properties[0], "the compiled-in tables, with their Go predicates")
	assert.Equal(t, res.Spec.Name, got.Name)
	one, err := compileUnit("../../specs/openstack/no_bypass.pvsc")
	if err == nil {
		assert.Same(t, one.Spec, preferGenerated(one.Spec), "another spec keeps its own tables")
	}
}
