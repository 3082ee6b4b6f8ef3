// Package proxy is pvsc's enforcing reverse proxy in front of Neutron, Nova and Keystone: critical calls wait for a decision, the others pass untouched.
package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"pvsc.dev/pvsc/openstack/keystone"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/server/decisionlog"
	"pvsc.dev/pvsc/server/revision"
	"pvsc.dev/pvsc/tables"
)

// maxBody bounds what the proxy reads of a mapped request or of the response it applies.
const maxBody = 16 << 20

// Upstream is one service behind the proxy.
type Upstream struct {
	Name string // neutron, keystone or nova: picks the error shape
	URL  *url.URL
}

// Config configures a Proxy.
type Config struct {
	Engine *runtime.Engine
	// Validator tells who a token belongs to, for rows that read the caller's project
	// ("context.project_id"); nil decides with an empty context.
	Validator keystone.TokenValidator
	// NoApply leaves the context to the notifications: successful calls are not applied from
	// the upstream's response.
	NoApply bool
	// Revisions drops applying a response older than what was applied for the same
	// resource; share it with the event pipeline. nil keeps a guard of its own.
	Revisions *revision.Guard
	// Transport reaches the upstreams; nil is http.DefaultTransport.
	Transport http.RoundTripper
	// DecisionLog counts the held calls' decisions in pvsc_decisions_total (source proxy)
	// and logs them with the answer's status; nil: only pvsc_proxy_decisions_total.
	DecisionLog *decisionlog.Log
	// Shadow, when set, sees every held call's operations and decisions (a second opinion
	// on the same context, e.g. the SAT engine's); it runs before the call is forwarded.
	Shadow   func(op *runtime.Op, d *runtime.Decision)
	Registry prometheus.Registerer
	Log      *slog.Logger
}

// Proxy holds critical operations for a decision and forwards everything else.
type Proxy struct {
	cfg      Config
	eng      *runtime.Engine
	in       *intercept.Interceptor
	routes   map[string][][]string // method -> path templates of the spec's API rows
	critical [][]bool              // model -> event -> critical for some property
	stripes  [64]sync.Mutex
	m        *metrics
	log      *slog.Logger
}

// New prepares a proxy for an engine's spec.
func New(cfg Config) (*Proxy, error) {
	if cfg.Engine == nil {
		return nil, errors.New("proxy: an engine is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Revisions == nil {
		cfg.Revisions = revision.NewGuard()
	}
	p := &Proxy{cfg: cfg, eng: cfg.Engine, in: intercept.New(cfg.Engine), log: cfg.Log, routes: map[string][][]string{}}
	spec := cfg.Engine.Spec()
	for _, c := range spec.Clouds {
		for _, r := range c.Rows {
			if r.Source != tables.API {
				continue
			}
			method, path, _ := strings.Cut(r.Key, " ")
			p.routes[method] = append(p.routes[method], segments(path))
		}
	}
	for _, m := range spec.Models {
		p.critical = append(p.critical, make([]bool, len(m.Events)))
	}
	for _, prop := range spec.Properties {
		for ev, k := range prop.EventKinds {
			if k == tables.CE {
				p.critical[prop.Model][ev] = true
			}
		}
	}
	p.m = newMetrics(cfg.Registry, spec)
	return p, nil
}

func segments(p string) []string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

// mayMap reports whether some API row could map the call (the runtime's rule: a template
// matches the end of the path, placeholders match any segment). The others pass at once.
func (p *Proxy) mayMap(method, path string) bool {
	tmpls := p.routes[method]
	if len(tmpls) == 0 {
		return false
	}
	segs := segments(path)
	for _, t := range tmpls {
		if matches(t, segs) {
			return true
		}
	}
	return false
}

func matches(tmpl, segs []string) bool {
	if len(segs) < len(tmpl) {
		return false
	}
	segs = segs[len(segs)-len(tmpl):]
	for i, t := range tmpl {
		if !(len(t) > 2 && t[0] == '{' && t[len(t)-1] == '}') && t != segs[i] {
			return false
		}
	}
	return true
}

// Handler proxies one upstream.
func (p *Proxy) Handler(up Upstream) http.Handler {
	h := &handler{p: p, up: up, refuse: errorWriter(up.Name)}
	h.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(up.URL)
			pr.Out.Host = pr.In.Host // the service builds its links from the address the client used
			pr.SetXForwarded()
		},
		Transport:      p.cfg.Transport,
		ModifyResponse: h.modifyResponse,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.m.requests.WithLabelValues(up.Name, "upstream_error").Inc()
			h.refuse(w, http.StatusBadGateway, fmt.Sprintf("pvsc proxy: %s is unreachable: %v", up.Name, err))
		},
		ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
	return h
}

type handler struct {
	p      *Proxy
	up     Upstream
	rp     *httputil.ReverseProxy
	refuse keystone.ErrorWriter
}

// exchange is what a mapped call carries to the response hook.
type exchange struct {
	req      intercept.Request
	overhead time.Duration
}

type exchangeKey struct{}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !h.p.mayMap(r.Method, r.URL.Path) {
		if h.unmapped(w, r) {
			return
		}
		h.p.m.requests.WithLabelValues(h.up.Name, "passed").Inc()
		h.p.m.overhead.WithLabelValues("passed").Observe(time.Since(start).Seconds())
		h.rp.ServeHTTP(w, r)
		return
	}
	h.mapped(w, r, start)
}

// mapped handles a call some row may map: decode it, decide it if it is critical, forward it
// unless it is denied, and apply it from the response if it succeeded.
func (h *handler) mapped(w http.ResponseWriter, r *http.Request, start time.Time) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		h.fail(w, http.StatusRequestEntityTooLarge, "malformed", "pvsc proxy: request body unreadable or over 16 MiB")
		return
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	tok, status, why := h.p.identity(r)
	x := &exchange{req: intercept.Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, Token: tok}}
	mp, err := h.p.in.RequestMapping(x.req)
	if err != nil {
		// a call that maps to a model event but cannot be read cannot be checked: fail closed
		h.fail(w, http.StatusBadRequest, "malformed", "pvsc proxy: "+err.Error())
		return
	}
	ops := mp.Ops
	if !mp.Known && h.unmapped(w, r) {
		return
	}
	if len(ops) == 0 || !h.p.isCritical(ops) {
		h.forward(w, r, x, start, "forwarded")
		return
	}
	if status != 0 {
		h.fail(w, status, "refused", why)
		return
	}
	unlock := h.p.lock(ops)
	defer unlock()
	// decided under the scopes' locks: no other critical call of these scopes moves between
	// this decision and the application of the result
	ds, err := h.p.decide(x.req)
	if err != nil {
		h.fail(w, http.StatusBadRequest, "malformed", "pvsc proxy: "+err.Error())
		return
	}
	meta := decisionlog.Meta{Source: "proxy", RequestID: r.Header.Get("X-Openstack-Request-Id"), User: tok.UserID, Project: tok.ProjectID}
	for i := range ds {
		h.p.m.count(&ds[i])
		if err := ds[i].Err; err != nil && !errors.Is(err, runtime.ErrStale) {
			// the model refuses the operation as malformed: what it would do cannot be checked
			meta.Status = http.StatusBadRequest
			h.p.logDecisions(ds, meta)
			h.fail(w, http.StatusBadRequest, "malformed", "pvsc proxy: "+err.Error())
			return
		}
		if ds[i].Blocked {
			h.p.m.overhead.WithLabelValues("denied").Observe(time.Since(start).Seconds())
			meta.Status = http.StatusForbidden
			h.p.logDecisions(ds, meta)
			h.fail(w, http.StatusForbidden, "denied", denial(&ds[i]))
			return
		}
	}
	sw := &statusWriter{ResponseWriter: w}
	h.forward(sw, r, x, start, "allowed")
	meta.Status = sw.status
	h.p.logDecisions(ds, meta)
}

// logDecisions hands a held call's decisions to the decision log with the answer's status.
func (p *Proxy) logDecisions(ds []runtime.Decision, m decisionlog.Meta) {
	for i := range ds {
		p.cfg.DecisionLog.Decision(&ds[i], m)
	}
}

// statusWriter remembers the status the upstream's answer was written with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// unmapped decides a state-changing call on a modelled resource that no row maps: the fail
// modes of the properties guarding the resource decide it (counted by pattern). It reports
// whether it answered the call.
func (h *handler) unmapped(w http.ResponseWriter, r *http.Request) bool {
	g, ok := h.p.eng.Guard(r.Method, r.URL.Path)
	if !ok || len(g.Properties) == 0 {
		return false
	}
	if len(g.FailClosed) == 0 {
		h.p.m.unmapped.WithLabelValues(g.Pattern, "forwarded").Inc()
		return false
	}
	h.p.m.unmapped.WithLabelValues(g.Pattern, "refused").Inc()
	h.p.log.Warn("proxy: a call no row maps, on a guarded resource: refused", "pattern", g.Pattern, "properties", g.FailClosed)
	h.fail(w, http.StatusForbidden, "unmapped", fmt.Sprintf("pvsc proxy: %s is not understood (no operation row maps it) on a resource %s guard%s; failing closed",
		g.Pattern, strings.Join(g.FailClosed, ", "), map[bool]string{true: "s", false: ""}[len(g.FailClosed) == 1]))
	return true
}

func (h *handler) forward(w http.ResponseWriter, r *http.Request, x *exchange, start time.Time, outcome string) {
	h.p.m.requests.WithLabelValues(h.up.Name, outcome).Inc()
	x.overhead = time.Since(start)
	h.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
	h.p.m.overhead.WithLabelValues(outcome).Observe(x.overhead.Seconds())
}

func (h *handler) fail(w http.ResponseWriter, status int, outcome, msg string) {
	h.p.m.requests.WithLabelValues(h.up.Name, outcome).Inc()
	h.refuse(w, status, msg)
}

// modifyResponse applies a successful mapped call before its answer reaches the client, so
// the client's next call is decided on a context that already holds this one.
func (h *handler) modifyResponse(resp *http.Response) error {
	x, _ := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	if x == nil || h.p.cfg.NoApply || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil
	}
	t0 := time.Now()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if isJSON(resp.Header.Get("Content-Type")) {
		x.req.Response = data
	}
	if err := h.p.apply(x.req); err != nil {
		h.p.m.applied.WithLabelValues("failed").Inc()
		h.p.log.Warn("proxy: a successful call could not be applied; the notification will be", "method", x.req.Method, "path", x.req.Path, "err", err)
	} else {
		h.p.m.applied.WithLabelValues("ok").Inc()
	}
	x.overhead += time.Since(t0)
	return nil
}

func isJSON(ct string) bool { return ct == "" || strings.Contains(ct, "json") }

// identity is the caller's token as the rows' "context" sees it; status and why say why a
// critical call must be refused when the token cannot be read.
func (p *Proxy) identity(r *http.Request) (tok intercept.Token, status int, why string) {
	raw := r.Header.Get("X-Auth-Token")
	if p.cfg.Validator == nil || raw == "" {
		return tok, 0, ""
	}
	info, err := p.cfg.Validator.Validate(r.Context(), raw)
	switch {
	case errors.Is(err, keystone.ErrInvalidToken):
		return tok, http.StatusUnauthorized, "The request you have made requires authentication."
	case err != nil:
		return tok, http.StatusServiceUnavailable, "pvsc proxy: the token could not be validated: the identity service is unavailable."
	}
	tok = intercept.Token{ProjectID: info.ProjectID, UserID: info.UserID, DomainID: info.DomainID, Roles: info.RoleNames()}
	if tok.DomainID == "" {
		tok.DomainID = info.ProjectDomainID
	}
	return tok, 0, ""
}

func (p *Proxy) isCritical(ops []runtime.Op) bool {
	for i := range ops {
		if p.critical[ops[i].Model][ops[i].Event] {
			return true
		}
	}
	return false
}

// decide decodes and decides a call, decoding again if a snapshot load replaced the context.
func (p *Proxy) decide(req intercept.Request) ([]runtime.Decision, error) {
	for attempt := 0; ; attempt++ {
		ops, err := p.in.Request(req)
		if err != nil {
			return nil, err
		}
		ds := make([]runtime.Decision, 0, len(ops))
		stale := false
		for i := range ops {
			d := p.eng.Decide(&ops[i])
			stale = stale || errors.Is(d.Err, runtime.ErrStale)
			ds = append(ds, d)
		}
		if !stale || attempt == 2 {
			if p.cfg.Shadow != nil {
				for i := range ds {
					p.cfg.Shadow(&ops[i], &ds[i])
				}
			}
			return ds, nil
		}
	}
}

// apply applies a call that happened, from its request and the service's response.
func (p *Proxy) apply(req intercept.Request) error {
	if c, ok := revision.Response(req.Method, req.Response); ok && !p.cfg.Revisions.Admit(c) {
		return nil // a newer state of the resource is applied already
	}
	for attempt := 0; attempt < 3; attempt++ {
		ops, err := p.in.Request(req)
		if err != nil {
			return err
		}
		stale := false
		for i := range ops {
			d := p.eng.Apply(&ops[i])
			switch {
			case errors.Is(d.Err, runtime.ErrStale):
				stale = true
			case d.Err != nil:
				err = d.Err
			}
		}
		if !stale {
			return err
		}
	}
	return runtime.ErrStale
}

// lock takes the stripes of the scopes a call concerns, in order, and returns the unlock.
func (p *Proxy) lock(ops []runtime.Op) func() {
	var idx []int
	for i := range ops {
		d := p.eng.Decide(&ops[i])
		for k := 0; k < d.Len(); k++ {
			idx = append(idx, int(uint32(d.At(k).Scope)%uint32(len(p.stripes))))
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		p.stripes[i].Lock()
	}
	return func() {
		for _, i := range idx {
			p.stripes[i].Unlock()
		}
	}
}

// denial is the refusal's message: the property and the reason of each denying check.
func denial(d *runtime.Decision) string {
	var parts []string
	for i := 0; i < d.Len(); i++ {
		if d.At(i).Verdict == runtime.Deny {
			parts = append(parts, d.Reason(i))
		}
	}
	return "Operation denied by pvsc: " + strings.Join(parts, "; ")
}

// errorWriter writes refusals in the upstream's own error shape, which its clients show.
func errorWriter(service string) keystone.ErrorWriter {
	switch service {
	case "neutron":
		return keystone.WriteNeutronError
	case "nova":
		return writeNovaError
	}
	return keystone.WriteKeystoneError
}

// writeNovaError writes Nova's shape: {"forbidden": {"code": 403, "message": "..."}}.
func writeNovaError(w http.ResponseWriter, status int, message string) {
	key := map[int]string{http.StatusBadRequest: "badRequest", http.StatusUnauthorized: "unauthorized",
		http.StatusForbidden: "forbidden", http.StatusServiceUnavailable: "serviceUnavailable"}[status]
	if key == "" {
		key = "computeFault"
	}
	b, _ := json.Marshal(map[string]any{key: map[string]any{"code": status, "message": message}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
