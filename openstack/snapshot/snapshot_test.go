package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/keystone"
)

type fixedToken string

func (f fixedToken) Token(context.Context) (string, error) { return string(f), nil }

// record renders record i of a list with odd spacing, to check records pass through byte for byte.
func record(name string, i int) string {
	return fmt.Sprintf(`{"id":  "%s-%d", "n": %d}`, name, i, i)
}

// neutronLike serves name's n records in pages by limit/marker with "<name>_links" next links
// whose host is wrong (as when a service builds links from its own idea of its URL).
func neutronLike(t *testing.T, name string, n int, calls *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		assert.Equal(t, "tok", r.Header.Get("X-Auth-Token"))
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		require.NoError(t, err, "limit is always sent: %s", r.URL)
		start := 0
		if m := r.URL.Query().Get("marker"); m != "" {
			start, _ = strconv.Atoi(strings.TrimPrefix(m, name+"-"))
			start++
		}
		var recs []string
		for i := start; i < n && len(recs) < limit; i++ {
			recs = append(recs, record(name, i))
		}
		links := `[]`
		if len(recs) == limit {
			q := r.URL.Query()
			q.Set("marker", fmt.Sprintf("%s-%d", name, start+limit-1))
			links = fmt.Sprintf(`[{"rel":"next","href":"http://elsewhere.invalid:9696%s?%s"},{"rel":"previous","href":"x"}]`,
				r.URL.Path, q.Encode())
		}
		fmt.Fprintf(w, `{"%s": [%s], "%s_links": %s}`, name, strings.Join(recs, ","), name, links)
	}
}

// keystoneLike serves two pages linked by links.next, then links.next = null.
func keystoneLike(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			fmt.Fprintf(w, `{"%s": [%s], "links": {"self": "x", "next": null, "previous": null}}`, name, record(name, 1))
			return
		}
		fmt.Fprintf(w, `{"%s": [%s], "links": {"self": "x", "next": "http://keystone.invalid%s?page=2", "previous": null}}`,
			name, record(name, 0), r.URL.Path)
	}
}

func TestTakeFollowsPagination(t *testing.T) {
	var netCalls atomic.Int32
	mux := http.NewServeMux()
	for _, r := range DefaultResources {
		switch r.Service {
		case Identity:
			mux.HandleFunc("/v3/"+r.Name, keystoneLike(r.Name))
		case Network:
			mux.HandleFunc(strings.TrimSuffix(r.Path, "?"), neutronLike(t, r.Name, 5, &netCalls))
		}
	}
	mux.HandleFunc("/v3/groups/", keystoneLike("users"))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	snap, err := Take(context.Background(), Options{
		Endpoints: Endpoints{Identity: srv.URL + "/v3", Network: srv.URL},
		Token:     fixedToken("tok"), PageSize: 2,
	})
	require.NoError(t, err)
	assert.Equal(t, []string{`{"group_id":"groups-0","user_id":"users-0"}`, `{"group_id":"groups-0","user_id":"users-1"}`,
		`{"group_id":"groups-1","user_id":"users-0"}`, `{"group_id":"groups-1","user_id":"users-1"}`}, rawStrings(snap["group_memberships"]),
		"every group's members, both pages")
	for _, r := range DefaultResources {
		if r.Name == "group_memberships" {
			continue
		}
		if r.Service == Compute {
			assert.NotContains(t, snap, r.Name, "no compute endpoint: skipped")
			continue
		}
		n := map[string]int{Identity: 2, Network: 5}[r.Service]
		require.Len(t, snap[r.Name], n, r.Name)
		for i, rec := range snap[r.Name] {
			assert.Equal(t, record(r.Name, i), string(rec), "records pass through unchanged")
		}
	}
	// 5 records by 2: pages of 2, 2, 1 for each of 4 resources
	assert.EqualValues(t, 12, netCalls.Load())
}

func TestTakeNovaMicroversionAndExactMultiple(t *testing.T) {
	var calls atomic.Int32
	h := neutronLike(t, "servers", 4, &calls)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "compute 2.53", r.Header.Get("OpenStack-API-Version"))
		assert.Equal(t, "1", r.URL.Query().Get("all_tenants"), "query of the path is kept")
		h(w, r)
	}))
	defer srv.Close()
	snap, err := Take(context.Background(), Options{
		Endpoints: Endpoints{Compute: srv.URL + "/v2.1"}, Token: fixedToken("tok"), PageSize: 2,
		Resources: []Resource{{"servers", Compute, "/servers/detail?all_tenants=1"}},
	})
	require.NoError(t, err)
	assert.Len(t, snap["servers"], 4)
	assert.EqualValues(t, 3, calls.Load(), "a full last page is followed by an empty one")
}

func TestTakeEmptyListIsEmptyArray(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"groups": [], "links": {"next": null}}`)
	}))
	defer srv.Close()
	snap, err := Take(context.Background(), Options{Endpoints: Endpoints{Identity: srv.URL + "/v3"},
		Token: fixedToken("t"), Resources: []Resource{{"groups", Identity, "/groups"}}})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, snap.WriteJSON(&buf))
	assert.JSONEq(t, `{"groups": []}`, buf.String())
}

func TestTakeErrors(t *testing.T) {
	cases := map[string]struct {
		body   string
		status int
		want   string
	}{
		"http error":     {`{"NeutronError": {"message": "boom"}}`, 500, "HTTP 500"},
		"not json":       {`<html>`, 200, "decode"},
		"missing list":   {`{"other": []}`, 200, `no "ports" list`},
		"looping links":  {`{"ports": [], "ports_links": [{"rel": "next", "href": "/v2.0/ports?limit=1"}]}`, 200, "does not end"},
		"truncated list": {`{"ports": [], "truncated": true}`, 200, "truncated"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			}))
			defer srv.Close()
			_, err := Take(context.Background(), Options{Endpoints: Endpoints{Network: srv.URL},
				Token: fixedToken("t"), PageSize: 1, Resources: []Resource{{"ports", Network, "/v2.0/ports"}}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "ports", "the error names the resource")
		})
	}
}

// renewable hands out "old" until invalidated, then "new".
type renewable struct{ invalidated atomic.Bool }

func (r *renewable) Token(context.Context) (string, error) {
	if r.invalidated.Load() {
		return "new", nil
	}
	return "old", nil
}
func (r *renewable) Invalidate() { r.invalidated.Store(true) }

func TestTakeRenewsRejectedToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != "new" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"roles": [{"id": "r"}], "links": {"next": null}}`)
	}))
	defer srv.Close()
	src := &renewable{}
	snap, err := Take(context.Background(), Options{Endpoints: Endpoints{Identity: srv.URL},
		Token: src, Resources: []Resource{{"roles", Identity, "/roles"}}})
	require.NoError(t, err)
	assert.Len(t, snap["roles"], 1)
	assert.True(t, src.invalidated.Load())
}

func TestEndpointsFromCatalog(t *testing.T) {
	var cat keystone.Catalog
	require.NoError(t, json.Unmarshal([]byte(`[
	  {"type": "identity", "endpoints": [{"interface": "public", "region_id": "R", "url": "http://ks:5000/"}]},
	  {"type": "network", "endpoints": [{"interface": "internal", "region_id": "R", "url": "http://int:9696"},
	                                    {"interface": "public", "region_id": "R", "url": "http://pub:9696/v2.0/"}]},
	  {"type": "compute", "endpoints": [{"interface": "public", "region_id": "Other", "url": "http://nova:8774/v2.1"}]}
	]`), &cat))
	assert.Equal(t, Endpoints{Identity: "http://ks:5000/v3", Network: "http://pub:9696"},
		EndpointsFromCatalog(cat, "public", "R"))
	assert.Equal(t, "http://nova:8774/v2.1", EndpointsFromCatalog(cat, "public", "").Compute)
}

func TestTakeWithoutToken(t *testing.T) {
	_, err := Take(context.Background(), Options{})
	assert.Error(t, err)
}

func rawStrings(rs []json.RawMessage) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}
