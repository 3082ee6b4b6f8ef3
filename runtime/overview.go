package runtime

import (
	"cmp"
	"slices"
	"strings"
)

// PropertyOverview is how close a property is to violation across its scopes, for an
// operator's dashboard.
type PropertyOverview struct {
	Property  string `json:"property"`
	Threshold int32  `json:"threshold"` // N-th
	// NCP counts the scopes per N-cp (index: N-cp; 0 holds scopes from which no run of
	// events reaches a violation).
	NCP []int `json:"ncp"`
	// Watched are the scopes at or below N-th (they have a watchlist), closest first.
	Watched      []WatchedScope `json:"watched"`
	WatchedTotal int            `json:"watched_total"`
}

// WatchedScope is one scope with a watchlist.
type WatchedScope struct {
	Scope     string `json:"scope"`
	NCP       int32  `json:"ncp"`
	Watchlist int    `json:"watchlist"` // elements
}

// Overview summarises a property: the N-cp of every scope, and the watched scopes whose id
// contains match (all when ""), at most limit of them (0: all).
func (e *Engine) Overview(property, match string, limit int) (PropertyOverview, error) {
	p, err := e.property(property)
	if err != nil {
		return PropertyOverview{}, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	mw := e.w.models[p.model.idx]
	pw := mw.props[p.local]
	out := PropertyOverview{Property: p.t.Name, Threshold: p.t.Threshold, NCP: []int{}, Watched: []WatchedScope{}}
	count := func(s sym) {
		n := int(max(pw.n(mw.st, s), 0))
		for len(out.NCP) <= n {
			out.NCP = append(out.NCP, 0)
		}
		out.NCP[n]++
	}
	if p.t.Scope < 0 {
		count(0)
	} else {
		mw.st.EachScope(p.t.Scope, func(s sym) bool { count(s); return true })
	}
	pw.eachWatchlist(func(s sym, l *wlist) {
		out.WatchedTotal++
		id := mw.st.Names.String(s)
		if match == "" || strings.Contains(id, match) {
			out.Watched = append(out.Watched, WatchedScope{Scope: id, NCP: pw.n(mw.st, s), Watchlist: l.len()})
		}
	})
	slices.SortFunc(out.Watched, func(a, b WatchedScope) int { return cmp.Or(cmp.Compare(a.NCP, b.NCP), cmp.Compare(a.Scope, b.Scope)) })
	if limit > 0 && len(out.Watched) > limit {
		out.Watched = out.Watched[:limit]
	}
	return out, nil
}
