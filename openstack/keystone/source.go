package keystone

import (
	"context"
	"sync"
	"time"
)

// refreshMargin renews a token this long before it expires so that a request started with it
// does not fail half-way.
const refreshMargin = 2 * time.Minute

// TokenSource hands out a token obtained by password, authenticating again when it nears expiry
// or after Invalidate. Safe for concurrent use.
type TokenSource struct {
	client *Client
	auth   PasswordAuth
	now    func() time.Time

	mu    sync.Mutex
	token string
	info  *TokenInfo
}

// NewTokenSource returns a source that authenticates with a on first use.
func (c *Client) NewTokenSource(a PasswordAuth) *TokenSource {
	return &TokenSource{client: c, auth: a, now: time.Now}
}

// Token returns a current token.
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	tok, _, err := s.Current(ctx)
	return tok, err
}

// Current returns a current token and what Keystone said about it (its catalog included).
func (s *TokenSource) Current(ctx context.Context) (string, *TokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.info != nil && s.now().Add(refreshMargin).Before(s.info.ExpiresAt) {
		return s.token, s.info, nil
	}
	tok, info, err := s.client.Authenticate(ctx, s.auth)
	if err != nil {
		return "", nil, err
	}
	s.token, s.info = tok, info
	return tok, info, nil
}

// Invalidate drops the current token, e.g. after a service answered 401 to it.
func (s *TokenSource) Invalidate() {
	s.mu.Lock()
	s.token, s.info = "", nil
	s.mu.Unlock()
}
