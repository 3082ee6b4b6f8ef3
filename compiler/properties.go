package compiler

import (
	"sort"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"github.com/alecthomas/participle/v2/lexer"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

type propInfo struct {
	ast   *dsl.Property
	t     *tables.Property
	model *modelInfo
	bad   bool
	lets  []celenv.LetDecl
	// letVals are the lets' values, evaluated in order (for letStrings)
	letVals map[string]ref.Val

	criticals []*dsl.Critical
	threshold *dsl.Int
	watchlist *dsl.Watchlist
	an        *analysis
	// underivable: the property gives no plan and none could be derived (already reported)
	underivable bool
}

// checkProperties resolves and type-checks every property clause.
func (c *compiler) checkProperties() {
	for _, p := range c.props {
		n := len(c.diags)
		c.checkProperty(p)
		p.bad = p.bad || len(c.diags) > n
	}
}

func (c *compiler) checkProperty(p *propInfo) {
	m, ok := c.byName[p.ast.Model.Name]
	if !ok {
		c.errorf(p.ast.Model.Pos, "property %s: unknown model %s", p.ast.Name.Name, p.ast.Model.Name)
		p.bad = true
		return
	}
	p.model = m
	p.t = &tables.Property{Name: p.ast.Name.Name, Model: m.index, Enforce: tables.Deny, Scope: -1, ScopeBy: -1}
	if m.broken {
		p.bad = true
		return
	}
	switch {
	case planless(p.ast):
		c.derivePlan(p)
	case c.deriveAll:
		c.rederive(p)
	}
	items := c.collectItems(p)
	c.checkLets(p, items.lets)
	c.checkWatchlistDecl(p)
	if items.invariant != nil {
		if x, ok := c.checkExpr(m, items.invariant, noVars(), exprCtx{lets: p.lets}, cel.BoolType); ok {
			p.t.Invariant = x
		}
	}
	c.checkCriticals(p, items)
	c.checkWatchlistRules(p)
	c.checkCost(p, items.rare)
	c.checkSettings(p, items)
	c.spec.Properties = append(c.spec.Properties, p.t)
}

func noVars() tables.Vars { return tables.Vars{Event: -1, Elem: -1, Scope: -1} }

// propItems are a property's clauses, sorted by kind.
type propItems struct {
	invariant *dsl.CEL
	lets      []*dsl.Let
	allows    []*dsl.Allow
	enforce   *dsl.Ident
	fail      *dsl.Ident
	rare      []dsl.Ident
}

func (c *compiler) collectItems(p *propInfo) propItems {
	var it propItems
	seen := map[string]lexer.Position{}
	once := func(what string, pos lexer.Position) bool {
		return !c.dup(seen, what, pos, "property "+p.t.Name+": clause")
	}
	for _, item := range p.ast.Items {
		switch {
		case item.Doc != nil && once("doc", item.Pos):
			p.t.Doc = item.Doc.Value
		case item.Invariant != nil && once("invariant", item.Pos):
			it.invariant = item.Invariant
		case item.Let != nil:
			it.lets = append(it.lets, item.Let)
		case item.Critical != nil:
			p.criticals = append(p.criticals, item.Critical)
		case item.Watchlist != nil && once("watchlist", item.Pos):
			p.watchlist = item.Watchlist
		case item.Allow != nil:
			it.allows = append(it.allows, item.Allow)
		case item.Threshold != nil && once("threshold", item.Pos):
			p.threshold = item.Threshold
		case item.Enforce != nil && once("enforce", item.Pos):
			it.enforce = item.Enforce
		case item.Fail != nil && once("fail", item.Pos):
			it.fail = item.Fail
		case len(item.Rare) > 0:
			it.rare = append(it.rare, item.Rare...)
		}
	}
	c.requireClauses(p, it)
	return it
}

func (c *compiler) requireClauses(p *propInfo, it propItems) {
	if p.underivable {
		return
	}
	missing := func(what string) { c.errorf(p.ast.Name.Pos, "property %s: missing %s", p.t.Name, what) }
	if it.invariant == nil {
		missing("invariant (what the SAT baseline checks)")
	}
	if len(p.criticals) == 0 {
		missing("critical event")
	}
	if p.watchlist == nil {
		missing("watchlist")
	}
	if p.threshold == nil && c.derived[p.t.Name] == nil {
		missing("threshold (N-th)")
	}
}

func (c *compiler) checkLets(p *propInfo, lets []*dsl.Let) {
	m := p.model
	for _, l := range lets {
		name := l.Name.Name
		if reserved[name] || hasKey(m.entities, name) || hasKey(m.enums, name) || letDeclared(p.lets, name) {
			c.errorf(l.Name.Pos, "let %s: the name is taken", name)
			continue
		}
		ast, text, ok := c.compileCEL(m, &l.Expr, noVars(), exprCtx{lets: p.lets})
		if !ok {
			continue
		}
		p.lets = append(p.lets, c.letDecl(m, ast, p, name))
		p.t.Lets = append(p.t.Lets, tables.Let{Name: name, Expr: &tables.Expr{Src: text, Vars: noVars()}})
	}
}

func hasKey[V any](m map[string]V, k string) bool { _, ok := m[k]; return ok }

// letDecl evaluates a constant that reads no cloud (the runtime refuses one that
// does) and keeps what the fast form can read of it: its strings when it is a list
// of strings or a map keyed by strings, its pairs when a list of string pairs, its
// value when an int. It keeps only the type when it cannot be evaluated here.
func (c *compiler) letDecl(m *modelInfo, ast *cel.Ast, p *propInfo, name string) celenv.LetDecl {
	d := celenv.LetDecl{Name: name, Type: ast.OutputType()}
	env, err := m.env.For(noVars(), tables.ElemType{}, p.lets)
	if err != nil {
		return d
	}
	prg, err := env.Program(ast)
	if err != nil {
		return d
	}
	act := map[string]any{}
	for k, v := range p.letVals {
		act[k] = v
	}
	v, _, err := prg.Eval(act)
	if err != nil {
		return d
	}
	if p.letVals == nil {
		p.letVals = map[string]ref.Val{}
	}
	p.letVals[name] = v
	d.Strs, d.Pairs = constStrings(v), constPairs(v)
	if i, ok := v.(types.Int); ok {
		d.Int, d.IsInt = int64(i), true
	}
	return d
}

// constPairs flattens a list of two-string lists; nil for anything else.
func constPairs(v ref.Val) []string {
	l, ok := v.(traits.Lister)
	if !ok {
		return nil
	}
	var out []string
	for it := l.Iterator(); it.HasNext() == types.True; {
		pair, ok := it.Next().(traits.Lister)
		if !ok || pair.Size() != types.Int(2) {
			return nil
		}
		for i := range 2 {
			s, ok := pair.Get(types.Int(i)).(types.String)
			if !ok {
				return nil
			}
			out = append(out, string(s))
		}
	}
	return out
}

// constStrings lists a list's strings, or a map's string keys.
func constStrings(v ref.Val) []string {
	var out []string
	switch x := v.(type) {
	case traits.Mapper:
		for it := x.Iterator(); it.HasNext() == types.True; {
			s, ok := it.Next().(types.String)
			if !ok {
				return nil
			}
			out = append(out, string(s))
		}
	case traits.Lister:
		for it := x.Iterator(); it.HasNext() == types.True; {
			s, ok := it.Next().(types.String)
			if !ok {
				return nil
			}
			out = append(out, string(s))
		}
	default:
		return nil
	}
	sort.Strings(out)
	return out
}

func letDeclared(lets []celenv.LetDecl, name string) bool {
	for _, l := range lets {
		if l.Name == name {
			return true
		}
	}
	return false
}

func (c *compiler) checkSettings(p *propInfo, it propItems) {
	if p.threshold != nil {
		p.t.Threshold = int32(p.threshold.Value)
		if p.threshold.Value < 1 {
			c.errorf(p.threshold.Pos, "threshold %d: N-th must be at least 1", p.threshold.Value)
		}
	}
	if it.enforce != nil {
		switch it.enforce.Name {
		case "deny":
			p.t.Enforce = tables.Deny
		case "alert":
			p.t.Enforce = tables.Alert
		case "log":
			p.t.Enforce = tables.Log
		default:
			c.errorf(it.enforce.Pos, "enforce %s: want deny, alert or log", it.enforce.Name)
		}
	}
	if it.fail != nil {
		switch it.fail.Name {
		case "closed":
		case "open":
			p.t.FailOpen = true
		default:
			c.errorf(it.fail.Pos, "fail %s: want closed or open", it.fail.Name)
		}
	}
}

func (c *compiler) checkCriticals(p *propInfo, it propItems) {
	m := p.model
	allowOn := map[int32]*dsl.Allow{}
	var deflt *dsl.Allow
	for _, a := range it.allows {
		c.sortAllow(p, a, allowOn, &deflt)
	}
	seen := map[string]lexer.Position{}
	for _, cr := range p.criticals {
		ev, ok := c.event(m, cr.Event)
		if !ok || c.dup(seen, cr.Event.Name, cr.Event.Pos, "critical event") {
			continue
		}
		crit := tables.Critical{Event: ev}
		for _, a := range cr.After {
			if aev, ok := c.event(m, a); ok {
				crit.After = append(crit.After, aev)
			}
		}
		opVars := tables.Vars{Event: ev, Elem: -1, Scope: -1}
		if cr.When != nil {
			crit.When, _ = c.checkExpr(m, cr.When, opVars, exprCtx{lets: p.lets}, cel.BoolType)
		}
		crit.Allow = c.checkAllow(p, cr, ev, allowOn, deflt)
		p.t.Criticals = append(p.t.Criticals, crit)
	}
	for ev, a := range allowOn {
		if _, ok := seen[m.t.Events[ev].Name]; !ok {
			c.errorf(a.On.Pos, "allow on %s: %s is not a critical event of property %s", a.On.Name, a.On.Name, p.t.Name)
		}
	}
}

func (c *compiler) sortAllow(p *propInfo, a *dsl.Allow, on map[int32]*dsl.Allow, deflt **dsl.Allow) {
	if a.On == nil {
		if *deflt != nil {
			c.errorf(a.Pos, "property %s: a second default allow rule (the first is at %s)", p.t.Name, short((*deflt).Pos))
			return
		}
		*deflt = a
		return
	}
	ev, ok := c.event(p.model, *a.On)
	if !ok {
		return
	}
	if prev, dup := on[ev]; dup {
		c.errorf(a.Pos, "property %s: a second allow rule on %s (the first is at %s)", p.t.Name, a.On.Name, short(prev.Pos))
		return
	}
	on[ev] = a
}

func (c *compiler) checkAllow(p *propInfo, cr *dsl.Critical, ev int32, on map[int32]*dsl.Allow, deflt *dsl.Allow) *tables.Expr {
	a := on[ev]
	if a == nil {
		a = deflt
	}
	if a == nil {
		c.errorf(cr.Pos, "critical %s: no allow rule: add `allow if` or `allow on %s if`", cr.Event.Name, cr.Event.Name)
		return nil
	}
	vars := tables.Vars{Event: ev, Elem: -1, Scope: p.t.Scope, Watchlist: true}
	x, _ := c.checkExpr(p.model, &a.Expr, vars, exprCtx{wl: p.t.Watchlist.Elem, lets: p.lets}, cel.BoolType)
	return x
}

// event resolves an event name of the model.
func (c *compiler) event(m *modelInfo, id dsl.Ident) (int32, bool) {
	ev, ok := m.events[id.Name]
	if !ok {
		c.errorf(id.Pos, "%s is not an event of model %s%s", id.Name, m.t.Name, m.eventHint(id.Name))
		return -1, false
	}
	return ev, !m.badEvent[ev]
}
