// Package api is pvsc's HTTP API: decisions, read-only views of N-cp and watchlists per scope, Prometheus metrics and health.
package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pvsc.dev/pvsc/openstack/keystone"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/server/decisionlog"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/findings"
	"pvsc.dev/pvsc/server/ui"
)

// maxBody bounds a request body: a decision is one operation, a snapshot may be large.
const (
	maxDecideBody   = 1 << 20
	maxSnapshotBody = 1 << 30
)

// Config configures a Server.
type Config struct {
	Engine *runtime.Engine
	// Pipeline, when set, is the event pipeline: readiness follows it, and resync and status use it.
	Pipeline *feed.Pipeline
	// Auth wraps every endpoint except /healthz and /readyz; required.
	Auth func(http.Handler) http.Handler
	// Registry collects the server's metrics and serves /metrics; nil makes one.
	Registry *prometheus.Registry
	Log      *slog.Logger
	// DecisionLog counts every decision (pvsc_decisions_total) and logs the critical ones;
	// nil makes one that only counts.
	DecisionLog *decisionlog.Log
	// Findings lists the known findings (of one property and scope when given); nil: none.
	Findings func(property, scope string) []findings.Finding
	// Gate, when set, judges what the properties allow (MuSIC's admissible paths): an
	// operation it refuses is denied (reported only, in dry-run).
	Gate feed.Gate
}

// Server serves the API.
type Server struct {
	cfg Config
	eng *runtime.Engine
	in  *intercept.Interceptor
	m   *metrics
	log *slog.Logger
	// decoders keep each request's decoding off the allocator: a Decoder is one request's.
	decoders sync.Pool
}

// New makes a server and registers its metrics.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.Auth == nil {
		return nil, errors.New("serve: an engine and an authentication middleware are required")
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{cfg: cfg, eng: cfg.Engine, in: intercept.New(cfg.Engine), log: cfg.Log}
	if s.cfg.DecisionLog == nil {
		var err error
		if s.cfg.DecisionLog, err = decisionlog.New(decisionlog.Config{}, cfg.Engine, cfg.Registry); err != nil {
			return nil, err
		}
	}
	s.m = newMetrics(cfg.Registry, cfg.Engine, s.in)
	s.registerFindings()
	s.decoders.New = func() any { return s.in.NewDecoder() }
	return s, nil
}

// Interceptor is the server's decoder (its counts are in /metrics).
func (s *Server) Interceptor() *intercept.Interceptor { return s.in }

// Handler routes the API.
func (s *Server) Handler() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("POST /v1/decide", s.decide)
	api.HandleFunc("GET /v1/properties", s.properties)
	api.HandleFunc("GET /v1/properties/{property}/scopes", s.propertyScopes)
	api.HandleFunc("GET /v1/properties/{property}/scopes/{scope}", s.propertyScope)
	api.HandleFunc("GET /v1/scopes/{scope}", s.scope)
	api.HandleFunc("GET /v1/records/{entity}", s.records)
	api.HandleFunc("GET /v1/records/{entity}/{id}", s.record)
	api.HandleFunc("GET /v1/status", s.status)
	api.HandleFunc("GET /v1/findings", s.findings)
	api.HandleFunc("POST /v1/resync", s.resync)
	api.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
	dash := ui.Handler(ui.Config{Engine: s.eng, Pipeline: s.cfg.Pipeline, DecisionLog: s.cfg.DecisionLog, Findings: s.cfg.Findings, Auth: s.cfg.Auth})
	mux.Handle("/ui", dash)
	mux.Handle("/ui/", dash)
	mux.Handle("/", s.cfg.Auth(api))
	return mux
}

// decideResponse is POST /v1/decide's answer.
type decideResponse struct {
	Verdict   string           `json:"verdict"`
	Blocked   bool             `json:"blocked"`
	Unknown   bool             `json:"unknown,omitempty"`
	Refused   []refusal        `json:"refused,omitempty"`
	Decisions []runtime.Record `json:"decisions"`
}

// refusal is the gate's refusal of an operation the properties allowed: the decision it
// overrides (its index in decisions), the kind and what the operation leaves.
type refusal struct {
	Decision int    `json:"decision"`
	Kind     string `json:"kind"`
	Message  string `json:"message"`
	blocks   bool   // not in dry-run
}

// decide answers POST /v1/decide: the operation is decided, never applied.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	t0 := time.Now()
	body, err := readBody(r, maxDecideBody)
	if err != nil {
		s.m.requests.bad.Inc()
		writeError(w, http.StatusBadRequest, "request body: "+err.Error())
		return
	}
	dec := s.decoders.Get().(*intercept.Decoder)
	defer s.decoders.Put(dec)
	var ds [2]runtime.Decision
	var decided []runtime.Decision
	var ops []runtime.Op
	var t1 time.Time
	for attempt := 0; ; attempt++ {
		line, err := dec.Decode(body)
		if err != nil {
			s.m.requests.bad.Inc()
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		t1 = time.Now()
		decided = ds[:0]
		stale := false
		for i := range line.Ops {
			d := s.eng.Decide(&line.Ops[i])
			stale = stale || errors.Is(d.Err, runtime.ErrStale)
			decided = append(decided, d)
		}
		if !stale || attempt == 2 {
			ops = line.Ops
			break
		}
	}
	refused := s.gate(ops, decided)
	t2 := time.Now()
	buf := bufs.Get().(*[]byte)
	b := appendDecided((*buf)[:0], decided, refused)
	meta := requestMeta(r, "api")
	for i := range decided {
		if f, ok := refusalOf(refused, i); ok {
			s.cfg.DecisionLog.Refusal(&decided[i], f.Kind, f.Message, meta)
			continue
		}
		s.cfg.DecisionLog.Decision(&decided[i], meta)
	}
	h := w.Header()
	h["Content-Type"] = contentJSON
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	*buf = b
	bufs.Put(buf)
	s.m.observe(t0, t1, t2, time.Now())
}

// gate asks the gate about each operation the properties allowed; nil without a gate or a refusal.
func (s *Server) gate(ops []runtime.Op, decided []runtime.Decision) []refusal {
	g := s.cfg.Gate
	if g == nil {
		return nil
	}
	var out []refusal
	for i := range decided {
		if decided[i].Blocked || decided[i].Err != nil || decided[i].Verdict() == runtime.Deny {
			continue // the properties' denial (or error) stands, with their reasons
		}
		if kind, msg, ok := g.Refuse(&ops[i]); ok {
			out = append(out, refusal{Decision: i, Kind: kind, Message: msg, blocks: !s.eng.Options().DryRun})
		}
	}
	return out
}

func refusalOf(refused []refusal, i int) (refusal, bool) {
	for _, f := range refused {
		if f.Decision == i {
			return f, true
		}
	}
	return refusal{}, false
}

var (
	bufs        = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
	contentJSON = []string{"application/json"}
)

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if p := s.cfg.Pipeline; p != nil {
		st := p.Status()
		switch {
		case !st.Loaded:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": "no context loaded yet"})
			return
		case st.Following && !st.Consuming:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": "not consuming the message bus yet"})
			return
		case st.InDoubt:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "reason": "the context is in doubt (missed events): critical operations get their fail mode until it is rebuilt"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ready": true})
}

func readBody(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errors.New("too large")
	}
	return b, nil
}

// writeError answers in Keystone's error shape, as the authentication refusals do.
func writeError(w http.ResponseWriter, status int, msg string) {
	keystone.WriteKeystoneError(w, status, msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// requestMeta is what the decision log records of a request besides the decision.
func requestMeta(r *http.Request, source string) decisionlog.Meta {
	m := decisionlog.Meta{Source: source, RequestID: r.Header.Get("X-Request-Id")}
	if m.RequestID == "" {
		m.RequestID = r.Header.Get("X-Openstack-Request-Id")
	}
	if p, ok := keystone.PrincipalFrom(r.Context()); ok && p.Token != nil {
		m.User, m.Project = p.Token.UserID, p.Token.ProjectID
	}
	return m
}
