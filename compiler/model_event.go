package compiler

import (
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/abstract"
)

// computeKinds fills Model-event: CE for critical events, WE for events that
// update the watchlist, TE for events that change a fact of the configuration.
func (c *compiler) computeKinds() {
	for _, a := range c.analyses() {
		a.p.EventKinds = make([]tables.Kind, len(a.m.Events))
		for i := range a.m.Events {
			a.p.EventKinds[i] = a.kind(int32(i))
		}
	}
}

func (a *analysis) kind(ev int32) tables.Kind {
	for _, cr := range a.p.Criticals {
		if cr.Event == ev {
			return tables.CE
		}
	}
	for _, u := range a.p.Watchlist.Updates {
		if u.Event == ev {
			return tables.WE
		}
	}
	if a.touchesFact(&a.m.Events[ev]) || a.makesScope(&a.m.Events[ev]) {
		return tables.TE
	}
	return tables.None
}

// makesScope reports whether an event creates or deletes a scope: the root configuration starts or ends there.
func (a *analysis) makesScope(ev *tables.Event) bool {
	return (ev.Kind == tables.Creates || ev.Kind == tables.Deletes) && ev.Target.Index == a.p.Scope
}

// touchesFact reports whether an event can make a fact of the property true or false.
func (a *analysis) touchesFact(ev *tables.Event) bool {
	var ks []factKey
	switch ev.Kind {
	case tables.Creates, tables.Deletes:
		ks = []factKey{abstract.Exists(ev.Target.Index)}
	case tables.Associates, tables.Dissociates:
		ks = []factKey{abstract.Linked(ev.Link), abstract.Exists(ev.Other)}
	}
	for _, s := range ev.Sets {
		if a.m.Entities[s.Entity].Attrs[s.Attr].Type.Kind == tables.TRef {
			ks = append(ks, abstract.Linked(tables.AttrRef{Entity: s.Entity, Attr: s.Attr}))
		}
	}
	for _, k := range ks {
		if _, ok := a.bit(k); ok {
			return true
		}
	}
	return false
}
