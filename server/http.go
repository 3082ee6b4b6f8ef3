package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"pvsc.dev/pvsc/runtime"
	"strings"
	"syscall"
	"time"

	"pvsc.dev/pvsc/openstack/keystone"
	"pvsc.dev/pvsc/server/api"
	"pvsc.dev/pvsc/server/proxy"
)

// APIConfig is the decision API's listener and how its callers authenticate.
type APIConfig struct {
	Listen     string
	Auth       string   // keystone, bearer or mtls
	BearerFile string   // the static bearer token; default $PVSC_BEARER_TOKEN
	Roles      []string // Keystone roles one of which a token must carry; empty: any
	Scope      string   // any, project, domain or system
	TLSCert    string
	TLSKey     string
	ClientCA   string
}

// ProxyConfig is the enforcing proxy: one listener per upstream service.
type ProxyConfig struct {
	Upstreams  map[string]string // service name → URL
	Listens    map[string]string // service name → address; default DefaultListen
	NoApply    bool              // rely on notifications alone
	NoValidate bool              // do not ask Keystone who a token belongs to
}

// DefaultListen is where each service's proxy listens unless told otherwise.
var DefaultListen = map[string]string{"neutron": "127.0.0.1:19696", "keystone": "127.0.0.1:15000", "nova": "127.0.0.1:18774"}

// Serve runs a node until ctx ends, a signal stops it or a server fails.
func Serve(ctx context.Context, cfg Config) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	servers, err := n.servers()
	if err != nil {
		return err
	}
	return n.run(ctx, servers)
}

func (n *Node) servers() ([]*http.Server, error) {
	var out []*http.Server
	if n.cfg.Proxy != nil {
		ps, err := n.proxyServers(n.cfg.Proxy)
		if err != nil {
			return nil, err
		}
		out = ps
	}
	if n.cfg.API != nil && n.cfg.API.Listen != "" {
		hs, err := n.apiServer(n.cfg.API)
		if err != nil {
			return nil, err
		}
		out = append(out, hs)
	}
	if n.cfg.DebugListen != "" {
		hs, err := debugServer(n.cfg.DebugListen)
		if err != nil {
			return nil, err
		}
		out = append(out, hs)
	}
	return out, nil
}

// debugServer serves Go's profiler on a loopback address: it answers whoever asks, so
// it never listens beyond the machine.
func debugServer(addr string) (*http.Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-listen %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--debug-listen %q: the profiler listens on loopback only", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}, nil
}

func (n *Node) proxyServers(pc *ProxyConfig) ([]*http.Server, error) {
	cfg := proxy.Config{Engine: n.eng, NoApply: pc.NoApply, Revisions: n.pipe.Revisions(), Registry: n.reg, Log: n.log, DecisionLog: n.dlog,
		Shadow: n.shadow()}
	if !pc.NoValidate {
		cfg.Validator = keystone.NewValidator(keystone.New(n.cfg.OpenStack.AuthURL, nil), keystone.ValidatorOptions{})
	}
	p, err := proxy.New(cfg)
	if err != nil {
		return nil, err
	}
	var out []*http.Server
	for name, raw := range pc.Upstreams {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("--upstream %s=%s: want an absolute URL", name, raw)
		}
		addr := pc.Listens[name]
		if addr == "" {
			addr = DefaultListen[name]
		}
		if addr == "" {
			return nil, fmt.Errorf("--upstream %s: give --listen %s=ADDR", name, name)
		}
		out = append(out, &http.Server{Addr: addr, Handler: p.Handler(proxy.Upstream{Name: name, URL: u}), ReadHeaderTimeout: 10 * time.Second})
	}
	return out, nil
}

// shadow wraps Config.Shadow with its counters and the log of disagreements.
func (n *Node) shadow() func(op *runtime.Op, d *runtime.Decision) {
	if n.cfg.Shadow == nil {
		return nil
	}
	checks := prometheus.NewCounter(prometheus.CounterOpts{Name: "pvsc_shadow_checks_total",
		Help: "Property verdicts of held calls decided again by the shadow engine (--shadow-sat) and compared."})
	bad := prometheus.NewCounter(prometheus.CounterOpts{Name: "pvsc_shadow_mismatches_total",
		Help: "Property verdicts on which the shadow engine disagreed with the proactive one."})
	n.reg.MustRegister(checks, bad)
	return func(op *runtime.Op, d *runtime.Decision) {
		compared, mismatches := n.cfg.Shadow(n.eng, op, d)
		checks.Add(float64(compared))
		bad.Add(float64(len(mismatches)))
		for _, m := range mismatches {
			n.log.Error("shadow engine disagrees", "what", m)
		}
	}
}

// apiServer builds the decision API's HTTP server.
func (n *Node) apiServer(a *APIConfig) (*http.Server, error) {
	mw, err := a.middleware(n.cfg.OpenStack.AuthURL)
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Config{Engine: n.eng, Pipeline: n.pipe, Auth: mw, Registry: n.reg, Log: n.log, Findings: n.Findings, DecisionLog: n.dlog, Gate: n.gate})
	if err != nil {
		return nil, err
	}
	tc, err := a.tlsConfig()
	if err != nil {
		return nil, err
	}
	return &http.Server{Addr: a.Listen, Handler: srv.Handler(), TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second}, nil
}

var scopes = map[string]keystone.ScopeKind{"any": keystone.AnyScope, "project": keystone.ProjectScope,
	"domain": keystone.DomainScope, "system": keystone.SystemScope}

func (a *APIConfig) middleware(identityURL string) (func(http.Handler) http.Handler, error) {
	bearer := os.Getenv("PVSC_BEARER_TOKEN")
	if a.BearerFile != "" {
		b, err := os.ReadFile(a.BearerFile)
		if err != nil {
			return nil, err
		}
		bearer = strings.TrimSpace(string(b))
	}
	scope, ok := scopes[a.Scope]
	if !ok {
		return nil, fmt.Errorf("--auth-scope %q: want any, project, domain or system", a.Scope)
	}
	cfg := api.AuthConfig{Mode: a.Auth, Bearer: bearer, Scope: scope, AuthURI: identityURL, Roles: a.Roles}
	if a.Auth == "keystone" {
		cfg.Validator = keystone.NewValidator(keystone.New(identityURL, nil), keystone.ValidatorOptions{})
	}
	if a.Auth == "mtls" && a.ClientCA == "" {
		return nil, errors.New("--auth mtls needs --client-ca")
	}
	return cfg.Middleware()
}

func (a *APIConfig) tlsConfig() (*tls.Config, error) {
	if a.TLSCert == "" {
		if a.ClientCA != "" {
			return nil, errors.New("--client-ca needs --tls-cert and --tls-key")
		}
		return nil, nil
	}
	return api.TLSConfig(a.TLSCert, a.TLSKey, a.ClientCA)
}

// run serves until a signal or a fatal error; SIGHUP asks for a resync.
func (n *Node) run(ctx context.Context, servers []*http.Server) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	errs, err := n.listen(servers)
	if err != nil {
		return err
	}
	defer shutdown(servers)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			n.pipe.RequestResync("SIGHUP")
		case err := <-errs:
			return err
		case err := <-n.errs:
			if err != nil {
				return err
			}
		}
	}
}

func (n *Node) listen(servers []*http.Server) (chan error, error) {
	errs := make(chan error, len(servers))
	for _, hs := range servers {
		ln, err := net.Listen("tcp", hs.Addr)
		if err != nil {
			return nil, err
		}
		scheme := "http"
		if hs.TLSConfig != nil {
			ln, scheme = tls.NewListener(ln, hs.TLSConfig), "https"
		}
		fmt.Fprintf(n.out, "pvsc: listening on %s://%s\n", scheme, ln.Addr())
		go func() { errs <- hs.Serve(ln) }()
	}
	return errs, nil
}

func shutdown(servers []*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, hs := range servers {
		_ = hs.Shutdown(ctx)
	}
}
