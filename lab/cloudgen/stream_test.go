package cloudgen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func streamOf(t *testing.T, seed uint64, cfg StreamConfig, n int) []Line {
	t.Helper()
	g, err := NewOpenStack(1, small()).NewStream(seed, cfg)
	require.NoError(t, err)
	return g.Lines(n)
}

func TestStreamIsDeterministic(t *testing.T) {
	cfg := StreamConfig{Critical: 0.2, Violating: 0.3}
	assert.Equal(t, streamOf(t, 4, cfg, 500), streamOf(t, 4, cfg, 500))
	assert.NotEqual(t, streamOf(t, 4, cfg, 500), streamOf(t, 5, cfg, 500))
}

func TestStreamWritesNeutralJSONLines(t *testing.T) {
	g, err := NewOpenStack(1, small()).NewStream(1, StreamConfig{Critical: 0.5, Violating: 0.5})
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, g.Write(&b, 300, nil))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 300)
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		assert.NotEmpty(t, m["op"])
		assert.IsType(t, map[string]any{}, m["params"])
	}
}

// TestStreamSharesAndVerdicts replays a stream on the oracle: every operation
// the generator calls violating breaks its property's invariant, every other
// critical one keeps it, and no non-critical one breaks either.
func TestStreamSharesAndVerdicts(t *testing.T) {
	c := NewOpenStack(1, small())
	var b bytes.Buffer
	require.NoError(t, c.WriteSnapshot(&b, nil))
	o, err := LoadOracle(&b)
	require.NoError(t, err)
	g, err := c.NewStream(11, StreamConfig{Critical: 0.3, Violating: 0.25})
	require.NoError(t, err)
	const n = 4000
	crit, viol := 0, 0
	ops := map[string]int{}
	for range n {
		l := g.Next()
		ops[l.Op]++
		if l.Critical == "" {
			o.Apply(l)
			require.True(t, o.NoBypass() && o.CommonOwnership(), "non-critical %v breaks an invariant", l)
			continue
		}
		crit++
		require.Equal(t, l.Violates, o.Violates(l.Critical, l), "%v", l)
		if l.Violates {
			viol++
			continue
		}
		o.Apply(l)
	}
	assert.InDelta(t, 0.3, float64(crit)/n, 0.03)
	assert.InDelta(t, 0.25, float64(viol)/float64(crit), 0.04)
	for _, op := range []string{"create_port", "create_vm", "boot_vm", "detach_port", "update_port", "delete_port",
		"delete_vm", "create_network", "create_subnet", "create_router", "create_user", "create_role", "revoke_role",
		"grant_role", "create_network_port"} {
		assert.Positive(t, ops[op], op)
	}
}

// TestStreamReferencesExistingRecords checks that operations name records that exist at their point of the stream.
func TestStreamReferencesExistingRecords(t *testing.T) {
	c := NewOpenStack(1, small())
	var b bytes.Buffer
	require.NoError(t, c.WriteSnapshot(&b, nil))
	o, err := LoadOracle(bytes.NewReader(b.Bytes()))
	require.NoError(t, err)
	for _, l := range streamOf(t, 3, StreamConfig{Critical: 0.2, Violating: 0.2}, 3000) {
		p := func(k string) string { return param(l, k) }
		switch l.Op {
		case "update_port", "create_vm", "detach_port", "delete_port":
			assert.Contains(t, o.Ports, p("port_id"), "%v", l)
		case "create_port", "create_network_port":
			assert.NotContains(t, o.Ports, p("port_id"), "fresh ids: %v", l)
			assert.Contains(t, o.Projects, p("tenant_id"))
		case "grant_role":
			assert.Contains(t, o.Users, p("user_id"))
			assert.Contains(t, o.Projects, p("project_id"))
			assert.Contains(t, o.Roles, p("role_id"))
		case "revoke_role":
			assert.Contains(t, o.Assignments, p("assignment_id"))
		case "delete_vm":
			assert.Contains(t, o.VMs, p("vm_id"))
		}
		if l.Op == "create_vm" {
			assert.Contains(t, o.VMs, p("vm_id"))
			assert.Equal(t, o.Ports[p("port_id")].Tenant, o.VMs[p("vm_id")], "VMs bind their tenant's ports")
		}
		if !l.Violates {
			o.Apply(l)
		}
	}
}

func TestStreamRejectsBadConfig(t *testing.T) {
	c := NewOpenStack(1, small())
	_, err := c.NewStream(1, StreamConfig{Properties: []string{"no_such"}})
	assert.ErrorContains(t, err, `not "no_such"`)
	_, err = c.NewStream(1, StreamConfig{Critical: 1.5})
	assert.ErrorContains(t, err, "must be in [0, 1]")
}

func TestCriticalOperationsOnDemand(t *testing.T) {
	g, err := NewOpenStack(1, small()).NewStream(1, StreamConfig{})
	require.NoError(t, err)
	for _, p := range StreamProperties {
		for _, v := range []bool{false, true} {
			l, ok := g.Critical(p, v)
			require.True(t, ok)
			assert.Equal(t, p, l.Critical)
			assert.Equal(t, v, l.Violates)
		}
	}
}
