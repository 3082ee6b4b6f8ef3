package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"pvsc.dev/pvsc/server/findings"
)

// findings answers GET /v1/findings[?property=P][&scope=S]: the violations the node
// knows of (the initial audit's, accepted with --accept-violations).
func (s *Server) findings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	prop, scope := q.Get("property"), q.Get("scope")
	if prop != "" && s.eng.Spec().Property(prop) == nil {
		writeError(w, http.StatusNotFound, "no property "+prop)
		return
	}
	fs := []findings.Finding{}
	if s.cfg.Findings != nil {
		fs = s.cfg.Findings(prop, scope)
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": fs, "count": len(fs)})
}

// registerFindings exports the open findings per property as a gauge.
func (s *Server) registerFindings() {
	g := prometheus.NewGaugeFunc // one per property, read at scrape time
	for _, p := range s.eng.Spec().Properties {
		name := p.Name
		s.cfg.Registry.MustRegister(g(prometheus.GaugeOpts{Name: "pvsc_findings_open", Help: "Known findings (violations of an invariant in the context) by property.",
			ConstLabels: prometheus.Labels{"property": name}}, func() float64 {
			if s.cfg.Findings == nil {
				return 0
			}
			return float64(len(s.cfg.Findings(name, "")))
		}))
	}
}
