package feed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"pvsc.dev/pvsc/openstack/amqp"
	"pvsc.dev/pvsc/openstack/keystone"
)

// cadfCreated maps Keystone's creation notifications to the collection the record is read from.
var cadfCreated = map[string]string{
	"identity.domain.created":  "domains",
	"identity.project.created": "projects",
	"identity.user.created":    "users",
	"identity.group.created":   "groups",
	"identity.role.created":    "roles",
}

// Enricher reads back the record a Keystone CADF creation names. CADF carries only the id, so
// a project or user learnt from it would have no domain, and common_ownership could not place
// it; the record Keystone returns is applied instead, through the spec's REST row for the
// create with the record as the response.
type Enricher struct {
	Identity string // Keystone URL with /v3
	Token    keystone.TokenProvider
	HTTP     *http.Client
	// Members lists the users the context holds as members of a group; set, a group's
	// membership change (identity.group.updated names only the group) is read back and
	// applied as the users added and removed.
	Members func(group string) ([]string, error)
}

// Enrich returns the document to apply instead of the notification, or nil to apply it as it
// is (not a creation, or the record is gone already: its deletion follows).
func (e *Enricher) Enrich(ctx context.Context, n amqp.Notification) ([]byte, error) {
	if n.EventType == "identity.group.updated" && e.Members != nil {
		return e.groupMembers(ctx, n)
	}
	coll, ok := cadfCreated[n.EventType]
	if !ok {
		return nil, nil
	}
	var cadf struct {
		ResourceInfo string `json:"resource_info"`
	}
	if json.Unmarshal(n.Payload, &cadf) != nil || cadf.ResourceInfo == "" {
		return nil, nil
	}
	rec, err := e.get(ctx, coll, cadf.ResourceInfo)
	if err != nil || rec == nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"method": "POST", "path": "/v3/" + coll, "response": rec})
}

func (e *Enricher) get(ctx context.Context, coll, id string) (json.RawMessage, error) {
	tok, err := e.Token.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: enrich %s %s: token: %w", coll, id, err)
	}
	url := strings.TrimRight(e.Identity, "/") + "/" + coll + "/" + id
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Close = true // Keystone under uwsgi cannot keep connections alive
	req.Header.Set("X-Auth-Token", tok)
	req.Header.Set("Accept", "application/json")
	hc := e.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("events: enrich: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case err != nil:
		return nil, fmt.Errorf("events: enrich: GET %s: %w", url, err)
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("events: enrich: GET %s: HTTP %d", url, resp.StatusCode)
	case !json.Valid(body):
		return nil, fmt.Errorf("events: enrich: GET %s: the answer is not JSON", url)
	}
	return body, nil
}

// groupMembers reads a group's users back and says which joined and which left, as the
// document pvsc.group.members (specs/openstack maps it to add_member and remove_member).
func (e *Enricher) groupMembers(ctx context.Context, n amqp.Notification) ([]byte, error) {
	var cadf struct {
		ResourceInfo string `json:"resource_info"`
	}
	if json.Unmarshal(n.Payload, &cadf) != nil || cadf.ResourceInfo == "" {
		return nil, nil
	}
	g := cadf.ResourceInfo
	body, err := e.get(ctx, "groups", g+"/users")
	if err != nil || body == nil {
		return nil, err // a group that is gone: its deletion follows
	}
	var page struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("events: enrich: members of group %s: %w", g, err)
	}
	had, err := e.Members(g)
	if err != nil {
		return nil, err
	}
	now := map[string]bool{}
	for _, u := range page.Users {
		now[u.ID] = true
	}
	added, removed := []string{}, []string{}
	for _, u := range page.Users {
		if !slices.Contains(had, u.ID) {
			added = append(added, u.ID)
		}
	}
	for _, u := range had {
		if !now[u] {
			removed = append(removed, u)
		}
	}
	return json.Marshal(map[string]any{"event_type": "pvsc.group.members", "message_id": n.MessageID,
		"payload": map[string]any{"group_id": g, "added": added, "removed": removed}})
}
