package solver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
)

// Every plan derive computes for a shipped property, its hand-written plan set aside, is
// proven: N table and verdicts, for runs of any length.
func TestDerivedPlansAreProven(t *testing.T) {
	derived := 0
	for _, dir := range shippedDirs(t) {
		r, err := compiler.CompileDirDerived(dir)
		require.NoError(t, err, dir)
		for _, p := range r.Spec.Properties {
			if r.Derived[p.Name] == nil {
				continue
			}
			derived++
			spec, p := r.Spec, p
			t.Run(p.Name, func(t *testing.T) {
				t.Parallel()
				assert.Empty(t, VerifyN(spec, p))
				res, err := VerifyVerdicts(spec, p, Bounds{})
				require.NoError(t, err)
				for _, c := range res.Counterexamples {
					if c != nil {
						t.Error("counterexample:\n" + c.String())
					}
				}
				assert.True(t, res.Proven, "%s is not proven", p.Name)
				assert.Equal(t, [numKinds]Outcome{Unbounded, Unbounded, Unbounded}, res.Outcomes, "%s: proven for runs of any length", p.Name)
			})
		}
	}
	assert.GreaterOrEqual(t, derived, 5, "the shipped properties derive can plan")
}
