// Package specstest helps tests compare compiled specs with their generated Go tables.
package specstest

import "pvsc.dev/pvsc/tables"

// WithoutGo copies a spec and clears the compiled predicates, which only generated code sets.
func WithoutGo(s *tables.Spec) *tables.Spec {
	cp := *s
	cp.Name = ""
	cp.Properties = nil
	for _, p := range s.Properties {
		q := *p
		q.Criticals = append([]tables.Critical(nil), p.Criticals...)
		for i := range q.Criticals {
			q.Criticals[i].When, q.Criticals[i].Allow = noGo(q.Criticals[i].When), noGo(q.Criticals[i].Allow)
		}
		q.Watchlist.Inits = append([]tables.Init(nil), p.Watchlist.Inits...)
		for i := range q.Watchlist.Inits {
			q.Watchlist.Inits[i].Expr = noGo(q.Watchlist.Inits[i].Expr)
		}
		cp.Properties = append(cp.Properties, &q)
	}
	cp.Clouds = nil
	for _, c := range s.Clouds {
		cc := *c
		cc.Rows = append([]tables.OpRow(nil), c.Rows...)
		for i := range cc.Rows {
			cc.Rows[i].When = noGo(cc.Rows[i].When)
		}
		cp.Clouds = append(cp.Clouds, &cc)
	}
	cp.Models = nil
	for _, m := range s.Models {
		mm := *m
		mm.Events = append([]tables.Event(nil), m.Events...)
		for i := range mm.Events {
			mm.Events[i].Where = noGo(mm.Events[i].Where)
		}
		cp.Models = append(cp.Models, &mm)
	}
	return &cp
}

func noGo(x *tables.Expr) *tables.Expr {
	if x == nil {
		return nil
	}
	y := *x
	y.Go = nil
	return &y
}
