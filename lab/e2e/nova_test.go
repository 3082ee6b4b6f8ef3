package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/stacktest"
)

// TestOSSA2015018WithNova is the paper's running example with a real VM: a server boots on a
// port (Nova plugs it and tells Neutron), pvsc learns it from the notifications, and turning
// the port network-owned through the proxy is refused: in one call, and in the one call that
// also clears device_id. The port stays as it was.
func TestOSSA2015018WithNova(t *testing.T) {
	st := stacktest.New(t)
	ten := newTenant(t, st)
	p, neutron, _ := proxyNode(t, st)

	net := st.CreateNetwork(t, ten.token, map[string]any{"name": "ossa-nova"})["id"].(string)
	st.CreateSubnet(t, ten.token, net, "10.19.0.0/24")
	port := jsonField(t, must(t, http.StatusCreated)(raw(t, "POST", neutron+"/v2.0/ports", ten.token,
		map[string]any{"port": map[string]any{"network_id": net}})), "port", "id").(string)
	t.Cleanup(func() { raw(t, "DELETE", st.NeutronURL+"/v2.0/ports/"+port, st.AdminToken(t), nil) })
	eventually(t, 30*time.Second, "the new port is watched as unattached", func() bool {
		_, _, els := elements(t, p, "no_bypass", ten.project)
		return contains(els, port)
	})

	server := st.BootServer(t, ten.token, stacktest.UniqueName("ossa-vm"), "", port)
	vm := server["id"].(string)
	eventually(t, 60*time.Second, "pvsc learns from Nova's and Neutron's notifications that the VM is plugged in", func() bool {
		ncp, _, els := elements(t, p, "no_bypass", ten.project)
		return !contains(els, port) && ncp == 1
	})
	bound := st.JSON(t, http.StatusOK, "GET", st.NeutronURL+"/v2.0/ports/"+port, ten.token, nil)["port"].(map[string]any)
	require.Equal(t, vm, bound["device_id"], "Nova plugged the VM into the port")
	require.Contains(t, bound["device_owner"], "compute:")

	for _, attack := range []map[string]any{
		{"device_owner": "network:dhcp"},
		{"device_owner": "network:dhcp", "device_id": ""}, // clearing device_id does not unplug the VM
	} {
		status, body := raw(t, "PUT", neutron+"/v2.0/ports/"+port, ten.token, map[string]any{"port": attack})
		require.Equal(t, http.StatusForbidden, status, "%v: %s", attack, body)
		assert.Equal(t, "PolicyNotAuthorized", jsonField(t, body, "NeutronError", "type"))
		assert.Contains(t, jsonField(t, body, "NeutronError", "message"), "no_bypass: update_port is critical")
	}
	now := st.JSON(t, http.StatusOK, "GET", st.NeutronURL+"/v2.0/ports/"+port, ten.token, nil)["port"].(map[string]any)
	assert.Equal(t, bound["device_owner"], now["device_owner"], "Neutron never saw the calls")
	assert.Equal(t, vm, now["device_id"])
	assert.Equal(t, bound["revision_number"], now["revision_number"])
}

// TestLiveMigrationMovesTheVMInTheContext: Nova live-migrates a server to the other compute;
// pvsc reads the destination from post_dest.end (post.end names the source).
func TestLiveMigrationMovesTheVMInTheContext(t *testing.T) {
	st := stacktest.New(t)
	ten := newTenant(t, st)
	p := serveNode(t, st)
	net := st.CreateNetwork(t, ten.token, map[string]any{"name": "migrate"})["id"].(string)
	st.CreateSubnet(t, ten.token, net, "10.21.0.0/24")
	port := st.CreatePort(t, ten.token, net, nil)["id"].(string)
	admin := st.AdminToken(t)
	// The tenant boots (Nova refuses another project's port); the scheduler picks the host.
	server := st.BootServer(t, ten.token, stacktest.UniqueName("mig-vm"), "", port)
	vm := server["id"].(string)
	src := stacktest.HostOf(server)
	dst := stacktest.Computes[0]
	if src == dst {
		dst = stacktest.Computes[1]
	}
	eventually(t, 60*time.Second, "pvsc knows the VM on "+src, func() bool {
		return vmHost(t, p, vm) == src
	})
	status, body := st.Nova(t, http.MethodPost, "/servers/"+vm+"/action", admin,
		map[string]any{"os-migrateLive": map[string]any{"host": dst, "block_migration": "auto"}})
	require.Equal(t, http.StatusAccepted, status, string(body))
	eventually(t, 120*time.Second, "Nova moved the VM", func() bool {
		return stacktest.HostOf(st.WaitServer(t, vm, "ACTIVE")) == dst
	})
	eventually(t, 60*time.Second, "pvsc moved the VM to "+dst, func() bool {
		return vmHost(t, p, vm) == dst
	})
}

// vmHost is the host pvsc's context records for a VM, "" if it has none.
func vmHost(t *testing.T, p *proc, vm string) string {
	t.Helper()
	rec := p.get(t, "/v1/records/vm/"+vm)
	h, _ := rec["host"].(string)
	return h
}
