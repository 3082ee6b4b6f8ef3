// Package server runs a pvsc node: the engine, its context (a snapshot, the live cloud or the journal), the notification feed, and the HTTP servers of pvsc serve and pvsc proxy.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	osamqp "pvsc.dev/pvsc/openstack/amqp"
	"pvsc.dev/pvsc/openstack/snapshot"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/decisionlog"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/findings"
	"pvsc.dev/pvsc/server/idmef"
	"pvsc.dev/pvsc/server/journal"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Config is what a node runs: the spec, where its first context comes from, the feed, and the
// servers in front of it.
type Config struct {
	Spec    *tables.Spec
	Envs    []*celenv.Env // nil for generated tables
	Runtime runtime.Options

	Snapshot string // start from this snapshot file when the state holds nothing yet
	Live     bool   // start from (and rebuild from) a live snapshot of the cloud
	State    string // bbolt file of the base snapshot and journal; "" keeps nothing
	// AMQP follows the cloud's notifications when its URL is set.
	AMQP            osamqp.Config
	CheckpointEvery int  // with Live, rebase after this many journal entries
	NoEnrich        bool // do not read back the records Keystone's CADF notifications name
	GCPercent       int  // GOGC unless the environment sets it; 0 leaves it alone
	OpenStack       snapshot.Config

	API   *APIConfig   // the decision API; nil for none
	Proxy *ProxyConfig // the enforcing proxy; nil for pvsc serve

	// AcceptViolations starts enforcing on a context that already breaks invariants (the
	// initial audit's violations become known findings); without it the node refuses.
	AcceptViolations bool
	// AuditEvery re-audits the context this often when it changed since the last audit
	// (continuous audit: facts that bypassed the proxy, rebuilds); 0 never.
	AuditEvery time.Duration
	// DecisionLog is where critical decisions and findings are written as JSON lines.
	DecisionLog decisionlog.Config
	// Shadow decides each of the proxy's held calls again on the same context and returns
	// how many property verdicts it compared and where it disagrees (the SAT engine:
	// --shadow-sat); disagreements are counted and logged.
	Shadow func(e *runtime.Engine, op *runtime.Op, d *runtime.Decision) (compared int, mismatches []string)
	// Findings receives each finding that opens or is resolved as an OCSF Compliance Finding.
	Findings findings.SinkConfig

	Log io.Writer // default os.Stderr
	// Attach starts work beside the node once it follows the cloud (the MuSIC alert
	// exchange); an error stops the node from starting.
	Attach []func(ctx context.Context, n *Node) error
	// Gate, when set, makes the judge beside the properties over the node's engine (MuSIC's
	// admissible-path keeper): the decision API asks it, the pipeline keeps it (feed.Gate).
	Gate func(e *runtime.Engine) (feed.Gate, error)
	// DebugListen serves Go's profiler (net/http/pprof) there when set: loopback only.
	DebugListen string
}

// Node is a running engine with its feed and store.
type Node struct {
	cfg   Config
	eng   *runtime.Engine
	pipe  *feed.Pipeline
	store *journal.Store
	reg   *prometheus.Registry
	log   *slog.Logger
	out   io.Writer
	errs  chan error   // fatal errors of background work
	found findings.Set // the open findings: the initial audit's, then the continuous audit's
	dlog  *decisionlog.Log
	sink  *findings.Sink
	gate  feed.Gate
}

// Findings are the known findings, optionally of one property and scope.
func (n *Node) Findings(property, scope string) []findings.Finding {
	return n.found.List(property, scope)
}

// Engine is the node's verifier.
func (n *Node) Engine() *runtime.Engine { return n.eng }

// Registry is where the node's metrics are (GET /metrics), for parts beside it to add theirs.
func (n *Node) Registry() *prometheus.Registry { return n.reg }

// New builds the engine, opens the store, loads the first context and starts following the cloud.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.GCPercent > 0 && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(cfg.GCPercent)
	}
	cfg.Runtime.Audit = true
	eng, err := runtime.New(cfg.Spec, cfg.Envs, cfg.Runtime)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, eng: eng, reg: prometheus.NewRegistry(), out: cfg.Log, errs: make(chan error, 2)}
	if n.out == nil {
		n.out = os.Stderr
	}
	n.log = slog.New(slog.NewTextHandler(n.out, nil))
	if cfg.Gate != nil {
		if n.gate, err = cfg.Gate(eng); err != nil {
			return nil, err
		}
	}
	if n.dlog, err = decisionlog.New(cfg.DecisionLog, eng, n.reg); err != nil {
		return nil, err
	}
	if n.sink, err = cfg.Findings.Start(ctx, n.log); err != nil {
		return nil, err
	}
	if err := n.openFeed(ctx); err != nil {
		n.Close()
		return nil, err
	}
	audited := n.eng.Changes() // the initial audit sees at least this context
	if err := n.initialAudit(); err != nil {
		n.Close()
		return nil, err
	}
	n.follow(ctx)
	go n.auditContinuously(ctx, audited)
	for _, attach := range cfg.Attach {
		if err := attach(ctx, n); err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

// Apply applies one event as the notification feed does (journaled before it returns,
// deduplicated by msgID): for parts beside the node that turn what they receive into events.
func (n *Node) Apply(msgID string, data []byte) (feed.Outcome, error) {
	return n.pipe.Apply(msgID, data)
}

func (c *Config) check() error {
	switch {
	case c.Spec == nil:
		return errors.New("--spec is required")
	case c.Live && c.Snapshot != "":
		return errors.New("give --snapshot or --snapshot-live, not both")
	case c.Proxy != nil && len(c.Proxy.Upstreams) == 0:
		return errors.New("at least one --upstream is required")
	}
	for _, p := range c.Runtime.FailOpen {
		if c.Spec.Property(p) == nil {
			return fmt.Errorf("--fail-open: spec %s has no property %q", c.Spec.Name, p)
		}
	}
	return nil
}

func (n *Node) openFeed(ctx context.Context) error {
	fc := feed.Config{Engine: n.eng, CheckpointEvery: n.cfg.CheckpointEvery, Metrics: feed.NewMetrics(n.reg), Log: n.log, Gate: n.gate}
	if err := n.cloudAccess(ctx, &fc); err != nil {
		return err
	}
	if n.cfg.State != "" {
		var err error
		if n.store, err = journal.Open(n.cfg.State); err != nil {
			return err
		}
		fc.Store = n.store
	}
	n.pipe = feed.New(fc)
	return n.initContext(ctx)
}

func (n *Node) follow(ctx context.Context) {
	go n.pipe.RunResync(ctx)
	if n.cfg.AMQP.URL == "" {
		return
	}
	n.pipe.Follow()
	ac := n.cfg.AMQP
	ac.Logger = n.log
	go func() { n.errs <- n.pipe.Consume(ctx, ac) }()
}

// cloudAccess sets up the live snapshot and the Keystone read-back when credentials are given.
func (n *Node) cloudAccess(ctx context.Context, fc *feed.Config) error {
	live := n.cfg.Live
	if n.cfg.OpenStack.Password == "" || (!live && n.cfg.NoEnrich) {
		if live {
			return errors.New("--snapshot-live needs OpenStack credentials (--os-password or OS_PASSWORD)")
		}
		return nil
	}
	opts, err := n.cfg.OpenStack.Options(ctx)
	if err != nil {
		if live {
			return err
		}
		n.log.Warn("no access to the cloud's APIs: no live snapshots, no Keystone read-back", "err", err)
		return nil
	}
	if live {
		fc.Live = liveSnapshot(opts)
	}
	if !n.cfg.NoEnrich && opts.Endpoints.Identity != "" {
		fc.Enricher = &feed.Enricher{Identity: opts.Endpoints.Identity, Token: opts.Token, Members: n.groupMembers}
	}
	return nil
}

func liveSnapshot(opts snapshot.Options) func(context.Context) (string, []byte, error) {
	return func(ctx context.Context) (string, []byte, error) { return snapshot.Live(ctx, opts) }
}

// initContext restores the store, or loads the first context: the snapshot file, a live
// snapshot, or an empty cloud.
func (n *Node) initContext(ctx context.Context) error {
	restored, err := n.pipe.Restore()
	switch {
	case err != nil:
		return err
	case restored:
		if n.cfg.Snapshot != "" {
			n.log.Warn("--state already holds a context: --snapshot is ignored (remove the state file to start over)", "state", n.cfg.State)
		}
		return nil
	case n.cfg.Snapshot != "":
		return n.loadFile(n.cfg.Snapshot)
	case n.cfg.Live:
		return n.pipe.Resync(ctx, "initial")
	}
	n.log.Warn("no snapshot given: starting from an empty cloud")
	_, err = n.pipe.Load("empty", []byte("{}"))
	return err
}

// initialAudit checks the first context against every invariant before enforcing on it
// (the paper's "initial auditing"): a violating context is refused unless accepted.
func (n *Node) initialAudit() error {
	vs, st, err := n.eng.Audit()
	if err != nil {
		return fmt.Errorf("initial audit: %w", err)
	}
	if len(vs) == 0 {
		n.log.Info("initial audit: clean", "properties", st.Properties, "records", st.Records, "took", st.Elapsed)
		return nil
	}
	if !n.cfg.AcceptViolations {
		var b strings.Builder
		for i, v := range vs[:min(len(vs), 10)] {
			fmt.Fprintf(&b, "\n  %d. %s", i+1, v.Reason)
		}
		if len(vs) > 10 {
			fmt.Fprintf(&b, "\n  ... and %d more (pvsc audit lists them all)", len(vs)-10)
		}
		return fmt.Errorf("initial audit: the context already violates %d invariant instance(s); fix them in the cloud, "+
			"or start with --accept-violations to enforce anyway and keep them as known findings:%s", len(vs), b.String())
	}
	opened, _ := n.found.Update(vs, time.Now().UTC())
	for _, f := range opened {
		n.log.Warn("known finding", "property", f.Property, "scope", f.Scope, "reason", f.Reason)
		n.dlog.Finding(f, "known")
		n.export(f, findings.OCSFCreate)
	}
	n.log.Warn("initial audit: violations accepted as known findings", "findings", len(vs), "took", st.Elapsed)
	return nil
}

// auditContinuously re-audits whenever the context changed: a fact that breaks an
// invariant (a change that bypassed the proxy, a rebuild after missed events) opens a
// finding, a later fact that repairs it resolves it. The audit holds the read lock, so
// decisions go on and applies wait for it.
func (n *Node) auditContinuously(ctx context.Context, last int64) {
	if n.cfg.AuditEvery <= 0 {
		return
	}
	t := time.NewTicker(n.cfg.AuditEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if c := n.eng.Changes(); c != last {
			last = c
			n.reaudit()
		}
	}
}

func (n *Node) reaudit() {
	vs, st, err := n.eng.Audit()
	if err != nil {
		n.log.Error("audit", "err", err)
		return
	}
	opened, resolved := n.found.Update(vs, time.Now().UTC())
	for _, f := range opened {
		n.log.Warn("finding", "property", f.Property, "scope", f.Scope, "reason", f.Reason)
		n.dlog.Finding(f, "opened")
		n.export(f, findings.OCSFCreate)
	}
	for _, f := range resolved {
		n.log.Info("finding resolved", "property", f.Property, "scope", f.Scope, "first_seen", f.FirstSeen, "reason", f.Reason)
		n.dlog.Finding(f, "resolved")
		n.export(f, findings.OCSFClose)
	}
	if len(opened)+len(resolved) > 0 {
		n.log.Info("audit", "open", len(vs), "opened", len(opened), "resolved", len(resolved), "took", st.Elapsed)
	}
}

// export hands a finding to the SOC sink as OCSF.
func (n *Node) export(f findings.Finding, activity int) {
	if !n.sink.Enabled() {
		return
	}
	var doc []byte
	var err error
	switch n.sink.Format {
	case "idmef":
		a := f.IDMEF(n.cfg.Spec.Property(f.Property).Doc)
		if activity == findings.OCSFClose {
			a.Verdict, a.Reason = "log", "resolved: "+a.Reason
		}
		doc, err = idmef.Document(idmef.Analyzer{ID: "pvsc-serve", Name: "pvsc", Version: "serve"}, []idmef.Alert{a})
	default:
		doc, err = json.Marshal(f.OCSF(activity, n.cfg.Spec.Name, "serve", time.Now().UTC()))
	}
	if err == nil {
		err = n.sink.Put(doc)
	}
	if err != nil {
		n.log.Error("findings sink", "err", err)
	}
}

func (n *Node) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	st, err := n.pipe.Load(path, data)
	if err != nil {
		return err
	}
	n.log.Info("snapshot loaded", "file", path, "records", st.Records, "watchlists", st.Watchlists)
	return nil
}

// Close writes out the decision log and releases the store.
func (n *Node) Close() {
	_ = n.dlog.Close()
	if n.store != nil {
		_ = n.store.Close()
	}
}

// groupMembers is the users the context holds as members of a group (for the read-back of
// Keystone's group.updated, which does not say who joined or left).
func (n *Node) groupMembers(group string) ([]string, error) {
	out, err := n.eng.Related("membership", "group", group, "user")
	if err != nil {
		return nil, nil // a spec without memberships: nothing to diff against
	}
	return out, nil
}
