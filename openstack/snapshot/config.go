package snapshot

import (
	"context"
	"errors"
	"flag"
	"os"

	"pvsc.dev/pvsc/openstack/keystone"
)

// Config is what a command needs to take a snapshot: credentials, and endpoints that override
// the token's catalog.
type Config struct {
	AuthURL       string
	Username      string
	Password      string
	UserDomain    string
	Project       string
	ProjectDomain string
	Interface     string
	Region        string
	Endpoints     Endpoints // each non-empty one overrides the catalog
	NoCompute     bool
	PageSize      int
}

// RegisterFlags adds the config's flags to fs, defaulting to the usual OS_* variables.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.AuthURL, "os-auth-url", env("OS_AUTH_URL", "http://127.0.0.1:5000/v3"), "Keystone URL")
	fs.StringVar(&c.Username, "os-username", env("OS_USERNAME", "admin"), "user name")
	fs.StringVar(&c.Password, "os-password", env("OS_PASSWORD", ""), "password (default $OS_PASSWORD)")
	fs.StringVar(&c.UserDomain, "os-user-domain", env("OS_USER_DOMAIN_NAME", "Default"), "user's domain name")
	fs.StringVar(&c.Project, "os-project", env("OS_PROJECT_NAME", "admin"), "project to scope the token to")
	fs.StringVar(&c.ProjectDomain, "os-project-domain", env("OS_PROJECT_DOMAIN_NAME", "Default"), "project's domain name")
	fs.StringVar(&c.Interface, "os-interface", env("OS_INTERFACE", "public"), "catalog interface")
	fs.StringVar(&c.Region, "os-region", env("OS_REGION_NAME", ""), "catalog region (empty: any)")
	fs.StringVar(&c.Endpoints.Identity, "identity-url", "", "Keystone endpoint with /v3 (default: the catalog's)")
	fs.StringVar(&c.Endpoints.Network, "network-url", "", "Neutron endpoint without /v2.0 (default: the catalog's)")
	fs.StringVar(&c.Endpoints.Compute, "compute-url", "", "Nova endpoint with /v2.1 (default: the catalog's)")
	fs.BoolVar(&c.NoCompute, "no-compute", false, "skip Nova even if the catalog has it")
	fs.IntVar(&c.PageSize, "page-size", 500, "page size asked of Neutron and Nova")
}

// Options authenticates and returns Options whose endpoints come from the catalog unless overridden.
func (c *Config) Options(ctx context.Context) (Options, error) {
	if c.Password == "" {
		return Options{}, errors.New("snapshot: no password (set -os-password or OS_PASSWORD)")
	}
	kc := keystone.New(c.AuthURL, nil)
	src := kc.NewTokenSource(keystone.PasswordAuth{
		User:     keystone.Name{Name: c.Username, DomainName: c.UserDomain},
		Password: c.Password,
		Scope:    keystone.Scope{Project: &keystone.Name{Name: c.Project, DomainName: c.ProjectDomain}},
	})
	_, info, err := src.Current(ctx)
	if err != nil {
		return Options{}, err
	}
	e := EndpointsFromCatalog(info.Catalog, c.Interface, c.Region)
	if e.Identity == "" {
		e.Identity = kc.URL()
	}
	override(&e.Identity, c.Endpoints.Identity)
	override(&e.Network, c.Endpoints.Network)
	override(&e.Compute, c.Endpoints.Compute)
	if c.NoCompute {
		e.Compute = ""
	}
	return Options{Endpoints: e, Token: src, PageSize: c.PageSize}, nil
}

func override(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}
