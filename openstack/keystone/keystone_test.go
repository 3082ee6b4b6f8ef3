package keystone

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthenticateProjectScope(t *testing.T) {
	f := newFakeKeystone(t)
	tok, info, err := f.client().Authenticate(context.Background(), PasswordAuth{
		User:     Name{Name: "alice", DomainID: "default"},
		Password: "pw",
		Scope:    Scope{Project: &Name{Name: "proj", DomainID: "default"}},
	})
	require.NoError(t, err)
	assert.Equal(t, "issued-project", tok)
	assert.Equal(t, "u-issued-project", info.UserID)
	assert.Equal(t, "p1", info.ProjectID)
	assert.Equal(t, "default", info.ProjectDomainID)
	assert.True(t, info.HasRole("Member"))
	url, ok := info.Catalog.EndpointURL("network", "public", "RegionOne")
	assert.True(t, ok)
	assert.Equal(t, "http://net.example", url)
}

func TestAuthenticateDomainScopeAndBadPassword(t *testing.T) {
	f := newFakeKeystone(t)
	c := f.client()
	_, info, err := c.Authenticate(context.Background(), PasswordAuth{
		User: Name{Name: "alice", DomainName: "Default"}, Password: "pw", Scope: Scope{Domain: &Name{ID: "d1"}}})
	require.NoError(t, err)
	assert.Equal(t, "d1", info.DomainID)
	assert.Empty(t, info.ProjectID)

	_, _, err = c.Authenticate(context.Background(), PasswordAuth{User: Name{Name: "alice"}, Password: "nope"})
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusUnauthorized, he.Status)
	assert.Contains(t, err.Error(), "/v3/auth/tokens")
}

func TestAuthRequestShape(t *testing.T) {
	b, err := json.Marshal(authRequest(PasswordAuth{User: Name{ID: "uid"}, Password: "x", Scope: Scope{System: true}}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"uid","password":"x"}}},
		"scope":{"system":{"all":true}}}}`, string(b))
}

func TestValidate(t *testing.T) {
	f := newFakeKeystone(t)
	f.add("good", "project", time.Now().Add(time.Hour), "admin")
	c := f.client()

	info, err := c.Validate(context.Background(), "good", "good")
	require.NoError(t, err)
	assert.Equal(t, "p1", info.ProjectID)
	assert.Equal(t, []string{"admin"}, info.RoleNames())

	_, err = c.Validate(context.Background(), "good", "unknown")
	assert.ErrorIs(t, err, ErrInvalidToken)
	_, err = c.Validate(context.Background(), "unknown", "unknown")
	assert.ErrorIs(t, err, ErrInvalidToken, "a token refused as its own auth is invalid")
	_, err = c.Validate(context.Background(), "bad-service", "good")
	assert.ErrorIs(t, err, ErrServiceTokenRejected)
}

func TestTokenSourceRefreshes(t *testing.T) {
	f := newFakeKeystone(t)
	src := f.client().NewTokenSource(PasswordAuth{User: Name{Name: "alice", DomainID: "default"}, Password: "pw",
		Scope: Scope{Project: &Name{ID: "p1"}}})
	tok, err := src.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "issued-project", tok)
	now := time.Now()
	src.now = func() time.Time { return now.Add(59 * time.Minute) } // within the refresh margin
	f.mu.Lock()
	delete(f.tokens, "issued-project")
	f.mu.Unlock()
	_, info, err := src.Current(context.Background())
	require.NoError(t, err)
	assert.NotNil(t, info)
	_, ok := f.lookup("issued-project")
	assert.True(t, ok, "the source authenticated again")
}

// clock is a settable time source for the cache tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestValidatorCachesUntilTTL(t *testing.T) {
	f := newFakeKeystone(t)
	clk := &clock{t: time.Now()}
	f.add("good", "project", clk.Now().Add(time.Hour), "member")
	v := NewValidator(f.client(), ValidatorOptions{TTL: time.Minute, Now: clk.Now})
	ctx := context.Background()

	for range 3 {
		_, err := v.Validate(ctx, "good")
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, f.validates.Load())
	clk.Add(61 * time.Second)
	_, err := v.Validate(ctx, "good")
	require.NoError(t, err)
	assert.EqualValues(t, 2, f.validates.Load(), "a stale entry is validated again")
}

func TestValidatorExpiredToken(t *testing.T) {
	f := newFakeKeystone(t)
	clk := &clock{t: time.Now()}
	f.add("short", "project", clk.Now().Add(30*time.Second), "member")
	v := NewValidator(f.client(), ValidatorOptions{TTL: time.Hour, Now: clk.Now})

	_, err := v.Validate(context.Background(), "short")
	require.NoError(t, err)
	clk.Add(31 * time.Second)
	_, err = v.Validate(context.Background(), "short")
	assert.ErrorIs(t, err, ErrInvalidToken)
	assert.Contains(t, err.Error(), "expired")
}

func TestValidatorNegativeCacheAndOutage(t *testing.T) {
	f := newFakeKeystone(t)
	clk := &clock{t: time.Now()}
	v := NewValidator(f.client(), ValidatorOptions{NegativeTTL: 5 * time.Second, Now: clk.Now})
	ctx := context.Background()

	for range 2 {
		_, err := v.Validate(ctx, "bogus")
		assert.ErrorIs(t, err, ErrInvalidToken)
	}
	assert.EqualValues(t, 1, f.validates.Load())

	f.down.Store(true)
	clk.Add(6 * time.Second)
	_, err := v.Validate(ctx, "bogus")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidToken, "an outage is no verdict on the token")
	f.down.Store(false)
	_, err = v.Validate(ctx, "bogus")
	assert.ErrorIs(t, err, ErrInvalidToken, "outages are not cached")
}

func TestValidatorBounded(t *testing.T) {
	f := newFakeKeystone(t)
	v := NewValidator(f.client(), ValidatorOptions{MaxEntries: 2})
	for _, tok := range []string{"a", "b", "c"} {
		f.add(tok, "project", time.Now().Add(time.Hour))
		_, err := v.Validate(context.Background(), tok)
		require.NoError(t, err)
	}
	assert.Equal(t, 2, v.Len())
	_, err := v.Validate(context.Background(), "a")
	require.NoError(t, err)
	assert.EqualValues(t, 4, f.validates.Load(), "the oldest entry was evicted")
}

func TestValidatorConcurrentSingleCall(t *testing.T) {
	f := newFakeKeystone(t)
	f.add("good", "project", time.Now().Add(time.Hour), "member")
	v := NewValidator(f.client(), ValidatorOptions{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Validate(context.Background(), "good")
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, f.validates.Load(), int32(2))
}

func TestValidatorServiceTokenRenewed(t *testing.T) {
	f := newFakeKeystone(t)
	f.add("good", "project", time.Now().Add(time.Hour))
	f.add("svc-new", "project", time.Now().Add(time.Hour), "service")
	f.service = "svc-new"
	src := &staticSource{tokens: []string{"svc-old", "svc-new"}}
	v := NewValidator(f.client(), ValidatorOptions{ServiceToken: src})
	_, err := v.Validate(context.Background(), "good")
	require.NoError(t, err)
	assert.Equal(t, 1, src.invalidated)
}

type staticSource struct {
	tokens      []string
	invalidated int
}

func (s *staticSource) Token(context.Context) (string, error) { return s.tokens[s.invalidated], nil }
func (s *staticSource) Invalidate()                           { s.invalidated++ }

func serveWith(t *testing.T, o MiddlewareOptions, h http.Header) (*httptest.ResponseRecorder, *Principal) {
	t.Helper()
	var got *Principal
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = PrincipalFrom(r.Context())
		w.WriteHeader(http.StatusOK)
	})
	req := httptest.NewRequest(http.MethodGet, "/v2.0/ports", nil)
	req.Header = h
	rec := httptest.NewRecorder()
	Middleware(o)(next).ServeHTTP(rec, req)
	return rec, got
}

func keystoneError(t *testing.T, rec *httptest.ResponseRecorder) (code int, title string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    int    `json:"code"`
			Title   string `json:"title"`
			Message string `json:"message"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	assert.NotEmpty(t, body.Error.Message)
	return body.Error.Code, body.Error.Title
}

func TestMiddleware(t *testing.T) {
	f := newFakeKeystone(t)
	clk := &clock{t: time.Now()}
	f.add("admin-project", "project", clk.Now().Add(time.Hour), "admin", "member")
	f.add("member-project", "project", clk.Now().Add(time.Hour), "member")
	f.add("admin-domain", "domain", clk.Now().Add(time.Hour), "admin")
	f.add("expiring", "project", clk.Now().Add(time.Minute), "admin")
	v := NewValidator(f.client(), ValidatorOptions{Now: clk.Now})
	o := MiddlewareOptions{Validator: v, StaticBearer: "s3cret", AnyRole: []string{"admin"},
		Scope: ProjectScope, AuthURI: "http://127.0.0.1:5000"}
	tokenHdr := func(tok string) http.Header { return http.Header{"X-Auth-Token": {tok}} }

	cases := []struct {
		name   string
		hdr    http.Header
		before func()
		status int
	}{
		{"unauthenticated", http.Header{}, nil, 401},
		{"unknown token", tokenHdr("bogus"), nil, 401},
		{"admin, project scope", tokenHdr("admin-project"), nil, 200},
		{"missing role", tokenHdr("member-project"), nil, 403},
		{"wrongly scoped", tokenHdr("admin-domain"), nil, 403},
		{"expiring still valid", tokenHdr("expiring"), nil, 200},
		{"expired", tokenHdr("expiring"), func() { clk.Add(2 * time.Minute) }, 401},
		{"static bearer", http.Header{"Authorization": {"Bearer s3cret"}}, nil, 200},
		{"wrong bearer", http.Header{"Authorization": {"Bearer s3cre"}}, nil, 401},
		{"basic auth", http.Header{"Authorization": {"Basic czNjcmV0"}}, nil, 401},
		{"keystone down", tokenHdr("never-seen"), func() { f.down.Store(true) }, 503},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.before != nil {
				c.before()
			}
			rec, p := serveWith(t, o, c.hdr)
			require.Equal(t, c.status, rec.Code, rec.Body.String())
			if c.status == 200 {
				require.NotNil(t, p)
				return
			}
			code, title := keystoneError(t, rec)
			assert.Equal(t, c.status, code)
			assert.Equal(t, http.StatusText(c.status), title)
			if c.status == 401 {
				assert.Equal(t, `Keystone uri="http://127.0.0.1:5000"`, rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestMiddlewarePrincipal(t *testing.T) {
	f := newFakeKeystone(t)
	f.add("tok", "project", time.Now().Add(time.Hour), "member")
	o := MiddlewareOptions{Validator: NewValidator(f.client(), ValidatorOptions{}), StaticBearer: "s"}

	_, p := serveWith(t, o, http.Header{"X-Auth-Token": {"tok"}})
	require.NotNil(t, p)
	assert.False(t, p.Static)
	assert.Equal(t, "u-tok", p.Token.UserID)
	assert.Equal(t, "p1", p.Token.ProjectID)

	_, p = serveWith(t, o, http.Header{"Authorization": {"bearer s"}})
	require.NotNil(t, p)
	assert.True(t, p.Static)
}

func TestMiddlewareWithoutStaticBearerRefusesBearer(t *testing.T) {
	rec, _ := serveWith(t, MiddlewareOptions{}, http.Header{"Authorization": {"Bearer "}})
	assert.Equal(t, 401, rec.Code)
	rec, _ = serveWith(t, MiddlewareOptions{}, http.Header{"X-Auth-Token": {"x"}})
	assert.Equal(t, 401, rec.Code, "no validator: keystone tokens are refused")
}

func TestNeutronErrorShape(t *testing.T) {
	rec, _ := serveWith(t, MiddlewareOptions{WriteError: WriteNeutronError, StaticBearer: "s", AnyRole: []string{"admin"}},
		http.Header{})
	assert.Equal(t, 401, rec.Code)
	rec2 := httptest.NewRecorder()
	WriteNeutronError(rec2, http.StatusForbidden, "no")
	assert.JSONEq(t, `{"NeutronError":{"type":"PolicyNotAuthorized","message":"no","detail":""}}`, rec2.Body.String())
	assert.Equal(t, "application/json", rec2.Header().Get("Content-Type"))
}

func TestScopeKindString(t *testing.T) {
	assert.Equal(t, "project", ProjectScope.String())
	assert.Equal(t, "ScopeKind(9)", ScopeKind(9).String())
}
