package runtime

import (
	"pvsc.dev/pvsc/runtime/state"
)

// world is one cloud context: the stores of every model and the watchlists
// built from them. A snapshot load builds a new world and swaps it in whole.
type world struct {
	models []*modelWorld
	big    bool // loaded from a big snapshot: replacing it frees much memory
}

// modelWorld is the context of one model.
type modelWorld struct {
	rt    *modelRT
	st    *state.Store
	view  *state.View
	lits  []sym // the model's literal table, interned in st
	props []*propWorld
	// inDoubt marks the whole context of the model in doubt (missed events).
	inDoubt bool
}

// propWorld is one property's run-time state: its fact slots, watchlists and doubtful scopes.
type propWorld struct {
	rt         *propRT
	slots      []int32
	shards     [1 << shardBits]shard
	doubt      map[sym]bool
	lastGlobal uint32
}

func (e *Engine) newWorld() *world {
	w := &world{}
	for _, mr := range e.models {
		st := state.New(e.spec, mr.idx)
		for _, f := range mr.indexes {
			st.Index(f.Entity, f.Field)
		}
		mw := &modelWorld{rt: mr, st: st, view: state.NewView(st, mr.env)}
		for _, s := range mr.lits.strs {
			mw.lits = append(mw.lits, st.Names.Intern(s))
		}
		for _, p := range mr.props {
			pw := &propWorld{rt: p, slots: st.FactSlots(p.t), doubt: map[sym]bool{}}
			mw.props = append(mw.props, pw)
		}
		w.models = append(w.models, mw)
	}
	return w
}

// n is a scope's N-cp from its current configuration.
func (pw *propWorld) n(st *state.Store, s sym) int32 {
	return pw.rt.t.N(st.Mask(pw.slots, pw.rt.t.Scope, s))
}

// below reports whether N-cp n keeps a watchlist: reachable and at or below N-th.
func (pw *propWorld) below(n int32) bool { return n > 0 && n <= pw.rt.t.Threshold }

// initWatchlists builds the watchlist of every scope at or below N-th (SEMANTICS.md §6, Initialisation).
func (w *world) initWatchlists(e *Engine) int {
	c := e.ctx()
	defer e.release(c)
	c.intern = true
	built := 0
	for _, mw := range w.models {
		built += mw.initWatchlists(c)
	}
	return built
}

// initWatchlists builds one model's watchlists with c, which may intern.
func (mw *modelWorld) initWatchlists(c *Ctx) int {
	c.intern = true
	c.bind(mw, nil)
	built := 0
	for _, pw := range mw.props {
		built += pw.initAll(c)
	}
	return built
}

func (pw *propWorld) initAll(c *Ctx) int {
	st, scope := c.st, pw.rt.t.Scope
	if scope < 0 {
		return 0
	}
	pw.lastGlobal = st.Mask(pw.slots, scope, 0) & pw.rt.globalBits
	built := 0
	visit := func(s sym) bool {
		if s == 0 {
			return true
		}
		if _, ok := pw.get(s); ok {
			return true
		}
		if n := pw.n(st, s); pw.below(n) {
			pw.put(s, c.rebuild(pw, s, n))
			built++
		}
		return true
	}
	st.EachScope(scope, visit)
	st.Each(scope, func(row int32) bool { return visit(st.ID(scope, row)) })
	return built
}
