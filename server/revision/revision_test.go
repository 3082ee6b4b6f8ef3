package revision_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/server/revision"
)

func TestLateCreateDoesNotUndoAnAttach(t *testing.T) {
	g := revision.NewGuard()
	attach, ok := revision.Response("PUT", []byte(`{"port": {"id": "p1", "device_owner": "compute:nova", "revision_number": 3}}`))
	require.True(t, ok)
	assert.True(t, g.Admit(attach))
	created, err := os.ReadFile("../../openstack/testdata/port.create.end.json")
	require.NoError(t, err)
	c, ok := revision.Notification(created)
	require.True(t, ok)
	assert.Equal(t, "port/7b122e55-baba-4437-9570-0908e26b45d3", c.Key)
	assert.Equal(t, int64(1), c.Revision)
	assert.True(t, g.Admit(c), "another port")
	c.Key = "port/p1"
	assert.False(t, g.Admit(c), "revision 1 after 3 is stale")
	c.Revision = 3
	assert.True(t, g.Admit(c), "the same revision is a re-delivery and harmless")
}

func TestDeleteIsFinal(t *testing.T) {
	g := revision.NewGuard()
	assert.True(t, g.Admit(revision.Change{Key: "port/p", Revision: 2}))
	assert.True(t, g.Admit(revision.Change{Key: "port/p", Revision: 2, Delete: true}))
	assert.False(t, g.Admit(revision.Change{Key: "port/p", Revision: 5}), "nothing brings a deleted port back")
}

func TestEnvelopesAndDocumentsWithoutRevisions(t *testing.T) {
	env := []byte(`{"oslo.version": "2.0", "oslo.message": "{\"event_type\": \"network.update.end\", \"payload\": {\"network\": {\"id\": \"n1\", \"revision_number\": 7}}}"}`)
	c, ok := revision.Notification(env)
	require.True(t, ok)
	assert.Equal(t, revision.Change{Key: "network/n1", Revision: 7}, c)
	_, ok = revision.Notification([]byte(`{"event_type": "identity.project.created", "payload": {"resource_info": "p"}}`))
	assert.False(t, ok, "CADF events carry no revision")
	_, ok = revision.Notification([]byte(`{"event_type": "port.update.start", "payload": {"port": {"id": "p", "revision_number": 1}}}`))
	assert.False(t, ok, "only .end notifications report a change")
	_, ok = revision.Response("POST", []byte(`not json`))
	assert.False(t, ok)
	assert.True(t, revision.NewGuard().Admit(revision.Change{}), "an unkeyed change is always admitted")
}
