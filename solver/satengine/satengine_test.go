package satengine_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/solver/satengine"
)

type P = map[string]any

func process(t *testing.T, e *satengine.Engine, event string, params P) satengine.Decision {
	t.Helper()
	op, err := e.Runtime().NewOp(event, params)
	require.NoError(t, err)
	return e.Process(&op)
}

// TestExample4ByInterceptAndCheck runs the paper's Example 4 through the SAT
// baseline: the same verdicts as the proactive engine, reached by solving.
func TestExample4ByInterceptAndCheck(t *testing.T) {
	res, err := compiler.CompileDir("../../specs/openstack")
	require.NoError(t, err)
	e, err := satengine.New(res.Spec, res.Envs, runtime.Options{Properties: []string{"no_bypass"}})
	require.NoError(t, err)
	for _, step := range []struct {
		event  string
		params P
	}{
		{"create_domain", P{"domain_id": "d1"}},
		{"create_tenant", P{"tenant_id": "tenant1", "domain_id": "d1"}},
		{"create_network", P{"network_id": "net1", "tenant_id": "tenant1"}},
		{"create_subnet", P{"subnet_id": "subnet1", "network_id": "net1"}},
		{"create_port", P{"port_id": "port1187", "subnet_id": "subnet1", "tenant_id": "tenant1"}},
		{"create_vm", P{"port_id": "port1187", "vm_id": "vm127", "device_owner": "compute:nova"}},
	} {
		d := process(t, e, step.event, step.params)
		require.NoError(t, d.Err)
		assert.Empty(t, d.Checks, "%s is not critical", step.event)
		assert.True(t, d.Applied, step.event)
	}
	d := process(t, e, "update_port", P{"port_id": "port1187", "device_owner": "network:dhcp"})
	require.NoError(t, d.Err)
	require.Len(t, d.Checks, 1)
	assert.Equal(t, runtime.Deny, d.Checks[0].Verdict)
	assert.True(t, d.Blocked)
	assert.Positive(t, d.Checks[0].Clauses, "decided by a SAT problem")

	d = process(t, e, "create_port", P{"port_id": "p2", "subnet_id": "subnet1", "tenant_id": "tenant1"})
	require.NoError(t, d.Err)
	d = process(t, e, "update_port", P{"port_id": "p2", "device_owner": "network:dhcp"})
	require.Len(t, d.Checks, 1)
	assert.Equal(t, runtime.Allow, d.Checks[0].Verdict, "a port no VM uses may become a DHCP port")
	assert.Equal(t, 2, e.Decisions)
}
