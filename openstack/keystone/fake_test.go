package keystone

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeKeystone serves POST and GET /v3/auth/tokens from an in-memory token table.
type fakeKeystone struct {
	srv       *httptest.Server
	mu        sync.Mutex
	tokens    map[string]map[string]any // token -> the "token" document
	service   string                    // the only token allowed to validate others ("" = any valid token)
	validates atomic.Int32
	down      atomic.Bool
}

func newFakeKeystone(t *testing.T) *fakeKeystone {
	f := &fakeKeystone{tokens: map[string]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeKeystone) client() *Client { return New(f.srv.URL, nil) }

// add registers a token; scope is "project", "domain", "system" or "".
func (f *fakeKeystone) add(tok, scope string, expires time.Time, roles ...string) {
	doc := map[string]any{
		"user":       map[string]any{"id": "u-" + tok, "name": "user-" + tok, "domain": map[string]any{"id": "default"}},
		"expires_at": expires.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"issued_at":  expires.Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z"),
		"methods":    []string{"password"},
	}
	switch scope {
	case "project":
		doc["project"] = map[string]any{"id": "p1", "name": "proj", "domain": map[string]any{"id": "default"}}
	case "domain":
		doc["domain"] = map[string]any{"id": "d1", "name": "dom"}
	case "system":
		doc["system"] = map[string]any{"all": true}
	}
	var rs []map[string]string
	for _, r := range roles {
		rs = append(rs, map[string]string{"id": "r-" + r, "name": r})
	}
	doc["roles"] = rs
	doc["catalog"] = []any{map[string]any{"type": "network", "name": "neutron", "id": "s1",
		"endpoints": []any{map[string]any{"interface": "public", "region_id": "RegionOne", "url": "http://net.example"}}}}
	f.mu.Lock()
	f.tokens[tok] = doc
	f.mu.Unlock()
}

func (f *fakeKeystone) lookup(tok string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.tokens[tok]
	return d, ok
}

func (f *fakeKeystone) serve(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	if r.URL.Path != "/v3/auth/tokens" {
		WriteKeystoneError(w, http.StatusNotFound, "no such path")
		return
	}
	switch r.Method {
	case http.MethodPost:
		f.issue(w, r)
	case http.MethodGet:
		f.validate(w, r)
	default:
		WriteKeystoneError(w, http.StatusMethodNotAllowed, "method")
	}
}

// issue accepts user "alice" with password "pw" and scopes the token as asked.
func (f *fakeKeystone) issue(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Auth struct {
			Identity struct {
				Password struct {
					User struct {
						Name     string `json:"name"`
						Password string `json:"password"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope map[string]any `json:"scope"`
		} `json:"auth"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		WriteKeystoneError(w, http.StatusBadRequest, err.Error())
		return
	}
	u := req.Auth.Identity.Password.User
	if u.Name != "alice" || u.Password != "pw" {
		WriteKeystoneError(w, http.StatusUnauthorized, "The request you have made requires authentication.")
		return
	}
	scope := ""
	for k := range req.Auth.Scope {
		scope = k
	}
	tok := "issued-" + scope
	f.add(tok, scope, time.Now().Add(time.Hour), "member")
	d, _ := f.lookup(tok)
	w.Header().Set("X-Subject-Token", tok)
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"token": d})
}

func (f *fakeKeystone) validate(w http.ResponseWriter, r *http.Request) {
	f.validates.Add(1)
	auth := r.Header.Get("X-Auth-Token")
	if _, ok := f.lookup(auth); !ok || (f.service != "" && auth != f.service && auth != r.Header.Get("X-Subject-Token")) {
		WriteKeystoneError(w, http.StatusUnauthorized, "The request you have made requires authentication.")
		return
	}
	d, ok := f.lookup(r.Header.Get("X-Subject-Token"))
	if !ok {
		WriteKeystoneError(w, http.StatusNotFound, "Could not recognize Fernet token")
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"token": d})
}
