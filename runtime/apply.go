package runtime

import (
	"slices"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// apply applies an operation that was not blocked, then keeps every concerned
// property's N-cp and watchlists (SEMANTICS.md §6, non-critical path), with
// c, a fresh context. The write lock is held.
func (e *Engine) apply(c *Ctx, op *Op, d *Decision) {
	mw := d.mw
	c.bind(mw, &op.Op)
	c.intern = true
	c.timing(e.opt.Timing, phWatchlist)
	concerns := mw.rt.concerns[op.Event]
	e.forTargets(c, concerns, op.Event)
	c.phase(phNStep)
	if _, err := mw.st.Apply(&op.Op); err != nil {
		d.Err = err
		e.stats.malformed.Add(1)
		e.stopClock(c)
		return
	}
	d.Applied = true
	changed := mw.st.Changed()
	span := 0
	ev := &mw.rt.m.Events[op.Event]
	for i, cn := range concerns {
		pw := mw.props[cn.p.local]
		span = e.after(c, pw, op.Event, d.At(i).Scope, changed, span)
		if ev.Kind == tables.Deletes && ev.Target.Index == cn.p.t.Scope && pw.drop(d.At(i).Scope) {
			// The scope itself is gone: its watchlist goes with it (SEMANTICS.md §6).
			e.stats.drops.Add(1)
		}
	}
	e.stopClock(c)
}

// forTargets evaluates the `for` scopes of the event's rules on the state
// before the operation (who is affected is known before a delete removes it).
func (e *Engine) forTargets(c *Ctx, concerns []concern, event int32) {
	for _, cn := range concerns {
		for _, u := range cn.p.updates[event] {
			if u.forX == nil {
				continue
			}
			start := int32(len(c.targets))
			c.targets = c.scopes(u.forX, c.targets)
			c.spans = append(c.spans, start, int32(len(c.targets)))
		}
	}
}

// after keeps one property's watchlists once the operation is applied; span
// is the next unread `for` span, and the one after this property's is returned.
func (e *Engine) after(c *Ctx, pw *propWorld, event int32, own sym, changed []state.ScopeRef, span int) int {
	p := pw.rt
	c.rebuilt = c.rebuilt[:0]
	c.ownScope, c.ownOK = own, false
	if own != 0 {
		e.reconsider(c, pw, own, true)
	}
	global := false
	for _, r := range changed {
		switch {
		case r.Entity < 0:
			global = true
		case r.Entity == p.t.Scope && r.ID != own && r.ID != 0:
			e.reconsider(c, pw, r.ID, false)
		}
	}
	if global && p.globalBits != 0 {
		e.globalChange(c, pw, own)
	}
	c.phase(phWatchlist)
	for _, u := range p.updates[event] {
		one := [1]sym{own}
		targets := one[:]
		if u.forX != nil {
			targets = c.targets[c.spans[span]:c.spans[span+1]]
			span += 2
		}
		for _, t := range targets {
			e.update(c, pw, u, t)
		}
	}
	if c.ownOK {
		pw.put(own, c.own)
		c.ownOK = false
	}
	return span
}

// reconsider is step 1 for one scope whose configuration may have changed.
func (e *Engine) reconsider(c *Ctx, pw *propWorld, s sym, own bool) {
	c.phase(phNStep)
	n := pw.n(c.st, s)
	l, has := pw.get(s)
	c.phase(phWatchlist)
	nth := pw.rt.t.Threshold
	switch {
	case !pw.below(n):
		if pw.drop(s) {
			e.stats.drops.Add(1)
		}
	case !has || !own || (n == nth && int32(l.n) != nth):
		pw.put(s, c.rebuild(pw, s, n))
		c.rebuilt = append(c.rebuilt, s)
		e.stats.rebuilds.Add(1)
	case own:
		// Kept: the event's rules update it next; it is put back once, after them.
		l.n = int8(n)
		c.own, c.ownOK = l, true
	case int32(l.n) != n:
		l.n = int8(n)
		pw.put(s, l)
	}
}

// update is step 2: one rule of the event on one target scope that has a watchlist.
func (e *Engine) update(c *Ctx, pw *propWorld, u updateRT, t sym) {
	if t == 0 || slices.Contains(c.rebuilt, t) {
		return
	}
	l, has := c.own, c.ownOK && t == c.ownScope
	if !has {
		if l, has = pw.get(t); !has {
			return
		}
	}
	if u.op == tables.Rebuild {
		if t == c.ownScope {
			c.ownOK = false
		}
		pw.put(t, c.rebuild(pw, t, int32(l.n)))
		c.rebuilt = append(c.rebuilt, t)
		e.stats.rebuilds.Add(1)
		return
	}
	saved := c.scope
	c.scope = t
	c.scratch = c.elems(u.x, c.scratch[:0])
	c.scope = saved
	for _, k := range c.scratch {
		if u.op == tables.Add {
			l.add(k)
		} else {
			l.remove(k)
		}
	}
	if u.op == tables.Add {
		e.stats.adds.Add(int64(len(c.scratch)))
	} else {
		e.stats.removes.Add(int64(len(c.scratch)))
	}
	if c.ownOK && t == c.ownScope {
		c.own = l
		return
	}
	pw.put(t, l)
}

// globalChange reconsiders every scope when a cloud-wide fact turned true or false.
func (e *Engine) globalChange(c *Ctx, pw *propWorld, own sym) {
	scope := pw.rt.t.Scope
	g := c.st.Mask(pw.slots, scope, 0) & pw.rt.globalBits
	if g == pw.lastGlobal {
		return
	}
	pw.lastGlobal = g
	seen := map[sym]bool{own: true, 0: true}
	var all []sym
	collect := func(s sym) bool {
		if !seen[s] {
			seen[s] = true
			all = append(all, s)
		}
		return true
	}
	pw.eachWatchlist(func(s sym, _ *wlist) { collect(s) })
	c.st.EachScope(scope, collect)
	c.st.Each(scope, func(row int32) bool { return collect(c.st.ID(scope, row)) })
	for _, s := range all {
		e.reconsider(c, pw, s, false)
	}
}
