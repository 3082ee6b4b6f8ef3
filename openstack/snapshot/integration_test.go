package snapshot

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/stacktest"
)

func ids(t *testing.T, recs []json.RawMessage) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range recs {
		var m map[string]any
		require.NoError(t, json.Unmarshal(r, &m))
		if id, ok := m["id"].(string); ok {
			out[id] = m
		}
	}
	return out
}

// TestIntegrationSnapshot pulls the real stack with a page size small enough to need several
// Neutron pages, and checks that what it made is there and nothing is lost across pages.
func TestIntegrationSnapshot(t *testing.T) {
	st := stacktest.New(t)
	admin := st.AdminToken(t)
	project := st.CreateProject(t, stacktest.UniqueName("snap"))
	user := st.CreateUser(t, stacktest.UniqueName("snapuser"), "pw", project, "member")
	var nets []string
	for range 3 {
		n := st.CreateNetwork(t, admin, map[string]any{"name": stacktest.UniqueName("snapnet"), "project_id": project})
		nets = append(nets, n["id"].(string))
	}
	st.CreateSubnet(t, admin, nets[0], "10.77.0.0/24")
	port := st.CreatePort(t, admin, nets[0], map[string]any{"project_id": project})
	st.AttachPort(t, admin, port["id"].(string), "vm-snapshot")

	cfg := Config{AuthURL: st.KeystoneURL, Username: "admin", Password: st.AdminPassword, UserDomain: "Default",
		Project: "admin", ProjectDomain: "Default", Interface: "public", PageSize: 2}
	opts, err := cfg.Options(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9696", opts.Endpoints.Network, "from the catalog")
	snap, err := Take(context.Background(), opts)
	require.NoError(t, err)

	assert.Contains(t, ids(t, snap["projects"]), project)
	assert.Contains(t, ids(t, snap["users"]), user)
	networks := ids(t, snap["networks"])
	for _, n := range nets {
		assert.Contains(t, networks, n)
	}
	ports := ids(t, snap["ports"])
	require.Contains(t, ports, port["id"])
	assert.Equal(t, "compute:nova", ports[port["id"].(string)]["device_owner"])
	assert.NotEmpty(t, snap["role_assignments"])
	assert.NotEmpty(t, snap["subnets"])
	assert.Contains(t, snap, "servers", "Nova is in the catalog")
	hosts := ids(t, snap["hypervisors"])
	assert.Len(t, hosts, 2, "the two fake computes")
	assert.Contains(t, snap, "group_memberships")

	// the paged lists hold exactly what one unpaged call returns
	for _, kind := range []string{"networks", "ports"} {
		doc := st.JSON(t, http.StatusOK, http.MethodGet, st.NeutronURL+"/v2.0/"+kind, admin, nil)
		assert.Len(t, snap[kind], len(doc[kind].([]any)), kind)
	}
}
