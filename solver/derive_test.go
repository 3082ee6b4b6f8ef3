package solver

import (
	"os"
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

// The quota property's derived plan, with a quota the bounded runs reach (2 ports), is
// proven; the same property with a plan that forgets the port being added is refuted.
func TestDerivedQuotaIsProvenAndAWrongPlanIsNot(t *testing.T) {
	r := compile(t, "testdata/quota")
	require.Contains(t, r.Derived, "port_quota")
	res, err := VerifyVerdicts(r.Spec, r.Spec.Property("port_quota"), Bounds{})
	require.NoError(t, err)
	assert.True(t, res.Proven)
	assert.Equal(t, [numKinds]Outcome{Unbounded, Unbounded, Unbounded}, res.Outcomes)

	wrong, err := compiler.CompileSources("quota", map[string][]byte{
		"infrastructure.pvsc": readFile(t, "testdata/quota/infrastructure.pvsc"),
		"port_quota.pvsc": []byte("property port_quota on infrastructure {\n" +
			"  let quota = `2`\n" +
			"  invariant `cloud.tenants.all(t, size(cloud.ports_by_tenant[t.id]) <= quota)`\n" +
			"  critical create_port\n  watchlist w[tenant] of port\n    init `false`\n" +
			"  allow if `size(cloud.ports_by_tenant[tenant]) <= quota`\n  threshold 1\n}\n"),
	})
	require.NoError(t, err)
	res, err = VerifyVerdicts(wrong.Spec, wrong.Spec.Property("port_quota"), Bounds{})
	require.NoError(t, err)
	assert.False(t, res.Proven, "the plan that counts before the new port lets the third in")
	require.NotNil(t, res.Counterexamples[0])
	assert.Contains(t, res.Counterexamples[0].String(), "create_port")
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
