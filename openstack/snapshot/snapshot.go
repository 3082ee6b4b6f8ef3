// Package snapshot pulls the list APIs of Keystone, Neutron and Nova into one JSON object of raw records.
package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pvsc.dev/pvsc/openstack/keystone"
)

// Services a Resource can belong to (Keystone catalog types).
const (
	Identity = "identity"
	Network  = "network"
	Compute  = "compute"
)

// Resource is one list API. Name is both the key in the snapshot and the list's key in the
// answer; Path is relative to the service's endpoint and may carry a query.
type Resource struct {
	Name    string
	Service string
	Path    string
}

// DefaultResources is what Take pulls when Options.Resources is empty.
var DefaultResources = []Resource{
	{"domains", Identity, "/domains"},
	{"projects", Identity, "/projects"},
	{"users", Identity, "/users"},
	{"groups", Identity, "/groups"},
	{"roles", Identity, "/roles"},
	{"role_assignments", Identity, "/role_assignments"},
	// Keystone has no list of all memberships: one list per group, as {"group_id", "user_id"}.
	{"group_memberships", Identity, "/groups/{group}/users"},
	{"networks", Network, "/v2.0/networks"},
	{"subnets", Network, "/v2.0/subnets"},
	{"ports", Network, "/v2.0/ports"},
	{"routers", Network, "/v2.0/routers"},
	{"servers", Compute, "/servers/detail?all_tenants=1"},
	{"hypervisors", Compute, "/os-hypervisors/detail"},
}

// Endpoints are the services' base URLs: Identity with "/v3", Network without "/v2.0",
// Compute with "/v2.1". An empty one skips that service's resources.
type Endpoints struct {
	Identity, Network, Compute string
}

func (e Endpoints) of(service string) string {
	return map[string]string{Identity: e.Identity, Network: e.Network, Compute: e.Compute}[service]
}

// EndpointsFromCatalog picks the endpoints of a token's catalog for an interface ("public",
// "internal", "admin") and region ("" for any).
func EndpointsFromCatalog(c keystone.Catalog, iface, region string) Endpoints {
	get := func(typ string) string {
		u, _ := c.EndpointURL(typ, iface, region)
		return strings.TrimRight(u, "/")
	}
	e := Endpoints{Identity: get(Identity), Network: get(Network), Compute: get(Compute)}
	if e.Identity != "" && !strings.HasSuffix(e.Identity, "/v3") {
		e.Identity += "/v3"
	}
	// some deployments register Neutron with its version; the paths carry it already
	e.Network = strings.TrimSuffix(e.Network, "/v2.0")
	return e
}

// Options configures Take.
type Options struct {
	Endpoints Endpoints
	// Token authenticates every call; if it also has Invalidate, a 401 fetches a new token once.
	Token keystone.TokenProvider
	// HTTP is the client; nil means one with a 60 s timeout.
	HTTP *http.Client
	// PageSize is the limit asked of Neutron and Nova per page. Default 500. Keystone takes no
	// limit; it pages only by links.next.
	PageSize int
	// Resources to pull; default DefaultResources.
	Resources []Resource
	// ComputeMicroversion is sent to Nova; 2.53 is the first with paged, UUID-keyed hypervisors.
	ComputeMicroversion string
	// MaxPages bounds the pages of one resource, against a server whose next links loop. Default 100000.
	MaxPages int
}

// Snapshot maps a resource name to the records the API returned, each exactly as returned.
type Snapshot map[string][]json.RawMessage

// WriteJSON writes the snapshot as one JSON object, keys sorted.
func (s Snapshot) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("snapshot: encode: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Take pulls every resource whose service has an endpoint. It fails whole rather than return a
// partial list, since a missing record would make a verification wrong, not merely incomplete.
func Take(ctx context.Context, o Options) (Snapshot, error) {
	o = o.withDefaults()
	if o.Token == nil {
		return nil, errors.New("snapshot: no token provider")
	}
	out := Snapshot{}
	for _, r := range o.Resources {
		base := o.Endpoints.of(r.Service)
		if base == "" {
			continue
		}
		if strings.Contains(r.Path, "{group}") {
			ms, err := o.memberships(ctx, r, out["groups"])
			if err != nil {
				return nil, err
			}
			out[r.Name] = ms
			continue
		}
		recs, err := o.list(ctx, base, r)
		if err != nil {
			return nil, err
		}
		out[r.Name] = recs
	}
	return out, nil
}

// memberships lists every group's users (Keystone has no list of all memberships) as records
// {"group_id", "user_id"}: group grants are effective for their members.
func (o Options) memberships(ctx context.Context, r Resource, groups []json.RawMessage) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	for _, raw := range groups {
		var g struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &g); err != nil || g.ID == "" {
			return nil, fmt.Errorf("snapshot: groups: a record without an id: %s", raw)
		}
		path := strings.ReplaceAll(r.Path, "{group}", url.PathEscape(g.ID))
		users, err := o.list(ctx, o.Endpoints.Identity, Resource{Name: "users", Service: Identity, Path: path})
		if err != nil {
			return nil, fmt.Errorf("snapshot: members of group %s: %w", g.ID, err)
		}
		for _, u := range users {
			var user struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(u, &user); err != nil || user.ID == "" {
				return nil, fmt.Errorf("snapshot: members of group %s: a user without an id", g.ID)
			}
			rec, _ := json.Marshal(map[string]string{"group_id": g.ID, "user_id": user.ID})
			out = append(out, rec)
		}
	}
	return out, nil
}

func (o Options) withDefaults() Options {
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if o.PageSize == 0 {
		o.PageSize = 500
	}
	if o.Resources == nil {
		o.Resources = DefaultResources
	}
	if o.ComputeMicroversion == "" {
		o.ComputeMicroversion = "2.53"
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 100000
	}
	return o
}

// list follows one resource's pages to the end.
func (o Options) list(ctx context.Context, base string, r Resource) ([]json.RawMessage, error) {
	base = strings.TrimRight(base, "/")
	next, err := firstPage(base, r, o.PageSize)
	if err != nil {
		return nil, err
	}
	recs := []json.RawMessage{}
	seen := map[string]bool{}
	for page := 0; next != ""; page++ {
		if page >= o.MaxPages || seen[next] {
			return nil, fmt.Errorf("snapshot: %s: pagination does not end (page %d, %s)", r.Name, page, next)
		}
		seen[next] = true
		body, err := o.get(ctx, next, r.Service)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %s: %w", r.Name, err)
		}
		p, err := parsePage(body, r.Name)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %s: GET %s: %w", r.Name, next, err)
		}
		recs = append(recs, p.records...)
		if next, err = rebase(base, next, p.next); err != nil {
			return nil, fmt.Errorf("snapshot: %s: %w", r.Name, err)
		}
	}
	return recs, nil
}

// firstPage adds the page size to Neutron's and Nova's first request; their next links keep it.
func firstPage(base string, r Resource, size int) (string, error) {
	u, err := url.Parse(base + r.Path)
	if err != nil {
		return "", fmt.Errorf("snapshot: %s: bad URL %q: %w", r.Name, base+r.Path, err)
	}
	if r.Service != Identity && size > 0 {
		q := u.Query()
		q.Set("limit", strconv.Itoa(size))
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

type page struct {
	records []json.RawMessage
	next    string
}

type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// parsePage reads both pagination styles: Neutron's and Nova's "<name>_links": [{"rel": "next"}]
// and Keystone's "links": {"next": ...}.
func parsePage(body []byte, name string) (page, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return page{}, fmt.Errorf("decode: %w", err)
	}
	var p page
	raw, ok := doc[name]
	if !ok {
		return page{}, fmt.Errorf("no %q list in the answer", name)
	}
	if err := json.Unmarshal(raw, &p.records); err != nil {
		return page{}, fmt.Errorf("%q is not a list: %w", name, err)
	}
	var truncated bool
	if t, ok := doc["truncated"]; ok && json.Unmarshal(t, &truncated) == nil && truncated {
		return page{}, errors.New("list truncated by Keystone's list_limit, with no next page")
	}
	var links []link
	if l, ok := doc[name+"_links"]; ok && json.Unmarshal(l, &links) == nil {
		for _, ln := range links {
			if ln.Rel == "next" {
				p.next = ln.Href
			}
		}
	}
	var ks struct {
		Next *string `json:"next"`
	}
	if l, ok := doc["links"]; ok && p.next == "" && json.Unmarshal(l, &ks) == nil && ks.Next != nil {
		p.next = *ks.Next
	}
	return p, nil
}

// rebase resolves a next link and points it at our endpoint's scheme and host: services build
// links from their own idea of their public URL, which need not be the address we reach them at.
func rebase(base, current, next string) (string, error) {
	if next == "" {
		return "", nil
	}
	cur, err := url.Parse(current)
	if err != nil {
		return "", fmt.Errorf("bad URL %q: %w", current, err)
	}
	n, err := cur.Parse(next)
	if err != nil {
		return "", fmt.Errorf("bad next link %q: %w", next, err)
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("bad endpoint %q: %w", base, err)
	}
	n.Scheme, n.Host = b.Scheme, b.Host
	return n.String(), nil
}

// get fetches one page, renewing the token once if the service refuses it.
func (o Options) get(ctx context.Context, u, service string) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		tok, err := o.Token.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("token: %w", err)
		}
		body, status, err := o.fetch(ctx, u, service, tok)
		inv, canRenew := o.Token.(interface{ Invalidate() })
		if status == http.StatusUnauthorized && canRenew && attempt == 0 {
			inv.Invalidate()
			continue
		}
		return body, err
	}
}

func (o Options) fetch(ctx context.Context, u, service, tok string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("X-Auth-Token", tok)
	req.Header.Set("Accept", "application/json")
	if service == Compute {
		req.Header.Set("OpenStack-API-Version", "compute "+o.ComputeMicroversion)
	}
	resp, err := o.HTTP.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("GET %s: read body: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, &keystone.HTTPError{Method: http.MethodGet, URL: u, Status: resp.StatusCode,
			Body: string(body[:min(len(body), 512)])}
	}
	return body, resp.StatusCode, nil
}
