package runtime

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/specs/music"
	"pvsc.dev/pvsc/specs/openstack"
	"pvsc.dev/pvsc/tables"
)

// fastExprs lists every expression of a model that has a Fast form, with the property it belongs to (nil for guards and rows).
func fastExprs(e *Engine, mr *modelRT) (xs []*expr, owners []*propRT) {
	add := func(x *expr, p *propRT) {
		if x != nil && x.fast != nil {
			xs, owners = append(xs, x), append(owners, p)
		}
	}
	for _, x := range mr.where {
		add(x, nil)
	}
	for i := range mr.rows {
		add(mr.rows[i].when, nil)
	}
	for _, p := range mr.props {
		for i := range p.allow {
			add(p.when[i], p)
			add(p.allow[i], p)
		}
		for _, in := range p.inits {
			add(in.x, p)
		}
		for _, us := range p.updates {
			for _, u := range us {
				add(u.x, p)
				add(u.forX, p)
			}
		}
	}
	return xs, owners
}

// TestFastAgreesWithCEL runs every Fast expression of every shipped property
// through the interpreter and through CEL over randomised contexts,
// operations, scopes and watchlists, and requires the same answer.
// The derived plans run too: their quantifiers over indexes are in the fast form.
func TestFastAgreesWithCEL(t *testing.T) {
	var engines []*Engine
	for _, s := range []*tables.Spec{openstack.Spec, music.Spec} { // generated Go predicates
		g, err := New(s, nil, Options{})
		require.NoError(t, err)
		engines = append(engines, g)
	}
	for _, dir := range shippedSpecs {
		engines = append(engines, newTestEngine(t, dir, Options{}))
		r, err := compiler.CompileDirDerived(dir)
		require.NoError(t, err)
		d, err := New(r.Spec, r.Envs, Options{})
		require.NoError(t, err)
		engines = append(engines, d)
	}
	for _, e := range engines {
		for _, mr := range e.models {
			xs, owners := fastExprs(e, mr)
			require.NotEmpty(t, xs, mr.m.Name)
			for seed := uint64(1); seed <= 8; seed++ {
				g := newRandomOps(seed, mr.m)
				for round := 0; round < 6; round++ {
					g.build(t, e, 25)
					for i, x := range xs {
						e.agree(t, g, mr, x, owners[i])
					}
				}
			}
		}
	}
	assert.Greater(t, outcomes["true"], 1000)
	assert.Greater(t, outcomes["false"], 500)
	assert.Greater(t, outcomes["elems"], 300)
	assert.Greater(t, outcomes["pred"], 1000)
	assert.Greater(t, quantifiers(engines), 20, "derived rules' quantifiers are in the fast form")
}

// quantifiers counts the FAll and FAny nodes of the engines' fast expressions.
func quantifiers(engines []*Engine) int {
	var count func(n *fnode) int
	count = func(n *fnode) int {
		c := 0
		if n.op == tables.FAll || n.op == tables.FAny {
			c++
		}
		for _, a := range n.args {
			c += count(a)
		}
		return c
	}
	total := 0
	for _, e := range engines {
		for _, mr := range e.models {
			xs, _ := fastExprs(e, mr)
			for _, x := range xs {
				total += count(x.fast)
			}
		}
	}
	return total
}

func (e *Engine) agree(t *testing.T, g *randomOps, mr *modelRT, x *expr, p *propRT) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	mw := e.w.models[mr.idx]
	c := e.ctx()
	defer e.release(c)
	c.bind(mw, nil)
	c.intern = true
	var op Op
	if x.vars.Event >= 0 {
		require.NoError(t, bindParams(c, mw, x.vars.Event, g.params(&mr.m.Events[x.vars.Event]), &op))
		c.op = &op.Op
	}
	if p != nil && p.t.Scope >= 0 {
		c.scope = mw.st.Names.Intern(g.existing(p.t.Scope))
		if l, ok := mw.props[p.local].get(c.scope); ok && g.r.IntN(2) == 0 {
			c.wl, c.hasWL = l, true
		} else {
			c.wl, c.hasWL = randomWatchlist(g, mw, p), true
		}
	}
	compare := func() {
		fast, cel := e.evalIn(c, x, formFast), e.evalIn(c, x, formCEL)
		outcomes[fmtAny(fast)]++
		require.NoError(t, c.err, "CEL failed on `%s`", x.t.Src)
		assert.Equal(t, cel, fast, "`%s` with op %v in scope %q", x.t.Src, opString(mw, c.op), mw.st.Names.String(c.scope))
		if x.pred != nil {
			outcomes["pred"]++
			assert.Equal(t, cel, e.evalIn(c, x, formBest), "generated Go of `%s` with op %v in scope %q", x.t.Src, opString(mw, c.op), mw.st.Names.String(c.scope))
		}
	}
	if x.vars.Elem < 0 {
		compare()
		return
	}
	mw.st.Each(x.vars.Elem, func(row int32) bool {
		c.elemE, c.elemRow = x.vars.Elem, row
		compare()
		return true
	})
}

// evalIn evaluates an expression in one form: a bool, or the sorted elements it yields.
func (e *Engine) evalIn(c *Ctx, x *expr, f form) any {
	c.form = f
	defer func() { c.form = formBest }()
	if x.boolean {
		return c.test(x)
	}
	if x == nil {
		return nil
	}
	els := c.elems(x, nil)
	slices.Sort(els)
	return els
}

func randomWatchlist(g *randomOps, mw *modelWorld, p *propRT) wlist {
	var els []uint64
	for _, t := range p.t.Watchlist.Elem.Types {
		if t.Kind != tables.TRef {
			continue
		}
		for range g.r.IntN(4) {
			a := mw.st.Names.Intern(g.existing(t.Ref))
			var b state.Sym
			if p.pair {
				b = mw.st.Names.Intern(g.existing(t.Ref))
			}
			els = append(els, key(a, b))
		}
	}
	return newWList(els, 1)
}

func opString(mw *modelWorld, op *state.Op) string {
	if op == nil {
		return "none"
	}
	o := Op{Op: *op, w: &world{models: []*modelWorld{mw}}}
	ev := &mw.rt.m.Events[op.Event]
	s := ev.Name + "("
	for i, p := range ev.Params {
		if o.Present(i) {
			s += p.Name + "=" + formatValue(mw, p.Type, o.Vals[i]) + " "
		}
	}
	return s + ")"
}

// outcomes counts what the compared expressions gave, so the test can tell it was not vacuous.
var outcomes = map[string]int{}

func fmtAny(x any) string {
	switch v := x.(type) {
	case bool:
		if v {
			return "true"
		}
		return "false"
	case []uint64:
		if len(v) == 0 {
			return "empty"
		}
		return "elems"
	}
	return "other"
}
