package opa

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
)

func smallSizes() cloudgen.Sizes {
	return cloudgen.Sizes{Domains: 4, Tenants: 30, Users: 90, Groups: 3, Networks: 40, Subnets: 60, Routers: 30,
		Ports: 300, VMs: 200, Hosts: 12, RolesPerTenant: 5, AssignmentsPerUser: 1}
}

func peers(t *testing.T, snap []byte) map[string]*Peer {
	t.Helper()
	out := map[string]*Peer{}
	for _, prop := range Properties {
		data, err := Data(bytes.NewReader(snap))
		require.NoError(t, err)
		p, err := New(context.Background(), prop, data)
		require.NoError(t, err)
		out[prop] = p
	}
	return out
}

// TestVerdictsEqualTheInvariant replays a generated stream: for every
// operation, each property's OPA verdict is what the invariant says of the
// state the operation would produce (the oracle scans every record), and
// operations that are not critical pass.
func TestVerdictsEqualTheInvariant(t *testing.T) {
	ctx := context.Background()
	c := cloudgen.NewOpenStack(2, smallSizes())
	var b bytes.Buffer
	require.NoError(t, c.WriteSnapshot(&b, nil))
	snap := b.Bytes()
	ps := peers(t, snap)
	o, err := cloudgen.LoadOracle(bytes.NewReader(snap))
	require.NoError(t, err)
	g, err := c.NewStream(7, cloudgen.StreamConfig{Critical: 0.4, Violating: 0.4})
	require.NoError(t, err)
	seen := map[string]int{}
	for range 2000 {
		l := g.Next()
		for prop, p := range ps {
			got, err := p.Decide(ctx, l.Op, l.Params)
			require.NoError(t, err)
			want := "pass"
			if l.Critical == prop {
				want = map[bool]string{true: "deny", false: "allow"}[o.Violates(prop, l)]
				assert.Equal(t, l.Violates, want == "deny", "generator and invariant agree: %v", l)
			}
			require.Equal(t, want, got, "%s on %v", prop, l)
			seen[prop+" "+got]++
		}
		if l.Violates {
			continue
		}
		o.Apply(l)
		for _, p := range ps {
			require.NoError(t, p.Apply(ctx, l.Op, l.Params))
		}
	}
	for _, k := range []string{"no_bypass allow", "no_bypass deny", "common_ownership allow", "common_ownership deny"} {
		assert.Positive(t, seen[k], k)
	}
}

func TestDataKeysRecordsByID(t *testing.T) {
	c := cloudgen.NewOpenStack(1, smallSizes())
	var b bytes.Buffer
	require.NoError(t, c.WriteSnapshot(&b, nil))
	data, err := Data(&b)
	require.NoError(t, err)
	cloud := data[Root].(map[string]any)
	ports := cloud["ports"].(map[string]any)
	assert.Len(t, ports, 300)
	assert.Contains(t, ports, c.PortID(7))
	u, p, q := c.Assignment(0)
	assert.Contains(t, cloud["role_assignments"], cloudgen.AssignmentID(c.UserID(u), c.ProjectID(p), c.RoleID(q)))
}

func TestUnknownProperty(t *testing.T) {
	_, err := New(context.Background(), "no_such", map[string]any{})
	assert.ErrorContains(t, err, `no Rego for property "no_such"`)
}

func TestUpdateOfAMissingPortBreaksNothing(t *testing.T) {
	ctx := context.Background()
	var b bytes.Buffer
	require.NoError(t, cloudgen.NewOpenStack(1, smallSizes()).WriteSnapshot(&b, nil))
	ps := peers(t, b.Bytes())
	v, err := ps["no_bypass"].Decide(ctx, "update_port", map[string]any{"port_id": "nope", "device_owner": "network:dhcp"})
	require.NoError(t, err)
	assert.Equal(t, "allow", v)
}
