package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVerifyProvenExitsZero(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"verify", "../../solver/testdata/proven"}, &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "no_bypass")
	assert.Contains(t, out.String(), "N: Model-N-property agrees with bounded model checking on all 16 configurations")
	assert.Contains(t, out.String(), "verdicts: proven (records domain=1,host=2,network=2,port=3,subnet=2,tenant=2,vm=2; runs of up to 6 operations")
	assert.Contains(t, out.String(), "proven for runs of any length")
}

func TestVerifyBrokenPrintsTheCounterexample(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"verify", "--bounds", "steps=3", "../../solver/testdata/broken/wrong_threshold"}, &out, &errb)
	assert.Equal(t, 1, code, errb.String())
	assert.Contains(t, out.String(), "verdicts: NOT proven")
	assert.Contains(t, out.String(), "a violating critical operation arrives in a scope above N-th")
	assert.Contains(t, out.String(), "1. update_port(")
}

func TestVerifyUnknownProperty(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"verify", "--property", "nope", "../../solver/testdata/proven"}, &out, &errb)
	assert.Equal(t, 1, code)
	assert.Contains(t, errb.String(), "no property nope")
}
