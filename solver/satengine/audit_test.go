package satengine_test

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/solver/satengine"
	"pvsc.dev/pvsc/specs/openstack"
)

// TestAuditAgreesWithTheSATEngine: on 1,000 seeded clouds broken through facts (a stream
// with violating operations, then random VM moves, grants, memberships and ports), the
// properties pvsc audit finds violated are exactly those whose invariant the SAT engine,
// grounding every instance of it on the same state, finds false.
func TestAuditAgreesWithTheSATEngine(t *testing.T) {
	seeds := 1000
	if testing.Short() {
		seeds = 100
	}
	sizes := cloudgen.Sizes{Domains: 2, Tenants: 5, Users: 10, Groups: 2, Networks: 6, Subnets: 8, Routers: 3,
		Ports: 20, VMs: 10, Hosts: 3, RolesPerTenant: 1, AssignmentsPerUser: 1, AvoidShare: 0.4}
	seen := map[string]int{}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		c := cloudgen.NewOpenStack(seed, sizes)
		var snap bytes.Buffer
		require.NoError(t, c.WriteSnapshot(&snap, nil))
		pro, err := runtime.New(openstack.Spec, nil, runtime.Options{Audit: true})
		require.NoError(t, err)
		sat, err := satengine.New(openstack.Spec, nil, runtime.Options{})
		require.NoError(t, err)
		for _, e := range []*runtime.Engine{pro, sat.Runtime()} {
			_, err := e.LoadSnapshot(bytes.NewReader(snap.Bytes()), "seeded")
			require.NoError(t, err)
		}
		g, err := c.NewStream(seed, cloudgen.StreamConfig{Critical: 0.6, Violating: 0.5})
		require.NoError(t, err)
		lines := make([]cloudgen.Line, 0, 20)
		for range int(seed % 12) {
			lines = append(lines, g.Next())
		}
		chaos, err := cloudgen.Chaos(snap.Bytes(), seed, int(seed%19))
		require.NoError(t, err)
		for _, l := range append(lines, chaos...) {
			for _, e := range []*runtime.Engine{pro, sat.Runtime()} {
				ops, err := e.Neutral(l.Op, l.Params)
				require.NoError(t, err)
				for i := range ops {
					e.Apply(&ops[i])
				}
			}
		}
		vs, _, err := pro.Audit()
		require.NoError(t, err)
		audited := map[string]bool{}
		for _, v := range vs {
			audited[v.Property] = true
		}
		solved, err := sat.Violations()
		require.NoError(t, err)
		want := slices.Sorted(maps.Keys(solved))
		got := slices.Sorted(maps.Keys(audited))
		require.Equal(t, want, got, "seed %d: properties violated (SAT engine's reasons: %v)", seed, solved)
		for _, p := range got {
			seen[p]++
		}
	}
	t.Logf("seeded clouds violating each property: %v", seen)
	for _, p := range openstack.Spec.Properties {
		assert.Positive(t, seen[p.Name], "some seeded cloud violates %s", p.Name)
	}
}
