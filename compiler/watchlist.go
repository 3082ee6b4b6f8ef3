package compiler

import (
	"cel.dev/cel-go/cel"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
)

// checkWatchlistDecl resolves the watchlist's scope and element type (Property-WL).
func (c *compiler) checkWatchlistDecl(p *propInfo) {
	w := p.watchlist
	if w == nil {
		return
	}
	m := p.model
	p.t.Watchlist.Name = w.Name.Name
	scope, ok := m.entities[w.Scope.Name]
	if !ok {
		c.errorf(w.Scope.Pos, "watchlist %s: scope %s is not an entity of model %s%s", w.Name.Name, w.Scope.Name, m.t.Name, m.entityHint(w.Scope.Name))
		p.bad = true
		return
	}
	p.t.Scope = scope
	if w.By != nil {
		by, ok := m.entities[w.By.Name]
		switch {
		case !ok:
			c.errorf(w.By.Pos, "watchlist %s: %s is not an entity%s", w.Name.Name, w.By.Name, m.entityHint(w.By.Name))
		case !m.t.IsAncestorOrSelf(scope, by):
			c.errorf(w.By.Pos, "watchlist %s: %s is not inside %s, so it cannot give an operation's %s", w.Name.Name, w.By.Name, w.Scope.Name, w.Scope.Name)
		default:
			p.t.ScopeBy = by
		}
	}
	p.t.Watchlist.Elem = c.elemType(m, w)
}

func (c *compiler) elemType(m *modelInfo, w *dsl.Watchlist) tables.ElemType {
	refs := w.Of.Union
	out := tables.ElemType{}
	if len(w.Of.Pair) > 0 {
		refs, out.Pair = w.Of.Pair, true
	}
	for _, r := range refs {
		t, ok := c.resolveType(m, r)
		if !ok {
			continue
		}
		if t.Kind != tables.TString && t.Kind != tables.TRef {
			c.errorf(r.Pos, "watchlist %s: elements are entity ids or strings, not %s", w.Name.Name, typeName(m.t, t))
			continue
		}
		out.Types = append(out.Types, t)
	}
	return out
}

// elemEntities lists the entity types among the watchlist's element types.
func elemEntities(el tables.ElemType) []int32 {
	var out []int32
	for _, t := range el.Types {
		if t.Kind == tables.TRef {
			out = append(out, t.Ref)
		}
	}
	return out
}

// checkWatchlistRules type-checks init, add, remove and rebuild rules.
func (c *compiler) checkWatchlistRules(p *propInfo) {
	w := p.watchlist
	if w == nil || p.t.Scope < 0 {
		return
	}
	inits := map[int32]bool{}
	n := len(c.diags)
	for _, r := range w.Rules {
		switch {
		case r.Init != nil:
			c.checkInit(p, r.Init, inits)
		case r.Add != nil:
			c.checkUpdate(p, r.Add, tables.Add)
		case r.Remove != nil:
			c.checkUpdate(p, r.Remove, tables.Remove)
		case r.Rebuild != nil:
			c.checkRebuild(p, r.Rebuild)
		}
	}
	// A derived plan's watchlist only names the scope: its decisions read the context.
	if len(inits) == 0 && len(c.diags) == n && c.derived[p.ast.Name.Name] == nil {
		c.errorf(w.Name.Pos, "watchlist %s: missing init (how it is built from the cloud state)", w.Name.Name)
	}
}

// checkInit accepts a predicate over an element entity (`init port ...`, or
// untyped when there is one element entity), or an expression listing elements.
func (c *compiler) checkInit(p *propInfo, in *dsl.Init, seen map[int32]bool) {
	m := p.model
	el := p.t.Watchlist.Elem
	ents := elemEntities(el)
	elem := int32(-1)
	switch {
	case in.Type != nil:
		e, ok := m.entities[in.Type.Name]
		if !ok || !contains(ents, e) || el.Pair {
			c.errorf(in.Type.Pos, "init %s: %s is not an element type of watchlist %s", in.Type.Name, in.Type.Name, p.t.Watchlist.Name)
			return
		}
		elem = e
	case len(ents) == 1 && len(el.Types) == 1 && !el.Pair && m.t.IsAncestorOrSelf(p.t.Scope, ents[0]):
		elem = ents[0]
	}
	if elem >= 0 && !m.t.IsAncestorOrSelf(p.t.Scope, elem) {
		c.errorf(in.Pos, "init %s: %s records are not inside a %s, so they cannot be taken per scope; write a list init that maps them to ids", m.t.Entities[elem].Name, m.t.Entities[elem].Name, m.t.Entities[p.t.Scope].Name)
		return
	}
	if seen[elem] {
		c.errorf(in.Pos, "watchlist %s: a second init for the same elements", p.t.Watchlist.Name)
		return
	}
	seen[elem] = true
	vars := tables.Vars{Event: -1, Elem: elem, Scope: p.t.Scope}
	ctx := exprCtx{wl: el, lets: p.lets}
	want := []*cel.Type{cel.BoolType}
	if elem < 0 {
		want = []*cel.Type{cel.ListType(p.model.env.ElemType(el))}
	}
	if x, ok := c.checkExpr(m, &in.Expr, vars, ctx, want...); ok {
		p.t.Watchlist.Inits = append(p.t.Watchlist.Inits, tables.Init{Entity: elem, Expr: x})
	}
}

func contains(xs []int32, x int32) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (c *compiler) checkUpdate(p *propInfo, u *dsl.Update, op tables.UpdateOp) {
	ev, ok := c.event(p.model, u.Event)
	if !ok {
		return
	}
	el := p.model.env.ElemType(p.t.Watchlist.Elem)
	vars := tables.Vars{Event: ev, Elem: -1, Scope: p.t.Scope, Watchlist: true}
	ctx := exprCtx{wl: p.t.Watchlist.Elem, lets: p.lets}
	x, ok := c.checkExpr(p.model, &u.Expr, vars, ctx, el, cel.ListType(el))
	if !ok {
		return
	}
	upd := tables.Update{Event: ev, Op: op, Expr: x}
	upd.For, _ = c.checkFor(p, u.For, ev)
	p.t.Watchlist.Updates = append(p.t.Watchlist.Updates, upd)
}

func (c *compiler) checkRebuild(p *propInfo, r *dsl.Rebuild) {
	for _, id := range r.Events {
		ev, ok := c.event(p.model, id)
		if !ok {
			continue
		}
		upd := tables.Update{Event: ev, Op: tables.Rebuild}
		upd.For, _ = c.checkFor(p, r.For, ev)
		p.t.Watchlist.Updates = append(p.t.Watchlist.Updates, upd)
	}
}

// checkFor checks the scopes a rule applies to: one scope id or a list of them.
func (c *compiler) checkFor(p *propInfo, f *dsl.CEL, ev int32) (*tables.Expr, bool) {
	if f == nil {
		return nil, true
	}
	vars := tables.Vars{Event: ev, Elem: -1, Scope: -1}
	return c.checkExpr(p.model, f, vars, exprCtx{lets: p.lets}, cel.StringType, cel.ListType(cel.StringType))
}
