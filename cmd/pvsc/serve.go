package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"strings"
	"time"

	"pvsc.dev/pvsc/music/exchange"
	"pvsc.dev/pvsc/music/paths"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/specs"
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

// nodeFlags are the flags serve and proxy share: the engine, its context, the feed and its store.
type nodeFlags struct {
	cfg                                   server.Config
	spec, failOpen, properties, exchanges string
	queueExpires                          time.Duration
}

func (n *nodeFlags) register(fs *flag.FlagSet) {
	c := &n.cfg
	fs.StringVar(&n.spec, "spec", "", "spec directory (e.g. specs/openstack)")
	fs.StringVar(&c.Snapshot, "snapshot", "", "start from this snapshot file (the JSON of the list APIs, or a pvsc checkpoint) when --state holds nothing yet")
	fs.BoolVar(&c.Live, "snapshot-live", false, "start from a live snapshot of Keystone, Neutron and Nova, and rebuild from one when events were missed")
	fs.StringVar(&c.State, "state", "", "bbolt file keeping the base snapshot and the journal of applied events (empty: nothing survives a restart)")
	fs.BoolVar(&c.Runtime.DryRun, "dry-run", false, "report verdicts, block nothing")
	fs.BoolVar(&c.Runtime.Timing, "engine-timing", false, "measure the engine's phases (pvsc_engine_phase_seconds_total); costs a few clock reads per operation")
	fs.StringVar(&n.failOpen, "fail-open", "", "properties (comma-separated) whose critical operations are allowed while the context is in doubt; the others fail closed")
	fs.StringVar(&n.properties, "property", "", "run only these properties (comma-separated)")
	registerCloudBlock(fs, &c.Runtime.Cloud)
	fs.StringVar(&c.AMQP.URL, "amqp-url", "", "RabbitMQ URL to follow OpenStack's notifications from (empty: no events)")
	fs.StringVar(&c.AMQP.Queue, "queue", "pvsc", "our durable queue (one per pvsc process)")
	fs.StringVar(&n.exchanges, "exchanges", "keystone,neutron,nova", "exchanges to bind the queue to")
	fs.DurationVar(&n.queueExpires, "queue-expires", 0, "let RabbitMQ drop our queue after this long without a consumer (x-expires); pvsc then rebuilds on its return")
	fs.IntVar(&c.CheckpointEvery, "checkpoint-events", 50000, "with --snapshot-live, rebase on a live snapshot after this many journal entries (0: never)")
	fs.BoolVar(&c.NoEnrich, "no-enrich", false, "do not read back from Keystone the records its CADF notifications name")
	fs.IntVar(&c.GCPercent, "gc-percent", 400, "Go GC target (GOGC) unless GOGC is set: the context is long-lived, decisions allocate little, so collecting less often buys latency with memory")
	fs.BoolVar(&c.AcceptViolations, "accept-violations", false, "enforce even when the initial audit finds the context already violating invariants; they become known findings (GET /v1/findings)")
	fs.DurationVar(&c.AuditEvery, "audit-every", 15*time.Second, "re-audit every invariant this often when the context changed (findings open and resolve; GET /v1/findings); 0: only at start-up")
	fs.StringVar(&c.DecisionLog.Path, "decision-log", "", "write every critical decision and every finding as a JSON line to this file (- for stdout), rotated by size")
	fs.IntVar(&c.DecisionLog.MaxMB, "decision-log-max-mb", 100, "rotate the decision log at this size")
	fs.IntVar(&c.DecisionLog.Keep, "decision-log-keep", 5, "rotated decision logs kept")
	fs.BoolVar(&c.DecisionLog.Passes, "decision-log-passes", false, "log passes too (they are always counted)")
	fs.StringVar(&c.Findings.Format, "findings-format", "ocsf", "findings as ocsf (OCSF Compliance Finding JSON) or idmef (an IDMEF-Message, RFC 4765)")
	fs.StringVar(&c.Findings.File, "findings-file", "", "append each finding that opens or is resolved to this file (one document a line)")
	fs.StringVar(&c.Findings.URL, "findings-url", "", "POST each finding as OCSF JSON to this endpoint (spooled to --findings-spool until it answers 2xx)")
	fs.StringVar(&c.Findings.Spool, "findings-spool", "", "directory keeping the findings --findings-url has not taken yet")
	fs.IntVar(&c.Findings.Retries, "findings-retries", 5, "attempts per finding before the sender rests (it starts again later: nothing is dropped)")
	fs.DurationVar(&c.Findings.Backoff, "findings-backoff", 500*time.Millisecond, "first pause between attempts, doubled each time")
	fs.StringVar(&c.DebugListen, "debug-listen", "", "serve Go's profiler (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060")
	c.OpenStack.RegisterFlags(fs)
}

// config compiles the spec (its generated tables when it is a shipped one) and completes the node's configuration.
func (n *nodeFlags) config(stderr io.Writer) (server.Config, error) {
	c := n.cfg
	c.Log = stderr
	if n.spec != "" {
		res, err := compileOne(n.spec, stderr)
		if err != nil {
			return c, err
		}
		c.Spec, c.Envs = specs.PreferGenerated(res.Spec), res.Envs
		if c.Spec != res.Spec {
			c.Envs = nil // declared from the models, as for generated tables
		}
	}
	c.Runtime.FailOpen, c.Runtime.Properties = list(n.failOpen), list(n.properties)
	c.AMQP.Exchanges = list(n.exchanges)
	if n.queueExpires > 0 {
		c.AMQP.QueueArgs = map[string]any{"x-expires": n.queueExpires.Milliseconds()}
	}
	return c, nil
}

// apiFlags configure the HTTP API's listener and authentication.
type apiFlags struct {
	cfg   server.APIConfig
	roles string
}

func (a *apiFlags) register(fs *flag.FlagSet, listenName, listenDefault string) {
	c := &a.cfg
	fs.StringVar(&c.Listen, listenName, listenDefault, "address of the HTTP API")
	fs.StringVar(&c.Auth, "auth", "keystone", "how API callers authenticate: keystone (X-Auth-Token, validated and cached), bearer (--bearer-token-file) or mtls (--client-ca)")
	fs.StringVar(&c.BearerFile, "bearer-token-file", "", "file holding the static bearer token (default $PVSC_BEARER_TOKEN); also accepted in keystone mode")
	fs.StringVar(&a.roles, "auth-role", "admin", "Keystone roles (comma-separated), one of which a token must carry (empty: any)")
	fs.StringVar(&c.Scope, "auth-scope", "project", "scope a Keystone token must have: any, project, domain or system")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "serve HTTPS with this certificate")
	fs.StringVar(&c.TLSKey, "tls-key", "", "and this key")
	fs.StringVar(&c.ClientCA, "client-ca", "", "verify client certificates against this CA (mTLS)")
}

func (a *apiFlags) config() *server.APIConfig {
	c := a.cfg
	c.Roles = list(a.roles)
	return &c
}

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["serve"], stderr)
	var n nodeFlags
	var a apiFlags
	var x exchange.Flags
	n.register(fs)
	a.register(fs, "listen", "127.0.0.1:9797")
	x.Register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := n.config(stderr)
	if err != nil {
		return err
	}
	cfg.API = a.config()
	cfg.Gate = admissibleGate(cfg.Spec, stderr)
	if x.Enabled() {
		cfg.Attach = append(cfg.Attach, func(ctx context.Context, n *server.Node) error { return x.Start(ctx, n, stderr) })
	}
	return server.Serve(context.Background(), cfg)
}

// admissibleGate keeps MuSIC's admissible workflow paths beside the properties when the spec
// has workflow steps: a step that leaves every admissible path is refused before it runs.
func admissibleGate(spec *tables.Spec, logw io.Writer) func(*runtime.Engine) (feed.Gate, error) {
	if spec == nil {
		return nil // no spec: the node refuses to start and says why
	}
	for i := range spec.Models {
		if spec.Models[i].EventIndex("hand_to_service") >= 0 {
			log := slog.New(slog.NewTextHandler(logw, nil)).With("part", "paths")
			return func(e *runtime.Engine) (feed.Gate, error) { return paths.NewGuard(e, log) }
		}
	}
	return nil
}

// list splits a comma-separated flag value; empty gives nil.
func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
