package keystone

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role is one role a token carries.
type Role struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Endpoint is one URL of a catalog service.
type Endpoint struct {
	ID        string `json:"id"`
	Interface string `json:"interface"`
	RegionID  string `json:"region_id"`
	URL       string `json:"url"`
}

// Service is one catalog entry.
type Service struct {
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Name      string     `json:"name"`
	Endpoints []Endpoint `json:"endpoints"`
}

// Catalog is the service catalog that comes with a token.
type Catalog []Service

// TokenInfo is what Keystone says about a token. Exactly one of ProjectID, DomainID and System is
// set for a scoped token; none for an unscoped one.
type TokenInfo struct {
	UserID          string
	UserName        string
	UserDomainID    string
	ProjectID       string
	ProjectName     string
	ProjectDomainID string
	DomainID        string // for a domain-scoped token
	DomainName      string
	System          bool
	Roles           []Role
	ExpiresAt       time.Time
	IssuedAt        time.Time
	Catalog         Catalog
}

// HasRole reports whether the token carries the role, by name (case-insensitive, as Keystone's policy does).
func (t *TokenInfo) HasRole(name string) bool {
	for _, r := range t.Roles {
		if strings.EqualFold(r.Name, name) {
			return true
		}
	}
	return false
}

// RoleNames lists the token's role names.
func (t *TokenInfo) RoleNames() []string {
	out := make([]string, len(t.Roles))
	for i, r := range t.Roles {
		out[i] = r.Name
	}
	return out
}

// Expired reports whether the token has expired at now.
func (t *TokenInfo) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }

// EndpointURL finds the URL of a service type for an interface ("public", "internal", "admin")
// and region ("" for any).
func (c Catalog) EndpointURL(serviceType, iface, region string) (string, bool) {
	for _, s := range c {
		if s.Type != serviceType {
			continue
		}
		for _, e := range s.Endpoints {
			if e.Interface == iface && (region == "" || e.RegionID == region) {
				return e.URL, true
			}
		}
	}
	return "", false
}

type idName struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Domain *idName `json:"domain"`
}

type tokenBody struct {
	Token *struct {
		User      idName          `json:"user"`
		Project   *idName         `json:"project"`
		Domain    *idName         `json:"domain"`
		System    map[string]bool `json:"system"`
		Roles     []Role          `json:"roles"`
		ExpiresAt string          `json:"expires_at"`
		IssuedAt  string          `json:"issued_at"`
		Catalog   Catalog         `json:"catalog"`
	} `json:"token"`
}

// parseToken reads the {"token": {...}} document of POST and GET /v3/auth/tokens.
func parseToken(data []byte) (*TokenInfo, error) {
	var b tokenBody
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("decode token: %w", err)
	}
	if b.Token == nil || b.Token.User.ID == "" {
		return nil, errors.New("decode token: no token.user.id")
	}
	t := b.Token
	exp, err := time.Parse(time.RFC3339Nano, t.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("decode token: expires_at %q: %w", t.ExpiresAt, err)
	}
	info := &TokenInfo{
		UserID: t.User.ID, UserName: t.User.Name,
		Roles: t.Roles, ExpiresAt: exp, Catalog: t.Catalog,
		System: t.System["all"],
	}
	info.IssuedAt, _ = time.Parse(time.RFC3339Nano, t.IssuedAt) // informational only
	if t.User.Domain != nil {
		info.UserDomainID = t.User.Domain.ID
	}
	if p := t.Project; p != nil {
		info.ProjectID, info.ProjectName = p.ID, p.Name
		if p.Domain != nil {
			info.ProjectDomainID = p.Domain.ID
		}
	}
	if d := t.Domain; d != nil {
		info.DomainID, info.DomainName = d.ID, d.Name
	}
	return info, nil
}
