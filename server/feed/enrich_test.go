package feed

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/amqp"
)

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

func TestEnrichReadsBackWhatCADFLeavesOut(t *testing.T) {
	ks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("X-Auth-Token") != "svc":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/v3/projects/p1":
			_, _ = w.Write([]byte(`{"project": {"id": "p1", "domain_id": "d7"}}`))
		case r.URL.Path == "/v3/users/u9":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer ks.Close()
	e := &Enricher{Identity: ks.URL + "/v3", Token: staticToken("svc")}
	cadf := func(typ, id string) amqp.Notification {
		return amqp.Notification{EventType: typ, Payload: json.RawMessage(`{"resource_info": "` + id + `"}`)}
	}
	got, err := e.Enrich(context.Background(), cadf("identity.project.created", "p1"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"method": "POST", "path": "/v3/projects", "response": {"project": {"id": "p1", "domain_id": "d7"}}}`, string(got))

	got, err = e.Enrich(context.Background(), cadf("identity.project.created", "gone"))
	require.NoError(t, err)
	assert.Nil(t, got, "deleted since: the notification is applied as it is")
	got, err = e.Enrich(context.Background(), cadf("port.create.end", "x"))
	require.NoError(t, err)
	assert.Nil(t, got, "not a Keystone creation")
	_, err = e.Enrich(context.Background(), cadf("identity.user.created", "u9"))
	assert.ErrorContains(t, err, "HTTP 503", "Keystone down: the delivery is requeued")

	// the enriched document applies: the project gets its domain
	p := New(Config{Engine: newEngine(t)})
	_, err = p.Load("s", []byte(`{"domains": [{"id": "d7"}]}`))
	require.NoError(t, err)
	doc, _ := e.Enrich(context.Background(), cadf("identity.project.created", "p1"))
	out, err := p.Apply("m1", doc)
	require.NoError(t, err)
	assert.Equal(t, Applied, out)
	st, err := p.Engine().Scope("common_ownership", "d7")
	require.NoError(t, err)
	assert.Contains(t, st.Elements, "p1", "the project is owned by its domain")
}

// TestEnrichReadsBackAGroupsMembers: Keystone's identity.group.updated names only the group;
// the read-back applies who joined and who left.
func TestEnrichReadsBackAGroupsMembers(t *testing.T) {
	members := `{"users": [{"id": "u1"}, {"id": "u2"}]}`
	ks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v3/groups/g1/users" {
			_, _ = w.Write([]byte(members))
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer ks.Close()
	p := New(Config{Engine: newEngine(t)})
	_, err := p.Load("s", []byte(`{"domains": [{"id": "d"}], "users": [{"id": "u1", "domain_id": "d"}, {"id": "u2", "domain_id": "d"}, {"id": "u3", "domain_id": "d"}],
		"groups": [{"id": "g1", "domain_id": "d"}], "group_memberships": [{"group_id": "g1", "user_id": "u3"}]}`))
	require.NoError(t, err)
	e := &Enricher{Identity: ks.URL + "/v3", Token: staticToken("svc"), Members: func(g string) ([]string, error) {
		return p.Engine().Related("membership", "group", g, "user")
	}}
	n := amqp.Notification{EventType: "identity.group.updated", MessageID: "m1", Payload: json.RawMessage(`{"resource_info": "g1"}`)}
	doc, err := e.Enrich(context.Background(), n)
	require.NoError(t, err)
	assert.JSONEq(t, `{"event_type": "pvsc.group.members", "message_id": "m1", "payload": {"group_id": "g1", "added": ["u1", "u2"], "removed": ["u3"]}}`, string(doc))
	out, err := p.Apply("m1", doc)
	require.NoError(t, err)
	assert.Equal(t, Applied, out)
	got, err := p.Engine().Related("membership", "group", "g1", "user")
	require.NoError(t, err)
	assert.Equal(t, []string{"u1", "u2"}, got)
}
