// Package keystone is a small Keystone v3 client: password auth, token validation, a cached validator and an HTTP middleware.
package keystone

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// ErrInvalidToken means Keystone does not accept the token: unknown, expired, revoked or malformed.
var ErrInvalidToken = errors.New("keystone: invalid token")

// maxBody bounds what is read from Keystone so a broken server cannot exhaust memory.
const maxBody = 8 << 20

// Client calls one Keystone v3 endpoint.
type Client struct {
	base string
	http *http.Client
}

// New returns a client for the identity endpoint, e.g. "http://127.0.0.1:5000/v3"; a missing "/v3" is added.
// httpClient nil means a client with a 30 s timeout.
func New(identityURL string, httpClient *http.Client) *Client {
	base := strings.TrimRight(identityURL, "/")
	if !strings.HasSuffix(base, "/v3") {
		base += "/v3"
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: base, http: httpClient}
}

// URL is the identity endpoint including "/v3".
func (c *Client) URL() string { return c.base }

// Name identifies a user, project or domain by id, or by name within a domain.
type Name struct {
	ID         string
	Name       string
	DomainID   string // domain of the named object; ignored for domains
	DomainName string
}

// Scope says what a token is scoped to; the zero value asks for an unscoped token.
type Scope struct {
	Project *Name
	Domain  *Name // only ID or Name is used
	System  bool
}

// PasswordAuth is the password method's request.
type PasswordAuth struct {
	User     Name
	Password string
	Scope    Scope
}

// HTTPError is a non-2xx answer from an OpenStack API.
type HTTPError struct {
	Method, URL string
	Status      int
	Body        string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.Status, strings.TrimSpace(e.Body))
}

// Authenticate exchanges a password for a token and returns the token with what Keystone says about it.
func (c *Client) Authenticate(ctx context.Context, a PasswordAuth) (string, *TokenInfo, error) {
	body, err := json.Marshal(authRequest(a))
	if err != nil {
		return "", nil, fmt.Errorf("keystone: encode auth request: %w", err)
	}
	resp, data, err := c.do(ctx, http.MethodPost, "/auth/tokens", bytes.NewReader(body), nil)
	if err != nil {
		return "", nil, err
	}
	tok := resp.Header.Get("X-Subject-Token")
	if tok == "" {
		return "", nil, fmt.Errorf("keystone: POST %s/auth/tokens: no X-Subject-Token in the answer", c.base)
	}
	info, err := parseToken(data)
	if err != nil {
		return "", nil, fmt.Errorf("keystone: POST %s/auth/tokens: %w", c.base, err)
	}
	return tok, info, nil
}

// Validate asks Keystone about subject using authToken (a service token, or subject itself:
// Keystone's default policy lets a token validate itself). A subject Keystone rejects yields
// ErrInvalidToken; a rejected service token yields ErrServiceTokenRejected.
func (c *Client) Validate(ctx context.Context, authToken, subject string) (*TokenInfo, error) {
	if subject == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidToken)
	}
	h := http.Header{"X-Auth-Token": {authToken}, "X-Subject-Token": {subject}}
	_, data, err := c.do(ctx, http.MethodGet, "/auth/tokens", nil, h)
	var he *HTTPError
	switch {
	case errors.As(err, &he) && he.Status == http.StatusNotFound:
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	case errors.As(err, &he) && he.Status == http.StatusUnauthorized && authToken == subject:
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	case errors.As(err, &he) && he.Status == http.StatusUnauthorized:
		return nil, fmt.Errorf("%w: %v", ErrServiceTokenRejected, err)
	}
	if err != nil {
		return nil, err
	}
	info, err := parseToken(data)
	if err != nil {
		return nil, fmt.Errorf("keystone: GET %s/auth/tokens: %w", c.base, err)
	}
	return info, nil
}

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, h http.Header) (*http.Response, []byte, error) {
	url := c.base + path
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, nil, fmt.Errorf("keystone: %s %s: %w", method, url, err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("keystone: %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, fmt.Errorf("keystone: %s %s: read body: %w", method, url, err)
	}
	if resp.StatusCode >= 300 {
		return resp, data, &HTTPError{Method: method, URL: url, Status: resp.StatusCode, Body: truncate(string(data), 512)}
	}
	return resp, data, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// authRequest builds Keystone's nested {"auth": {"identity": ..., "scope": ...}} document.
func authRequest(a PasswordAuth) map[string]any {
	auth := map[string]any{
		"identity": map[string]any{
			"methods":  []string{"password"},
			"password": map[string]any{"user": withPassword(nameJSON(a.User), a.Password)},
		},
	}
	switch {
	case a.Scope.Project != nil:
		auth["scope"] = map[string]any{"project": nameJSON(*a.Scope.Project)}
	case a.Scope.Domain != nil:
		auth["scope"] = map[string]any{"domain": domainJSON(a.Scope.Domain.ID, a.Scope.Domain.Name)}
	case a.Scope.System:
		auth["scope"] = map[string]any{"system": map[string]bool{"all": true}}
	}
	return map[string]any{"auth": auth}
}

func withPassword(m map[string]any, pw string) map[string]any {
	m["password"] = pw
	return m
}

func nameJSON(n Name) map[string]any {
	if n.ID != "" {
		return map[string]any{"id": n.ID}
	}
	return map[string]any{"name": n.Name, "domain": domainJSON(n.DomainID, n.DomainName)}
}

func domainJSON(id, name string) map[string]string {
	if id != "" {
		return map[string]string{"id": id}
	}
	return map[string]string{"name": name}
}
