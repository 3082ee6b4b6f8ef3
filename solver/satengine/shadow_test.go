package satengine_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/solver/satengine"
	"pvsc.dev/pvsc/specs/openstack"
)

// TestShadowAgreesOnAStream: every critical decision of a generated stream (half of them
// violating) decided again by SAT on the proactive engine's own context: no disagreement;
// a forged verdict is one.
func TestShadowAgreesOnAStream(t *testing.T) {
	c := cloudgen.NewOpenStack(3, cloudgen.Sizes{Domains: 2, Tenants: 6, Users: 12, Groups: 2, Networks: 8, Subnets: 10, Routers: 3,
		Ports: 30, VMs: 15, Hosts: 3, RolesPerTenant: 1, AssignmentsPerUser: 1, AvoidShare: 0.4})
	var snap bytes.Buffer
	require.NoError(t, c.WriteSnapshot(&snap, nil))
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	_, err = e.LoadSnapshot(bytes.NewReader(snap.Bytes()), "s")
	require.NoError(t, err)
	sh, err := satengine.NewShadow(openstack.Spec)
	require.NoError(t, err)
	g, err := c.NewStream(3, cloudgen.StreamConfig{Critical: 0.5, Violating: 0.5})
	require.NoError(t, err)
	compared, denied := 0, 0
	for range 400 {
		l := g.Next()
		ops, err := e.Neutral(l.Op, l.Params)
		require.NoError(t, err)
		for i := range ops {
			d := e.Decide(&ops[i])
			n, bad := sh.Check(e, &ops[i], &d)
			require.Empty(t, bad)
			compared += n
			if d.Verdict() == runtime.Deny {
				denied++
				forged := d
				forged.At(0).Verdict = runtime.Allow
				if _, bad := sh.Check(e, &ops[i], &forged); assert.NotEmpty(t, bad, "a forged allow disagrees with SAT") {
					assert.Contains(t, bad[0], "proactive allow, SAT deny")
				}
			}
			if !d.Blocked {
				e.Apply(&ops[i])
			}
		}
	}
	assert.Greater(t, compared, 100)
	assert.Positive(t, denied)
}
