package keystone

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// TokenValidator validates a Keystone token; *Validator is one.
type TokenValidator interface {
	Validate(ctx context.Context, token string) (*TokenInfo, error)
}

// ScopeKind is the scope a token must have.
type ScopeKind int

const (
	AnyScope     ScopeKind = iota // unscoped tokens pass too
	ProjectScope                  // a project-scoped token
	DomainScope                   // a domain-scoped token
	SystemScope                   // a system-scoped token
)

func (s ScopeKind) String() string {
	names := [...]string{"any", "project", "domain", "system"}
	if s < 0 || int(s) >= len(names) {
		return fmt.Sprintf("ScopeKind(%d)", int(s))
	}
	return names[s]
}

// ErrorWriter writes a refusal in some API's error shape.
type ErrorWriter func(w http.ResponseWriter, status int, message string)

// MiddlewareOptions configures Middleware.
type MiddlewareOptions struct {
	// Validator checks X-Auth-Token; nil refuses every Keystone token.
	Validator TokenValidator
	// StaticBearer, if set, is accepted as "Authorization: Bearer <StaticBearer>" (an operator
	// credential: it bypasses the role and scope checks).
	StaticBearer string
	// AnyRole, if non-empty, requires the token to carry at least one of these roles.
	AnyRole []string
	// Scope is the scope the token must have.
	Scope ScopeKind
	// AuthURI goes into "WWW-Authenticate: Keystone uri=..." on 401, as keystonemiddleware does.
	AuthURI string
	// WriteError writes refusals; default WriteKeystoneError.
	WriteError ErrorWriter
}

// Principal is who the middleware let through.
type Principal struct {
	Static bool       // authenticated with the static bearer token
	Token  *TokenInfo // the Keystone token's details; nil when Static
}

type principalKey struct{}

// PrincipalFrom returns the principal the middleware stored in the request context.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok
}

// Middleware refuses requests without a valid token (401), with a token lacking the required role
// or scope (403), and answers 503 when Keystone cannot be asked; others reach next with a Principal.
func Middleware(o MiddlewareOptions) func(http.Handler) http.Handler {
	if o.WriteError == nil {
		o.WriteError = WriteKeystoneError
	}
	var static [32]byte
	if o.StaticBearer != "" {
		static = sha256.Sum256([]byte(o.StaticBearer))
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, status, msg := o.authenticate(r, static)
			if status != 0 {
				o.refuse(w, status, msg)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
		})
	}
}

// authenticate returns the principal, or the refusal's status and message.
func (o *MiddlewareOptions) authenticate(r *http.Request, static [32]byte) (*Principal, int, string) {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		return o.keystone(r.Context(), tok)
	}
	bearer, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok || o.StaticBearer == "" {
		return nil, http.StatusUnauthorized, "The request you have made requires authentication."
	}
	// compare hashes so that neither the content nor the length leaks through timing
	got := sha256.Sum256([]byte(bearer))
	if subtle.ConstantTimeCompare(got[:], static[:]) != 1 {
		return nil, http.StatusUnauthorized, "The bearer token is not valid."
	}
	return &Principal{Static: true}, 0, ""
}

func (o *MiddlewareOptions) keystone(ctx context.Context, tok string) (*Principal, int, string) {
	if o.Validator == nil {
		return nil, http.StatusUnauthorized, "Keystone tokens are not accepted here."
	}
	info, err := o.Validator.Validate(ctx, tok)
	switch {
	case errors.Is(err, ErrInvalidToken):
		return nil, http.StatusUnauthorized, "The request you have made requires authentication."
	case err != nil:
		return nil, http.StatusServiceUnavailable, "The token could not be validated: the identity service is unavailable."
	}
	if msg := o.authorize(info); msg != "" {
		return nil, http.StatusForbidden, msg
	}
	return &Principal{Token: info}, 0, ""
}

// authorize returns why the token may not pass, or "".
func (o *MiddlewareOptions) authorize(t *TokenInfo) string {
	scoped := map[ScopeKind]bool{AnyScope: true, ProjectScope: t.ProjectID != "",
		DomainScope: t.DomainID != "", SystemScope: t.System}
	if !scoped[o.Scope] {
		return fmt.Sprintf("A %s-scoped token is required.", o.Scope)
	}
	if len(o.AnyRole) == 0 {
		return ""
	}
	for _, role := range o.AnyRole {
		if t.HasRole(role) {
			return ""
		}
	}
	return fmt.Sprintf("One of the roles %s is required.", strings.Join(o.AnyRole, ", "))
}

func (o *MiddlewareOptions) refuse(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusUnauthorized && o.AuthURI != "" {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Keystone uri=%q", o.AuthURI))
	}
	o.WriteError(w, status, msg)
}

func bearerToken(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}

// WriteKeystoneError writes Keystone's shape: {"error": {"code": 401, "title": "Unauthorized", "message": "..."}}.
func WriteKeystoneError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "title": http.StatusText(status), "message": message}})
}

// WriteNeutronError writes Neutron's shape, which its clients show:
// {"NeutronError": {"type": "PolicyNotAuthorized", "message": "...", "detail": ""}}.
func WriteNeutronError(w http.ResponseWriter, status int, message string) {
	typ := map[int]string{http.StatusUnauthorized: "NotAuthenticated", http.StatusForbidden: "PolicyNotAuthorized",
		http.StatusServiceUnavailable: "ServiceUnavailable"}[status]
	if typ == "" {
		typ = strings.ReplaceAll(http.StatusText(status), " ", "")
	}
	writeJSON(w, status, map[string]any{"NeutronError": map[string]string{
		"type": typ, "message": message, "detail": ""}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do about it
}
