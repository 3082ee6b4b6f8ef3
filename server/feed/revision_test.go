package feed

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/server/revision"
)

// TestLateNotificationDoesNotUndoANewerState: the proxy applied the attach
// from Neutron's response (revision 2); the port's create notification
// (revision 1) arrives afterwards and must not make the port unbound again.
func TestLateNotificationDoesNotUndoANewerState(t *testing.T) {
	e := newEngine(t)
	guard := revision.NewGuard()
	p := New(Config{Engine: e, Revisions: guard})
	_, err := p.Load("snapshot", []byte(`{"domains": [{"id": "d"}], "projects": [{"id": "t", "domain_id": "d"}],
		"networks": [{"id": "n", "project_id": "t"}], "subnets": [{"id": "s", "network_id": "n"}]}`))
	require.NoError(t, err)
	created := []byte(`{"event_type": "port.create.end", "message_id": "m1", "payload": {"port": {"id": "p",
		"network_id": "n", "project_id": "t", "fixed_ips": [{"subnet_id": "s"}], "device_owner": "", "device_id": "", "revision_number": 1}}}`)
	attached := []byte(`{"event_type": "port.update.end", "message_id": "m2", "payload": {"port": {"id": "p",
		"network_id": "n", "project_id": "t", "fixed_ips": [{"subnet_id": "s"}], "device_owner": "compute:nova", "device_id": "vm", "revision_number": 2}}}`)

	detached := []byte(`{"event_type": "port.update.end", "message_id": "m0", "payload": {"port": {"id": "p",
		"network_id": "n", "project_id": "t", "fixed_ips": [{"subnet_id": "s"}], "device_owner": "", "device_id": "", "revision_number": 1}}}`)
	for _, m := range []struct {
		id   string
		data []byte
		want Outcome
	}{{"m1", created, Applied}, {"m2", attached, Applied}, {"m0", detached, Ignored}} {
		out, err := p.Apply(m.id, m.data)
		require.NoError(t, err)
		assert.Equal(t, m.want, out, m.id)
	}
	st, err := e.Scope("no_bypass", "t")
	require.NoError(t, err)
	assert.NotContains(t, st.Elements, "p", "the late revision-1 update did not unbind the port")
	assert.Equal(t, 1, guard.Len())
}
