package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	osamqp "pvsc.dev/pvsc/openstack/amqp"
	"pvsc.dev/pvsc/openstack/keystone"
	"pvsc.dev/pvsc/openstack/snapshot"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/api"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/journal"
	"pvsc.dev/pvsc/tables"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "serve decisions, watchlists and N-cp over HTTP, following the cloud through its notifications",
		usage:   "--spec DIR [--snapshot FILE | --snapshot-live] [--state FILE] [--listen ADDR] [--auth keystone|bearer|mtls] [--amqp-url URL] ...",
		run:     runServe,
	})
}

// nodeFlags configure what serve and proxy share: the engine, its context, the event pipeline and its store.
type nodeFlags struct {
	spec, snapshot, state       string
	live, dryRun, timing        bool
	failOpen, properties, cloud string
	amqpURL, queue, exchanges   string
	queueExpires                time.Duration
	checkpoint                  int
	noEnrich                    bool
	gcPercent                   int
	os                          snapshot.Config
}

func (n *nodeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.spec, "spec", "", "spec directory (e.g. specs/openstack)")
	fs.StringVar(&n.snapshot, "snapshot", "", "start from this snapshot file (the JSON of the list APIs) when --state holds nothing yet")
	fs.BoolVar(&n.live, "snapshot-live", false, "start from a live snapshot of Keystone, Neutron and Nova, and rebuild from one when events were missed")
	fs.StringVar(&n.state, "state", "", "bbolt file keeping the base snapshot and the journal of applied events (empty: nothing survives a restart)")
	fs.BoolVar(&n.dryRun, "dry-run", false, "report verdicts, block nothing")
	fs.BoolVar(&n.timing, "engine-timing", false, "measure the engine's phases (pvsc_engine_phase_seconds_total); costs a few clock reads per operation")
	fs.StringVar(&n.failOpen, "fail-open", "", "properties (comma-separated) whose critical operations are allowed while the context is in doubt; the others fail closed")
	fs.StringVar(&n.properties, "property", "", "run only these properties (comma-separated)")
	fs.StringVar(&n.cloud, "cloud", "", "use only this cloud's operation blocks")
	fs.StringVar(&n.amqpURL, "amqp-url", "", "RabbitMQ URL to follow OpenStack's notifications from (empty: no events)")
	fs.StringVar(&n.queue, "queue", "pvsc", "our durable queue (one per pvsc process)")
	fs.StringVar(&n.exchanges, "exchanges", "keystone,neutron,nova", "exchanges to bind the queue to")
	fs.DurationVar(&n.queueExpires, "queue-expires", 0, "let RabbitMQ drop our queue after this long without a consumer (x-expires); pvsc then rebuilds on its return")
	fs.IntVar(&n.checkpoint, "checkpoint-events", 50000, "with --snapshot-live, rebase on a live snapshot after this many journal entries (0: never)")
	fs.BoolVar(&n.noEnrich, "no-enrich", false, "do not read back from Keystone the records its CADF notifications name")
	fs.IntVar(&n.gcPercent, "gc-percent", 400, "Go GC target (GOGC) unless GOGC is set: the context is long-lived, decisions allocate little, so collecting less often buys latency with memory")
	n.os.RegisterFlags(fs)
}

// node is a running engine with its pipeline.
type node struct {
	eng   *runtime.Engine
	pipe  *feed.Pipeline
	store *journal.Store
	reg   *prometheus.Registry
	log   *slog.Logger
	errs  chan error // fatal errors of background work
}

func (n *nodeFlags) start(ctx context.Context, stderr io.Writer) (*node, error) {
	if n.spec == "" {
		return nil, errors.New("--spec is required")
	}
	if n.live && n.snapshot != "" {
		return nil, errors.New("give --snapshot or --snapshot-live, not both")
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(n.gcPercent)
	}
	res, err := compileOne(n.spec, stderr)
	if err != nil {
		return nil, err
	}
	envs := res.Envs
	spec := preferGenerated(res.Spec)
	if spec != res.Spec {
		envs = nil // declared from the models, as for generated tables
	}
	spec, err = withFailOpen(spec, n.failOpen)
	if err != nil {
		return nil, err
	}
	opt := runtime.Options{DryRun: n.dryRun, Timing: n.timing, Cloud: n.cloud}
	if n.properties != "" {
		opt.Properties = strings.Split(n.properties, ",")
	}
	eng, err := runtime.New(spec, envs, opt)
	if err != nil {
		return nil, err
	}
	nd := &node{eng: eng, reg: prometheus.NewRegistry(), log: slog.New(slog.NewTextHandler(stderr, nil)), errs: make(chan error, 2)}
	cfg := feed.Config{Engine: eng, CheckpointEvery: n.checkpoint, Metrics: feed.NewMetrics(nd.reg), Log: nd.log}
	if err := n.cloudAccess(ctx, &cfg, nd.log); err != nil {
		return nil, err
	}
	if n.state != "" {
		if nd.store, err = journal.Open(n.state); err != nil {
			return nil, err
		}
		cfg.Store = nd.store
	}
	nd.pipe = feed.New(cfg)
	if err := n.initContext(ctx, nd); err != nil {
		nd.close()
		return nil, err
	}
	go nd.pipe.RunResync(ctx)
	if n.amqpURL != "" {
		nd.pipe.Follow()
		go func() { nd.errs <- nd.pipe.Consume(ctx, n.amqpConfig(nd.log)) }()
	}
	return nd, nil
}

// cloudAccess sets up the live snapshot and the Keystone read-back when credentials are given.
func (n *nodeFlags) cloudAccess(ctx context.Context, cfg *feed.Config, log *slog.Logger) error {
	if n.os.Password == "" || (!n.live && n.noEnrich) {
		if n.live {
			return errors.New("--snapshot-live needs OpenStack credentials (--os-password or OS_PASSWORD)")
		}
		return nil
	}
	opts, err := n.os.Options(ctx)
	if err != nil {
		if n.live {
			return err
		}
		log.Warn("no access to the cloud's APIs: no live snapshots, no Keystone read-back", "err", err)
		return nil
	}
	if n.live {
		cfg.Live = func(ctx context.Context) (string, []byte, error) {
			snap, err := snapshot.Take(ctx, opts)
			if err != nil {
				return "", nil, err
			}
			var b bytes.Buffer
			if err := snap.WriteJSON(&b); err != nil {
				return "", nil, err
			}
			return "live snapshot " + time.Now().UTC().Format(time.RFC3339), b.Bytes(), nil
		}
	}
	if !n.noEnrich && opts.Endpoints.Identity != "" {
		cfg.Enricher = &feed.Enricher{Identity: opts.Endpoints.Identity, Token: opts.Token}
	}
	return nil
}

// initContext restores the store, or loads the first context: the snapshot file, a live
// snapshot, or an empty cloud.
func (n *nodeFlags) initContext(ctx context.Context, nd *node) error {
	restored, err := nd.pipe.Restore()
	switch {
	case err != nil:
		return err
	case restored:
		if n.snapshot != "" {
			nd.log.Warn("--state already holds a context: --snapshot is ignored (remove the state file to start over)", "state", n.state)
		}
		return nil
	case n.snapshot != "":
		data, err := os.ReadFile(n.snapshot)
		if err != nil {
			return err
		}
		st, err := nd.pipe.Load(n.snapshot, data)
		if err != nil {
			return err
		}
		nd.log.Info("snapshot loaded", "file", n.snapshot, "records", st.Records, "watchlists", st.Watchlists)
		return nil
	case n.live:
		return nd.pipe.Resync(ctx, "initial")
	}
	nd.log.Warn("no snapshot given: starting from an empty cloud")
	_, err = nd.pipe.Load("empty", []byte("{}"))
	return err
}

func (n *nodeFlags) amqpConfig(log *slog.Logger) osamqp.Config {
	cfg := osamqp.Config{URL: n.amqpURL, Queue: n.queue, Logger: log}
	if n.exchanges != "" {
		cfg.Exchanges = strings.Split(n.exchanges, ",")
	}
	if n.queueExpires > 0 {
		cfg.QueueArgs = map[string]any{"x-expires": n.queueExpires.Milliseconds()}
	}
	return cfg
}

func (nd *node) close() {
	if nd.store != nil {
		_ = nd.store.Close()
	}
}

// withFailOpen copies the spec with the named properties failing open when in doubt.
func withFailOpen(spec *tables.Spec, names string) (*tables.Spec, error) {
	if names == "" {
		return spec, nil
	}
	out := *spec
	out.Properties = nil
	want := map[string]bool{}
	for _, n := range strings.Split(names, ",") {
		if spec.Property(n) == nil {
			return nil, fmt.Errorf("--fail-open: spec %s has no property %q", spec.Name, n)
		}
		want[n] = true
	}
	for _, p := range spec.Properties {
		q := *p
		if want[p.Name] {
			q.FailOpen = true
		}
		out.Properties = append(out.Properties, &q)
	}
	return &out, nil
}

// apiFlags configure the HTTP API's listener and authentication.
type apiFlags struct {
	listen, auth, bearerFile, roles, scope string
	tlsCert, tlsKey, clientCA              string
}

func (a *apiFlags) register(fs *flag.FlagSet, listenName, listenDefault string) {
	fs.StringVar(&a.listen, listenName, listenDefault, "address of the HTTP API")
	fs.StringVar(&a.auth, "auth", "keystone", "how API callers authenticate: keystone (X-Auth-Token, validated and cached), bearer (--bearer-token-file) or mtls (--client-ca)")
	fs.StringVar(&a.bearerFile, "bearer-token-file", "", "file holding the static bearer token (default $PVSC_BEARER_TOKEN); also accepted in keystone mode")
	fs.StringVar(&a.roles, "auth-role", "admin", "Keystone roles (comma-separated), one of which a token must carry (empty: any)")
	fs.StringVar(&a.scope, "auth-scope", "project", "scope a Keystone token must have: any, project, domain or system")
	fs.StringVar(&a.tlsCert, "tls-cert", "", "serve HTTPS with this certificate")
	fs.StringVar(&a.tlsKey, "tls-key", "", "and this key")
	fs.StringVar(&a.clientCA, "client-ca", "", "verify client certificates against this CA (mTLS)")
}

func (a *apiFlags) middleware(identityURL string) (func(http.Handler) http.Handler, error) {
	bearer := os.Getenv("PVSC_BEARER_TOKEN")
	if a.bearerFile != "" {
		b, err := os.ReadFile(a.bearerFile)
		if err != nil {
			return nil, err
		}
		bearer = strings.TrimSpace(string(b))
	}
	scopes := map[string]keystone.ScopeKind{"any": keystone.AnyScope, "project": keystone.ProjectScope,
		"domain": keystone.DomainScope, "system": keystone.SystemScope}
	scope, ok := scopes[a.scope]
	if !ok {
		return nil, fmt.Errorf("--auth-scope %q: want any, project, domain or system", a.scope)
	}
	cfg := api.AuthConfig{Mode: a.auth, Bearer: bearer, Scope: scope, AuthURI: identityURL}
	if a.roles != "" {
		cfg.Roles = strings.Split(a.roles, ",")
	}
	if a.auth == "keystone" {
		cfg.Validator = keystone.NewValidator(keystone.New(identityURL, nil), keystone.ValidatorOptions{})
	}
	if a.auth == "mtls" && a.clientCA == "" {
		return nil, errors.New("--auth mtls needs --client-ca")
	}
	return cfg.Middleware()
}

func (a *apiFlags) tlsConfig() (*tls.Config, error) {
	if a.tlsCert == "" {
		if a.clientCA != "" {
			return nil, errors.New("--client-ca needs --tls-cert and --tls-key")
		}
		return nil, nil
	}
	return api.TLSConfig(a.tlsCert, a.tlsKey, a.clientCA)
}

// apiServer builds the API's HTTP server.
func (a *apiFlags) apiServer(nd *node, identityURL string) (*http.Server, error) {
	mw, err := a.middleware(identityURL)
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Config{Engine: nd.eng, Pipeline: nd.pipe, Auth: mw, Registry: nd.reg, Log: nd.log})
	if err != nil {
		return nil, err
	}
	tc, err := a.tlsConfig()
	if err != nil {
		return nil, err
	}
	return &http.Server{Addr: a.listen, Handler: srv.Handler(), TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second}, nil
}

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["serve"], stderr)
	var n nodeFlags
	var a apiFlags
	n.register(fs)
	a.register(fs, "listen", "127.0.0.1:9797")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nd, err := n.start(ctx, stderr)
	if err != nil {
		return err
	}
	defer nd.close()
	hs, err := a.apiServer(nd, n.os.AuthURL)
	if err != nil {
		return err
	}
	return runServers(ctx, nd, stderr, hs)
}

// runServers serves until a signal or a fatal error; SIGHUP asks for a resync.
func runServers(ctx context.Context, nd *node, stderr io.Writer, servers ...*http.Server) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	errs := make(chan error, len(servers))
	for _, hs := range servers {
		ln, err := net.Listen("tcp", hs.Addr)
		if err != nil {
			return err
		}
		scheme := "http"
		if hs.TLSConfig != nil {
			ln, scheme = tls.NewListener(ln, hs.TLSConfig), "https"
		}
		fmt.Fprintf(stderr, "pvsc: listening on %s://%s\n", scheme, ln.Addr())
		go func() { errs <- hs.Serve(ln) }()
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, hs := range servers {
			_ = hs.Shutdown(sctx)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			nd.pipe.RequestResync("SIGHUP")
		case err := <-errs:
			return err
		case err := <-nd.errs:
			if err != nil {
				return err
			}
		}
	}
}
