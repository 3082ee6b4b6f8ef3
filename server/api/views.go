package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/tables"
)

// PropertyInfo describes one property for GET /v1/properties.
type PropertyInfo struct {
	Name      string `json:"name"`
	Model     string `json:"model"`
	Doc       string `json:"doc,omitempty"`
	Scope     string `json:"scope,omitempty"`
	Watchlist string `json:"watchlist"`
	Threshold int32  `json:"threshold"`
	Enforce   string `json:"enforce"`
	FailOpen  bool   `json:"fail_open"`
}

func (s *Server) properties(w http.ResponseWriter, _ *http.Request) {
	spec := s.eng.Spec()
	out := make([]PropertyInfo, 0, len(spec.Properties))
	for _, p := range spec.Properties {
		m := spec.Models[p.Model]
		info := PropertyInfo{Name: p.Name, Model: m.Name, Doc: p.Doc, Watchlist: p.Watchlist.Name,
			Threshold: p.Threshold, Enforce: enforceName(p.Enforce), FailOpen: p.FailOpen}
		if p.Scope >= 0 {
			info.Scope = m.Entities[p.Scope].Name
		}
		out = append(out, info)
	}
	writeJSON(w, http.StatusOK, map[string]any{"properties": out})
}

// propertyScopes lists the scopes where a property has a watchlist (GET /v1/properties/{property}/scopes).
func (s *Server) propertyScopes(w http.ResponseWriter, r *http.Request) {
	scopes, err := s.eng.Scopes(r.PathValue("property"))
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if scopes == nil {
		scopes = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"property": r.PathValue("property"), "watched_scopes": scopes})
}

func enforceName(e tables.Enforcement) string {
	switch e {
	case tables.Alert:
		return "alert"
	case tables.Log:
		return "log"
	}
	return "deny"
}

// ScopeView is one property's state in one scope.
type ScopeView struct {
	Property  string   `json:"property"`
	Scope     string   `json:"scope"`
	NCP       int32    `json:"n_cp"`
	Threshold int32    `json:"threshold"`
	Watched   bool     `json:"watched"`
	Watchlist string   `json:"watchlist"`
	Elements  []string `json:"elements"`
}

// View reads one property's N-cp and watchlist in a scope.
func View(e *runtime.Engine, property, scope string) (ScopeView, error) {
	st, err := e.Scope(property, scope)
	if err != nil {
		return ScopeView{}, err
	}
	v := ScopeView{Property: property, Scope: scope, NCP: st.NCP, Threshold: st.Threshold, Watched: st.Watched, Elements: st.Elements}
	if p := e.Spec().Property(property); p != nil {
		v.Watchlist = p.Watchlist.Name
	}
	if v.Elements == nil {
		v.Elements = []string{}
	}
	return v, nil
}

func (s *Server) propertyScope(w http.ResponseWriter, r *http.Request) {
	v, err := View(s.eng, r.PathValue("property"), r.PathValue("scope"))
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) scope(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("scope")
	var out []ScopeView
	for _, p := range s.eng.Spec().Properties {
		v, err := View(s.eng, p.Name, id)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"scope": id, "properties": out})
}

// statusResponse is GET /v1/status.
type statusResponse struct {
	Events     *feed.Status     `json:"events,omitempty"`
	Entities   map[string]int   `json:"entities"`
	Watchlists int              `json:"watchlists"`
	Elements   int              `json:"watchlist_elements"`
	Engine     runtime.Stats    `json:"engine"`
	Operations map[string]int64 `json:"operations"`
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	out := statusResponse{Entities: map[string]int{}}
	if p := s.cfg.Pipeline; p != nil {
		st := p.Status()
		out.Events = &st
	}
	for _, m := range s.eng.Spec().Models {
		for _, ent := range m.Entities {
			n, _ := s.eng.Len(ent.Name)
			out.Entities[m.Name+"."+ent.Name] = n
		}
	}
	out.Watchlists, out.Elements = s.eng.WatchlistSize()
	out.Engine = s.eng.Stats()
	c := s.in.Counts()
	out.Operations = map[string]int64{"known": c.Known, "unknown": c.Unknown, "malformed": c.Malformed}
	writeJSON(w, http.StatusOK, out)
}

// resync rebuilds the context: from the snapshot in the body if there is one, else from a
// live snapshot. A snapshot that does not load changes nothing and is answered 400.
func (s *Server) resync(w http.ResponseWriter, r *http.Request) {
	p := s.cfg.Pipeline
	if p == nil {
		writeError(w, http.StatusConflict, "this server runs without an event pipeline")
		return
	}
	body, err := readBody(r, maxSnapshotBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, "request body: "+err.Error())
		return
	}
	if len(body) > 0 {
		st, err := p.Load("POST /v1/resync", body)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"loaded": true, "records": st.Records, "watchlists": st.Watchlists, "ignored": st.Ignored})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Minute)
	defer cancel()
	if err := p.Resync(ctx, "requested"); err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, feed.ErrNoLive) {
			status = http.StatusConflict
		}
		writeError(w, status, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"loaded": true})
}

// records is GET /v1/records/{entity}: every record the context holds of an entity.
func (s *Server) records(w http.ResponseWriter, r *http.Request) {
	recs, err := s.eng.Records(r.PathValue("entity"))
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if recs == nil {
		recs = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entity": r.PathValue("entity"), "records": recs})
}

// record is GET /v1/records/{entity}/{id}.
func (s *Server) record(w http.ResponseWriter, r *http.Request) {
	recs, err := s.eng.Records(r.PathValue("entity"))
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	for _, rec := range recs {
		if rec["id"] == r.PathValue("id") {
			writeJSON(w, http.StatusOK, rec)
			return
		}
	}
	writeError(w, http.StatusNotFound, "no "+r.PathValue("entity")+" "+r.PathValue("id"))
}
