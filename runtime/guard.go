package runtime

import (
	"sort"
	"strings"
	"unicode"

	"pvsc.dev/pvsc/tables"
)

// Guard is what the engine knows of a state-changing call that no row maps: the resource it
// addresses, named as a pattern ("POST /v2.1/servers/{id}/action"), and the properties whose
// critical events act on that resource. A security tool does not let such a call through
// unseen: the properties' fail modes decide it.
type Guard struct {
	Pattern    string
	Properties []string // every property guarding the resource
	FailClosed []string // those that refuse what they cannot check
}

// guards maps an API resource ("v2.1/servers": the version and collection segments of the
// rows' templates) to the properties whose critical events its rows map to.
type guards map[string][]int32

func (e *Engine) buildGuards() guards {
	g := guards{}
	for _, mr := range e.models {
		for i := range mr.rows {
			r := &mr.rows[i]
			if r.t.Source != tables.API || r.t.Event < 0 || len(r.segs) < 2 {
				continue
			}
			res := r.segs[0] + "/" + r.segs[1]
			for _, cn := range mr.concerns[r.t.Event] {
				if cn.kind == tables.CE && !containsIdx(g[res], cn.p.idx) {
					g[res] = append(g[res], cn.p.idx)
				}
			}
			if _, ok := g[res]; !ok {
				g[res] = nil // modelled, unguarded
			}
		}
	}
	return g
}

func containsIdx(xs []int32, x int32) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Guard reports, for a state-changing call (not GET or HEAD), whether it addresses a
// resource the rows model, and which properties guard it.
func (e *Engine) Guard(method, path string) (Guard, bool) {
	if method == "GET" || method == "HEAD" || method == "OPTIONS" {
		return Guard{}, false
	}
	segs := splitPath(path)
	for i := 0; i+1 < len(segs); i++ {
		props, ok := e.guards[segs[i]+"/"+segs[i+1]]
		if !ok {
			continue
		}
		g := Guard{Pattern: method + " /" + strings.Join(pattern(segs[i:]), "/")}
		for _, p := range props {
			pt := e.spec.Properties[p]
			g.Properties = append(g.Properties, pt.Name)
			if !pt.FailOpen {
				g.FailClosed = append(g.FailClosed, pt.Name)
			}
		}
		sort.Strings(g.Properties)
		sort.Strings(g.FailClosed)
		return g, true
	}
	return Guard{}, false
}

// pattern names a request path without its ids: a segment with a digit and eight or more
// characters (a UUID, Keystone's hex ids) reads {id}.
func pattern(segs []string) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = s
		if i > 0 && len(s) >= 8 && strings.IndexFunc(s, unicode.IsDigit) >= 0 {
			out[i] = "{id}"
		}
	}
	return out
}
