package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"pvsc.dev/pvsc/solver"
)

// The exit code of verify means "proven for runs of any length": a claim settled only up
// to the bound fails unless --allow-bounded accepts it.
func TestBoundedProofsNeedAllowBounded(t *testing.T) {
	bounded := solver.Result{Proven: true, Bounds: solver.Bounds{Steps: 6}}
	bounded.Outcomes[0] = solver.Unbounded
	bounded.Outcomes[1] = solver.Bounded
	unbounded := solver.Result{Proven: true}
	for i := range unbounded.Outcomes {
		unbounded.Outcomes[i] = solver.Unbounded
	}
	var w strings.Builder
	assert.False(t, accepted(&w, bounded, false))
	assert.Contains(t, w.String(), "proven only up to the bound (6 steps): not accepted without --allow-bounded")
	assert.True(t, accepted(&w, bounded, true))
	assert.True(t, accepted(&w, unbounded, false))
	assert.False(t, accepted(&w, solver.Result{}, true), "a counterexample is never accepted")
}

func TestVerifySeveralProperties(t *testing.T) {
	code, out, stderr := pvsc("verify", "--property", "no_bypass,common_ownership", "../../specs/openstack")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "specs/openstack: no_bypass")
	assert.Contains(t, out, "specs/openstack: common_ownership")
	assert.NotContains(t, out, "no_co_residency")
	code, _, stderr = pvsc("verify", "--property", "no_bypass,nope", "../../specs/openstack")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no property nope")
}
