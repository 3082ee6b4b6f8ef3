package solver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifyNAgreesWithEveryShippedTable(t *testing.T) {
	n := 0
	for _, r := range append(shipped(t), compile(t, "testdata/proven")) {
		for _, p := range r.Spec.Properties {
			assert.Empty(t, VerifyN(r.Spec, p), "%s/%s", r.Spec.Name, p.Name)
			n++
		}
	}
	assert.Positive(t, n)
}

// The paper's worked example (DESIGN.md §4, Fig. 6/7): five configurations, N from 5 to 1.
func TestVerifyNPaperRows(t *testing.T) {
	r := compile(t, "testdata/proven")
	p := r.Spec.Property("no_bypass")
	a := newAbstract(r.Spec.Models[p.Model], p)
	bmc := a.unroll()
	facts := map[string]uint32{}
	for i, f := range p.Facts {
		facts[f.Name] = 1 << uint(i)
	}
	rows := []struct {
		facts []string
		n     int32
	}{
		{nil, 5},
		{[]string{"network"}, 4},
		{[]string{"network", "subnet"}, 3},
		{[]string{"network", "subnet", "port"}, 2},
		{[]string{"network", "subnet", "port", "port_subnet with vm"}, 1},
	}
	for _, row := range rows {
		var mask uint32
		for _, f := range row.facts {
			require.Contains(t, facts, f)
			mask |= facts[f]
		}
		assert.Equal(t, row.n, bmc.distance(mask, true), "%v", row.facts)
	}
}

func TestVerifyNFindsACorruptedTable(t *testing.T) {
	r := compile(t, "testdata/proven")
	p := r.Spec.Property("no_bypass")
	mask := uint32(0b0011) // {network, subnet}: N is 3
	require.Equal(t, int8(3), p.NTable[mask])
	p.NTable[mask] = 2
	p.NMax = 4
	found := VerifyN(r.Spec, p)
	require.Len(t, found, 2, "%v", found)
	assert.Equal(t, Finding{Property: "no_bypass", What: "N", Mask: mask, Config: []string{"network", "subnet"}, Table: 2, Solver: 3}, found[0])
	assert.Equal(t, "N-max", found[1].What)
	assert.Equal(t, int32(5), found[1].Solver)
	p.Configs[0].N = 7
	found = VerifyN(r.Spec, p)
	require.Len(t, found, 3, "%v", found)
	assert.Equal(t, "Configs", found[2].What)
	assert.Contains(t, found[0].String(), "configuration {network, subnet}: NTable has N = 2, bounded model checking finds N = 3")
}
