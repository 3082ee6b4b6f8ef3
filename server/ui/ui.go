// Package ui is the operator dashboard pvsc serve and proxy serve at /ui: N-cp per
// property, the watched scopes, the latest denials, open findings and the event stream,
// live over server-sent events, with no external assets.
package ui

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/decisionlog"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/findings"
)

//go:embed page.html login.html app.js
var assets embed.FS

var pages = template.Must(template.ParseFS(assets, "page.html", "login.html"))

// Config is what the dashboard reads.
type Config struct {
	Engine      *runtime.Engine
	Pipeline    *feed.Pipeline // nil: no event stream
	DecisionLog *decisionlog.Log
	Findings    func(property, scope string) []findings.Finding
	// Auth is the API's authentication; the dashboard's cookie is presented to it as the
	// header the login form was given.
	Auth func(http.Handler) http.Handler
	// Every is how often the live view is refreshed.
	Every time.Duration
}

// Summary is one refresh of the dashboard.
type Summary struct {
	Time       time.Time                  `json:"time"`
	Properties []runtime.PropertyOverview `json:"properties"`
	Denials    []json.RawMessage          `json:"denials"`
	Findings   []findings.Finding         `json:"findings"`
	Stream     *feed.Status               `json:"stream,omitempty"`
}

// Handler serves /ui (the page), /ui/state (one summary), /ui/events (summaries as
// server-sent events), /ui/app.js and /ui/login (the form that sets the cookie).
func Handler(cfg Config) http.Handler {
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	h := &handler{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/login", h.loginForm)
	mux.HandleFunc("POST /ui/login", h.login)
	mux.HandleFunc("POST /ui/logout", h.logout)
	authed := http.NewServeMux()
	authed.HandleFunc("GET /ui", h.page)
	authed.HandleFunc("GET /ui/state", h.state)
	authed.HandleFunc("GET /ui/events", h.events)
	authed.HandleFunc("GET /ui/app.js", h.script)
	mux.Handle("/ui", h.withCookie(cfg.Auth(authed)))
	mux.Handle("/ui/", h.withCookie(cfg.Auth(authed)))
	return mux
}

type handler struct{ cfg Config }

const cookieName = "pvsc_auth"

// withCookie presents the login cookie to the API's authentication as the header it came
// as; without one, a browser is sent to the login form.
func (h *handler) withCookie(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		if err != nil && r.Header.Get("Authorization") == "" && r.Header.Get("X-Auth-Token") == "" {
			http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
			return
		}
		if err == nil {
			kind, tok, _ := strings.Cut(c.Value, ":")
			r = r.Clone(r.Context())
			if kind == "bearer" {
				r.Header.Set("Authorization", "Bearer "+tok)
			} else {
				r.Header.Set("X-Auth-Token", tok)
			}
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
		next.ServeHTTP(w, r)
	})
}

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "login.html", map[string]any{"Failed": r.URL.Query().Has("failed")})
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimSpace(r.PostFormValue("token"))
	kind := r.PostFormValue("kind")
	if tok == "" || (kind != "bearer" && kind != "keystone") {
		http.Redirect(w, r, "/ui/login?failed", http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: kind + ":" + tok, Path: "/ui", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/ui", http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/ui", MaxAge: -1, HttpOnly: true})
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// summary is the dashboard's state, the watched scopes filtered by scope.
func (h *handler) summary(scope string) Summary {
	s := Summary{Time: time.Now().UTC(), Denials: h.cfg.DecisionLog.Recent(), Findings: []findings.Finding{}}
	for _, p := range h.cfg.Engine.Spec().Properties {
		if o, err := h.cfg.Engine.Overview(p.Name, scope, 50); err == nil {
			s.Properties = append(s.Properties, o)
		}
	}
	if h.cfg.Findings != nil {
		s.Findings = h.cfg.Findings("", scope)
	}
	if s.Denials == nil {
		s.Denials = []json.RawMessage{}
	}
	if h.cfg.Pipeline != nil {
		st := h.cfg.Pipeline.Status()
		s.Stream = &st
	}
	return s
}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "page.html", h.summary(r.URL.Query().Get("scope")))
}

func (h *handler) state(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(h.summary(r.URL.Query().Get("scope")))
}

func (h *handler) script(w http.ResponseWriter, _ *http.Request) {
	b, _ := assets.ReadFile("app.js")
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	_, _ = w.Write(b)
}

// events sends a summary whenever it changed, checked every cfg.Every.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	scope := r.URL.Query().Get("scope")
	t := time.NewTicker(h.cfg.Every)
	defer t.Stop()
	var last []byte
	for {
		s := h.summary(scope)
		s.Time = time.Time{} // a new time alone is no change
		b, err := json.Marshal(s)
		if err != nil {
			return
		}
		if !bytes.Equal(b, last) {
			if _, err := w.Write(append(append([]byte("data: "), b...), "\n\n"...)); err != nil {
				return
			}
			fl.Flush()
			last = b
		}
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
}
