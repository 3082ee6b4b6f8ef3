package runtime_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
)

func TestLoadSnapshotInitialisesWatchlists(t *testing.T) {
	e := engine(t, "../specs/openstack", runtime.Options{})
	st, err := e.LoadSnapshotFile("testdata/snapshot.json")
	require.NoError(t, err)
	assert.Equal(t, []string{"flavors"}, st.Ignored)
	for entity, want := range map[string]int{"port": 3, "vm": 1, "network": 1, "tenant": 2, "project": 2, "assignment": 1, "role": 2} {
		n, err := e.Len(entity)
		require.NoError(t, err)
		assert.Equal(t, want, n, entity)
	}
	assert.Equal(t, runtime.ScopeState{NCP: 1, Threshold: 3, Watched: true, Elements: []string{"port-dhcp", "port-free"}},
		scope(t, e, "no_bypass", "p-alpha"), "the bound port is not watched; the DHCP port's device is not a VM")
	assert.Equal(t, []string{"p-alpha"}, scope(t, e, "common_ownership", "default").Elements, "global roles belong to no domain")
	assert.Equal(t, []string{"p-beta", "r-partner-ops"}, scope(t, e, "common_ownership", "d-partner").Elements)

	d := e.Decide(op(t, e, "update_port", P{"port_id": "port-vm", "device_owner": "network:dhcp"}))
	assert.True(t, d.Blocked)
	d = e.Decide(op(t, e, "update_port", P{"port_id": "port-free", "device_owner": "network:router_interface"}))
	assert.False(t, d.Blocked)

	grant := func(user, project, role string) runtime.Verdict {
		ops, err := e.Neutral("grant_role", P{"assignment_id": user + ":" + project + ":" + role + ":false", "user_id": user, "project_id": project, "role_id": role})
		require.NoError(t, err)
		d := e.Decide(&ops[0])
		return check(t, e, &d, "common_ownership").Verdict
	}
	assert.Equal(t, runtime.Allow, grant("u-ann", "p-alpha", "r-member"))
	assert.Equal(t, runtime.Deny, grant("u-ann", "p-beta", "r-member"), "p-beta is in another domain")
	assert.Equal(t, runtime.Deny, grant("u-ann", "p-alpha", "r-partner-ops"), "the role belongs to another domain")
}

func TestBadSnapshotsAreRefusedAndChangeNothing(t *testing.T) {
	good, err := os.ReadFile("testdata/snapshot.json")
	require.NoError(t, err)
	text := string(good)
	cases := []struct {
		name, snapshot, want string
	}{
		{"truncated", text[:len(text)/2], "bad.json: truncated: the JSON ends before it is complete"},
		{"not JSON", "ports: []", "bad.json: invalid JSON at line 1, column 1"},
		{"not an object", `[{"ports": []}]`, "bad.json: want a JSON object of collections, got array"},
		{"collection not a list", `{"ports": {"id": "p"}}`, "bad.json: ports: want a list of records, got an object"},
		{"record not an object", `{"ports": ["p1"]}`, "bad.json: ports[0]: want an object, got a string"},
		{"id of the wrong type", strings.Replace(text, `"id": "port-vm"`, `"id": 7`, 1),
			"bad.json: ports[1].id: create_port parameter port_id: want a string, got a number"},
		{"id missing", strings.Replace(text, `"id": "port-dhcp", `, ``, 1),
			"bad.json: ports[2].id: create_network_port: parameter port_id: missing (it names the port)"},
		{"subnet id of the wrong type", strings.Replace(text, `"subnet_id": "sub-a", "ip_address": "10.0.0.6"`, `"subnet_id": ["sub-a"]`, 1),
			"bad.json: ports[1].fixed_ips.0.subnet_id: create_port parameter subnet_id: want a string, got a list"},
		{"list of the wrong type", `{"projects": [{"id": "p", "domain_id": "d", "avoid": "p2"}]}`,
			"bad.json: projects[0].avoid: create_tenant parameter avoid: want a list, got a string"},
	}
	e := engine(t, "../specs/openstack", runtime.Options{})
	_, err = e.LoadSnapshotFile("testdata/snapshot.json")
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.LoadSnapshot(strings.NewReader(c.snapshot), "bad.json")
			var se *runtime.SnapshotError
			require.ErrorAs(t, err, &se)
			assert.True(t, strings.HasPrefix(err.Error(), c.want), "%s\nwant prefix %s", err, c.want)
			n, _ := e.Len("port")
			assert.Equal(t, 3, n, "the loaded context is still in use")
		})
	}
}

// A snapshot loads alike from a file, a buffer and a reader that does not know its size
// (which LoadSnapshot reads in growing steps).
func TestLoadSnapshotFromAnyReader(t *testing.T) {
	data, err := os.ReadFile("testdata/snapshot.json")
	require.NoError(t, err)
	f, err := os.Open("testdata/snapshot.json")
	require.NoError(t, err)
	defer f.Close()
	half := len(data) / 2
	readers := map[string]io.Reader{
		"file":    f,
		"buffer":  bytes.NewReader(data),
		"unsized": io.MultiReader(bytes.NewReader(data[:half]), bytes.NewReader(data[half:])),
	}
	for name, r := range readers {
		e := engine(t, "../specs/openstack", runtime.Options{})
		st, err := e.LoadSnapshot(r, name)
		require.NoError(t, err, name)
		n, err := e.Len("port")
		require.NoError(t, err)
		assert.Equal(t, 3, n, name)
		assert.Equal(t, []string{"flavors"}, st.Ignored, name)
	}
}
