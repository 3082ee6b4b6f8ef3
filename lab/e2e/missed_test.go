package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/stacktest"
)

// TestMissedEventsRebuild: pvsc is down while its queue goes away (as x-expires drops it) and
// the cloud changes. Back up, it finds its queue new, holds critical operations to their fail
// mode, rebuilds from a live snapshot, and then knows what it missed.
func TestMissedEventsRebuild(t *testing.T) {
	st := stacktest.New(t)
	ten := newTenant(t, st)
	queue := stacktest.UniqueName("pvsc-e2e")
	t.Cleanup(func() { deleteQueues(t, st.AMQPURL, queue) })
	api := freePort(t)
	args := []string{"serve", "--spec", "specs/openstack", "--snapshot-live", "--state", t.TempDir() + "/state.db",
		"--amqp-url", st.AMQPURL, "--queue", queue, "--listen", api, "--auth", "bearer"}
	p := start(t, st, api, args...)
	net := st.CreateNetwork(t, ten.token, map[string]any{"name": "missed"})["id"].(string)
	eventually(t, 30*time.Second, "the network is followed", func() bool { n, _, _ := elements(t, p, "no_bypass", ten.project); return n == 4 })
	p.stop()

	deleteQueues(t, st.AMQPURL, queue) // what RabbitMQ does to a queue whose x-expires has run out
	st.CreateSubnet(t, ten.token, net, "10.20.0.0/24")
	port := st.CreatePort(t, ten.token, net, nil)["id"].(string)

	p = start(t, st, "", args...)
	p.api = "http://" + api
	attack := `{"op": "update_port", "params": {"port_id": "` + port + `", "device_owner": "network:dhcp"}}`
	sawDoubt := false
	eventually(t, 60*time.Second, "rebuilt after the lost queue", func() bool {
		status, body := decide(t, p, attack)
		if status == http.StatusOK && strings.Contains(body, "fail closed: deny") {
			sawDoubt = true
		}
		r, err := http.Get(p.api + "/readyz")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	})
	// the port is new to the context, so its scope is unknown too: either way it fails closed
	assert.True(t, sawDoubt, "while rebuilding, the critical operation failed closed")
	ncp, _, els := elements(t, p, "no_bypass", ten.project)
	assert.Equal(t, float64(2), ncp, "the subnet and port created while pvsc was away are known")
	assert.Contains(t, els, port)
	status, body := decide(t, p, attack)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"verdict":"allow"`, "a free port may become network-owned")
	assert.True(t, strings.Contains(p.getText(t, "/metrics"), `pvsc_resyncs_total{reason="queue lost",result="ok"} 1`), "one rebuild for the lost queue")
}

func decide(t *testing.T, p *proc, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.api+"/v1/decide", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+bearerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}
