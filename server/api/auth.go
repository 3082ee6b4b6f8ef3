package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"

	"pvsc.dev/pvsc/openstack/keystone"
)

// AuthConfig says how API callers authenticate.
type AuthConfig struct {
	// Mode is keystone (X-Auth-Token validated against Keystone, cached), bearer (a configured
	// token as "Authorization: Bearer"), or mtls (a client certificate signed by ClientCA).
	Mode string
	// Validator validates Keystone tokens (keystone mode).
	Validator keystone.TokenValidator
	// Bearer is the static token; in keystone mode it is accepted too when set.
	Bearer string
	// Roles: a Keystone token must carry one of them; Scope: the scope it must have.
	Roles []string
	Scope keystone.ScopeKind
	// AuthURI goes into WWW-Authenticate on 401.
	AuthURI string
}

// Middleware builds the authentication middleware of the mode.
func (a AuthConfig) Middleware() (func(http.Handler) http.Handler, error) {
	switch a.Mode {
	case "keystone":
		if a.Validator == nil {
			return nil, errors.New("serve: keystone authentication needs a Keystone URL")
		}
	case "bearer":
		if a.Bearer == "" {
			return nil, errors.New("serve: bearer authentication needs a token (--bearer-token-file or PVSC_BEARER_TOKEN)")
		}
		a.Validator = nil
	case "mtls":
		return requireClientCert, nil
	default:
		return nil, fmt.Errorf("serve: --auth %q: want keystone, bearer or mtls", a.Mode)
	}
	return keystone.Middleware(keystone.MiddlewareOptions{Validator: a.Validator, StaticBearer: a.Bearer,
		AnyRole: a.Roles, Scope: a.Scope, AuthURI: a.AuthURI}), nil
}

// requireClientCert lets through requests whose TLS client certificate verified against the CA.
func requireClientCert(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			writeError(w, http.StatusUnauthorized, "A client certificate signed by the configured CA is required.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TLSConfig loads a server certificate and, when clientCA is set, verifies client
// certificates against it. Clients without one still reach /healthz and /readyz; the mtls
// mode refuses them everywhere else.
func TLSConfig(certFile, keyFile, clientCA string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("serve: TLS key pair: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCA == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(clientCA)
	if err != nil {
		return nil, fmt.Errorf("serve: client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("serve: client CA %s: no PEM certificate in it", clientCA)
	}
	cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	return cfg, nil
}
