package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBenchQuickOneDataset(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, errOut := pvsc("bench", "-quick", "-datasets", "1", "-opa", "off", "-out", out, "-repeat", "3", "-stream", "100", "-sat-budget", "1s", "-v")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, stdout, "proactive:SAT")
	assert.Contains(t, stdout, "Q1")
	assert.Contains(t, stdout, "report: "+out+"/report.md")
	assert.Contains(t, errOut, "Q1 SAT: ", "-v logs each step")
	for _, f := range []string{"report.md", "results.json", "table2.csv", "fig9.csv", "fig10.csv", "ratios.csv", "table2.svg", "fig9a.svg", "fig10b.svg"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "OPA peer: `not run`")
}

func TestBenchFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-datasets", "0-3"}, "-datasets 0-3: want indexes 1..10"},
		{[]string{"-datasets", "x"}, "want indexes"},
		{[]string{"-quick", "-datasets", "4"}, "want indexes 1..3"},
		{[]string{"-opa", "/no/such/pvsc-opa"}, "-opa: stat /no/such/pvsc-opa"},
		{[]string{"-quick", "-opa", "off", "-property", "nope"}, `property "nope"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		code, _, errOut := pvsc(append([]string{"bench"}, c.args...)...)
		assert.Equal(t, 1, code, c.args)
		assert.Contains(t, errOut, c.want, c.args)
	}
}
