package solver

import (
	"sort"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/symcel"
	"pvsc.dev/pvsc/solver/world"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// prover encodes one property's proactive plan over a bounded world.
type prover struct {
	*property
	w      *world.World
	b      *sym.B
	scopes []int64   // scope ids the runtime may keep state for (every id of the scope's sort but "")
	elems  []elemKey // every possible watchlist element
	elemAt map[elemKey]int
	zone   func(cfg []sym.Lit) sym.Lit // 1 <= N-cp <= N-th
	// loose weakens the induction invariant (see inductiveWith); lemma is the
	// tightest one every step keeps, nil when none is.
	loose loose
	lemma *loose
	atTh  func(cfg []sym.Lit) sym.Lit // N-cp == N-th
}

// elemKey is a watchlist element: an id or string, or a pair (snd >= 0).
type elemKey struct{ fst, snd int64 }

// plan is the runtime's per-scope state: whether the scope has a watchlist,
// its members, and whether the runtime knows the scope (has counters for it).
type plan struct {
	has []sym.Lit
	wl  [][]sym.Lit
	kn  []sym.Lit
}

func newProver(pr *property, w *world.World) *prover {
	pv := &prover{property: pr, w: w, b: w.B, elemAt: map[elemKey]int{}}
	for _, k := range w.RefSort(pr.p.Scope) {
		if k != 0 {
			pv.scopes = append(pv.scopes, k)
		}
	}
	pv.initElems()
	pv.zone = pv.nPredicate(func(n int32) bool { return n >= 1 && n <= pr.p.Threshold })
	pv.atTh = pv.nPredicate(func(n int32) bool { return n == pr.p.Threshold })
	return pv
}

func (pv *prover) initElems() {
	el := pv.p.Watchlist.Elem
	sortOf := func(t tables.Type) []int64 {
		if pv.sorts != nil && t.Kind == tables.TString {
			return pv.w.SortKeys(pv.sorts.Elem)
		}
		return pv.w.Sort(t)
	}
	if el.Pair && len(el.Types) == 2 {
		for _, a := range sortOf(el.Types[0]) {
			for _, b := range sortOf(el.Types[1]) {
				pv.addElem(elemKey{a, b})
			}
		}
		return
	}
	var keys []int64
	for _, t := range el.Types {
		keys = append(keys, sortOf(t)...)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		pv.addElem(elemKey{k, -1})
	}
}

func (pv *prover) addElem(k elemKey) {
	if _, ok := pv.elemAt[k]; !ok {
		pv.elemAt[k] = len(pv.elems)
		pv.elems = append(pv.elems, k)
	}
}

// nPredicate is a circuit over the configuration bits that holds when the
// configuration's N-cp satisfies ok: Shannon expansion of the N table, with
// equal halves merged so the circuit is a reduced decision diagram.
func (pv *prover) nPredicate(ok func(n int32) bool) func(cfg []sym.Lit) sym.Lit {
	return func(cfg []sym.Lit) sym.Lit {
		var rec func(bit int, mask uint32) sym.Lit
		rec = func(bit int, mask uint32) sym.Lit {
			if bit == len(cfg) {
				if ok(pv.p.N(mask)) {
					return pv.b.T
				}
				return pv.b.F
			}
			hi, lo := rec(bit+1, mask|1<<uint(bit)), rec(bit+1, mask)
			if hi == lo {
				return hi
			}
			return pv.b.Choice(cfg[bit], hi, lo)
		}
		return rec(0, 0)
	}
}

// config is the configuration of scope s on a state (SEMANTICS §4).
func (pv *prover) config(st *world.State, s sym.Scalar) []sym.Lit {
	out := make([]sym.Lit, len(pv.p.Facts))
	for i, f := range pv.p.Facts {
		out[i] = pv.fact(st, f, s)
	}
	return out
}

func (pv *prover) fact(st *world.State, f tables.Fact, s sym.Scalar) sym.Lit {
	return pv.b.Any(pv.contributions(st, f, s))
}

// contributions is, per slot, "this record counts towards fact f in scope s".
func (pv *prover) contributions(st *world.State, f tables.Fact, s sym.Scalar) []sym.Lit {
	b := pv.b
	e := f.Entity
	if f.Kind == tables.Linked {
		e = f.Link.Entity
	}
	out := make([]sym.Lit, len(st.Exists[e]))
	for i, ex := range st.Exists[e] {
		in := ex
		if f.Local {
			in = b.And(in, b.EqS(st.AncestorOrSelf(e, int32(i), pv.p.Scope), s))
		}
		if f.Kind == tables.Linked {
			ref := pv.m.Entities[e].Attrs[f.Link.Attr].Type.Ref
			in = b.And(in, b.Found(st.Lookup(ref, st.Attrs[e][i][f.Link.Attr].S)))
		}
		out[i] = in
	}
	return out
}

// rebuild is the watchlist of scope s built from the state (SEMANTICS §6, Rebuild).
func (pv *prover) rebuild(st *world.State, s sym.Scalar) ([]sym.Lit, error) {
	members := make([]sym.Lit, len(pv.elems))
	for i := range members {
		members[i] = pv.b.F
	}
	for _, in := range pv.inits {
		var err error
		if in.entity >= 0 {
			err = pv.initRecords(st, s, in, members)
		} else {
			err = pv.initList(st, s, in, members)
		}
		if err != nil {
			return nil, err
		}
	}
	return members, nil
}

func (pv *prover) initRecords(st *world.State, s sym.Scalar, in initRule, members []sym.Lit) error {
	b, t := pv.b, in.entity
	for i, ex := range st.Exists[t] {
		inScope := b.And(ex, b.EqS(st.AncestorOrSelf(t, int32(i), pv.p.Scope), s))
		if inScope == b.F {
			continue
		}
		vars := map[string]sym.Val{pv.m.Entities[t].Name: st.Record(t, int32(i))}
		if t != pv.p.Scope {
			vars[pv.m.Entities[pv.p.Scope].Name] = sym.Str(s)
		}
		ok, err := in.prog.EvalBool(pv.env(st, vars))
		if err != nil {
			return err
		}
		if j, found := pv.elemAt[elemKey{pv.w.IDs[t][i], -1}]; found {
			members[j] = b.Or(members[j], b.And(inScope, ok))
		}
	}
	return nil
}

func (pv *prover) initList(st *world.State, s sym.Scalar, in initRule, members []sym.Lit) error {
	v, err := in.prog.Eval(pv.env(st, map[string]sym.Val{pv.m.Entities[pv.p.Scope].Name: sym.Str(s)}))
	if err != nil {
		return err
	}
	for _, el := range pv.elements(v) {
		for j := range pv.elems {
			members[j] = pv.b.Or(members[j], pv.b.And(el.G, pv.elemIs(el.V, j)))
		}
	}
	return nil
}

// elements are the watchlist elements a rule's value denotes: one element, or a list of them.
func (pv *prover) elements(v sym.Val) []*sym.Elem {
	if v.K != sym.KList {
		return []*sym.Elem{{G: pv.b.T, V: v}}
	}
	es := v.L.Elems()
	if pv.p.Watchlist.Elem.Pair && (len(es) == 0 || es[0].V.K != sym.KList) {
		return []*sym.Elem{{G: pv.b.T, V: v}}
	}
	return es
}

// elemIs is "v is element j".
func (pv *prover) elemIs(v sym.Val, j int) sym.Lit {
	k := pv.elems[j]
	if k.snd < 0 {
		return pv.b.Is(v.S, k.fst)
	}
	es := v.L.Elems()
	if len(es) != 2 {
		return pv.b.F
	}
	return pv.b.All([]sym.Lit{es[0].G, es[1].G, pv.b.Is(es[0].V.S, k.fst), pv.b.Is(es[1].V.S, k.snd)})
}

// watchlist is the `watchlist` variable for the given members.
func (pv *prover) watchlist(members []sym.Lit) sym.Val {
	if !pv.p.Watchlist.Elem.Pair {
		keys := make([]int64, len(pv.elems))
		for i, k := range pv.elems {
			keys[i] = k.fst
		}
		return sym.ListOf(pv.b.NewSet(sym.KStr, keys, members))
	}
	var es []*sym.Elem
	for j, k := range pv.elems {
		if members[j] == pv.b.F {
			continue
		}
		pair := sym.NewList([]*sym.Elem{{G: pv.b.T, V: sym.Str(pv.b.Const(k.fst))}, {G: pv.b.T, V: sym.Str(pv.b.Const(k.snd))}})
		es = append(es, &sym.Elem{G: members[j], V: sym.ListOf(pair)})
	}
	return sym.ListOf(sym.NewList(es))
}

func (pv *prover) env(st *world.State, vars map[string]sym.Val) *symcel.Env {
	e := st.Env(vars)
	e.Lets = pv.comp.Lets
	return e
}

// initial is the plan the runtime builds from a snapshot: a watchlist for every known scope at or below N-th.
func (pv *prover) initial(st *world.State) (plan, error) {
	pl := plan{has: make([]sym.Lit, len(pv.scopes)), wl: make([][]sym.Lit, len(pv.scopes)), kn: make([]sym.Lit, len(pv.scopes))}
	for i, s := range pv.scopes {
		sc := pv.b.Const(s)
		cfg := pv.config(st, sc)
		pl.kn[i] = pv.known(st, cfg, s)
		pl.has[i] = pv.b.And(pl.kn[i], pv.zone(cfg))
		members, err := pv.rebuild(st, sc)
		if err != nil {
			return pl, err
		}
		pl.wl[i] = pv.gate(pl.has[i], members)
	}
	return pl, nil
}

func (pv *prover) gate(c sym.Lit, ls []sym.Lit) []sym.Lit {
	out := make([]sym.Lit, len(ls))
	for i, l := range ls {
		out[i] = pv.b.And(c, l)
	}
	return out
}

var _ = celenv.VarOp
