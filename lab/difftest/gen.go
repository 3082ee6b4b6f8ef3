package difftest

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// gen draws operations on one model from the records a cloud has, has had
// and never will have: ids of live records mostly, of deleted ones and of
// ids no record ever had sometimes, new ids for creations (never one that was
// used: ids behave like UUIDs, as SEMANTICS §7 assumes), parameters left out
// now and then, and values the spec's expressions compare.
type gen struct {
	r     *rand.Rand
	m     *tables.Model
	model int32
	ids   [][]string            // per entity: every id a record had or has, in first-seen order
	seen  []map[string]bool     // per entity
	strs  map[[2]int32][]string // per event and string parameter: values worth trying
	lits  []string              // the spec's string constants
	ints  []int64
	next  int
}

var literal = regexp.MustCompile(`"([^"\\]*)"`)

func newGen(spec *tables.Spec, model int32, seed uint64) *gen {
	m := spec.Models[model]
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), m: m, model: model, strs: map[[2]int32][]string{},
		ids: make([][]string, len(m.Entities)), seen: make([]map[string]bool, len(m.Entities)), ints: []int64{0, 1, 2, 3}}
	for e := range g.seen {
		g.seen[e] = map[string]bool{}
	}
	lits := map[string]bool{"": true}
	add := func(x *tables.Expr) {
		if x == nil {
			return
		}
		for _, s := range literal.FindAllStringSubmatch(x.Src, -1) {
			lits[s[1]] = true
			if strings.HasSuffix(s[1], ":") {
				lits[s[1]+"x"] = true // "network:" in a prefix test: "network:x" is network-owned
			}
		}
	}
	for _, p := range spec.Properties {
		if p.Model != model {
			continue
		}
		add(p.Invariant)
		for _, l := range p.Lets {
			add(l.Expr)
		}
		for _, c := range p.Criticals {
			add(c.When)
			add(c.Allow)
		}
		for _, in := range p.Watchlist.Inits {
			add(in.Expr)
		}
		for _, u := range p.Watchlist.Updates {
			add(u.Expr)
			add(u.For)
		}
	}
	for i := range m.Events {
		add(m.Events[i].Where)
	}
	for s := range lits {
		g.lits = append(g.lits, s)
	}
	sort.Strings(g.lits)
	return g
}

// learn adds every record of the store to the id pools, and every string attribute value to the value pools.
func (g *gen) learn(st *state.Store) {
	for e := range g.m.Entities {
		st.Each(int32(e), func(row int32) bool {
			g.saw(int32(e), st.Names.String(st.ID(int32(e), row)))
			for a, at := range g.m.Entities[e].Attrs {
				if at.Type.Kind == tables.TString {
					g.value(int32(e), int32(a), st.Names.String(st.Attr(int32(e), row, int32(a)).Sym()))
				}
			}
			return true
		})
	}
}

func (g *gen) saw(e int32, id string) {
	if id != "" && !g.seen[e][id] {
		g.seen[e][id] = true
		g.ids[e] = append(g.ids[e], id)
	}
}

// value remembers a value of a string attribute for the parameters that set it.
func (g *gen) value(e, a int32, v string) {
	for ev := range g.m.Events {
		for _, s := range g.m.Events[ev].Sets {
			if s.Entity == e && s.Attr == a {
				k := [2]int32{int32(ev), s.Param}
				if len(g.strs[k]) < 16 && !contains(g.strs[k], v) {
					g.strs[k] = append(g.strs[k], v)
				}
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// exists reports whether a record of entity e has the id now.
type exists func(e int32, id string) bool

// op draws one operation of event ev as neutral parameters.
func (g *gen) op(ev int32, alive exists) map[string]any {
	e := &g.m.Events[ev]
	params := map[string]any{}
	for i, p := range e.Params {
		required := int32(i) == e.Key || int32(i) == e.OtherKey
		if !required && g.r.IntN(100) < 15 {
			continue // absent
		}
		creates := int32(i) == e.Key && e.Kind == tables.Creates || int32(i) == e.OtherKey && e.Kind == tables.Associates
		params[p.Name] = g.param(ev, int32(i), p.Type, creates, alive)
	}
	return params
}

// liveTarget picks a live record of the entity create event ev makes: its
// id and row in st.
func (g *gen) liveTarget(ev int32, alive exists, st *state.Store) (e *tables.Event, t int32, id string, row int32, ok bool) {
	e = &g.m.Events[ev]
	if e.Kind != tables.Creates {
		return e, 0, "", 0, false
	}
	t = e.Target.Index
	if id, ok = g.live(t, alive); !ok {
		return e, t, "", 0, false
	}
	sym, ok := st.Names.Lookup(id)
	if !ok {
		return e, t, id, 0, false
	}
	row, ok = st.Row(t, sym)
	return e, t, id, row, ok
}

// redelivery draws a create of a record that exists, as a cloud re-delivers
// it: the same key, the parents it has (or none), parents it does not know
// yet (filled in), and no attributes (SEMANTICS §1, §3).
func (g *gen) redelivery(ev int32, alive exists, st *state.Store) (map[string]any, bool) {
	e, t, id, row, ok := g.liveTarget(ev, alive, st)
	if !ok {
		return nil, false
	}
	params := map[string]any{e.Params[e.Key].Name: id}
	for k, pk := range e.ParentKeys {
		if pk < 0 {
			continue
		}
		cur := st.Names.String(st.Parent(t, row, k))
		switch {
		case cur != "" && g.r.IntN(2) == 0:
			params[e.Params[pk].Name] = cur
		case cur == "" && g.r.IntN(4) != 0:
			params[e.Params[pk].Name] = g.ref(g.m.Entities[t].Parents[k], alive)
		}
	}
	return params, true
}

func (g *gen) param(ev, i int32, t tables.Type, creates bool, alive exists) any {
	switch t.Kind {
	case tables.TRef:
		if creates {
			// A new id: never one a record had or one others name without a
			// record (ids are fresh, SEMANTICS §7). Re-deliveries are drawn apart.
			return g.fresh(t.Ref)
		}
		return g.ref(t.Ref, alive)
	case tables.TString:
		return g.str(ev, i)
	case tables.TBool:
		return g.r.IntN(4) == 0 // flags (shared, inherited) are mostly off, so plain grants meet
	case tables.TInt:
		return g.ints[g.r.IntN(len(g.ints))]
	case tables.TEnum:
		vals := g.m.Enums[t.Ref].Values
		return vals[g.r.IntN(len(vals))]
	case tables.TList:
		n := g.r.IntN(4)
		out := make([]any, 0, n)
		el := tables.Type{Kind: t.Elem, Ref: t.Ref}
		for range n {
			out = append(out, g.param(ev, i, el, false, alive))
		}
		return out
	}
	return nil
}

// fresh is an id nothing ever had or named.
func (g *gen) fresh(e int32) string {
	g.next++
	return fmt.Sprintf("%s-g%d", g.m.Entities[e].Name, g.next)
}

// live is the id of a record of entity e that exists, if one is found quickly.
func (g *gen) live(e int32, alive exists) (string, bool) {
	ids := g.ids[e]
	for range 8 {
		if len(ids) == 0 {
			break
		}
		if id := ids[g.r.IntN(len(ids))]; alive(e, id) {
			return id, true
		}
	}
	return "", false
}

// ref is an id of entity e: a live record's mostly, else a deleted one's, one no record will ever have, or "".
func (g *gen) ref(e int32, alive exists) string {
	n := g.r.IntN(100)
	ids := g.ids[e]
	switch {
	case n < 84 && len(ids) > 0:
		if id, ok := g.live(e, alive); ok {
			return id
		}
		return ids[g.r.IntN(len(ids))]
	case n < 92 && len(ids) > 0:
		return ids[g.r.IntN(len(ids))]
	case n < 96:
		return fmt.Sprintf("ghost-%s-%d", g.m.Entities[e].Name, g.r.IntN(3))
	}
	return ""
}

func (g *gen) str(ev, i int32) string {
	pool := g.strs[[2]int32{ev, i}]
	if len(pool) > 0 && g.r.IntN(2) == 0 {
		return pool[g.r.IntN(len(pool))]
	}
	return g.lits[g.r.IntN(len(g.lits))]
}

// applied learns the ids an operation that was applied introduced.
func (g *gen) applied(ev int32, params map[string]any) {
	e := &g.m.Events[ev]
	for i, p := range e.Params {
		v, ok := params[p.Name]
		if !ok {
			continue
		}
		if p.Type.Kind == tables.TRef {
			if s, _ := v.(string); s != "" && !strings.HasPrefix(s, "ghost-") {
				g.saw(p.Type.Ref, s)
			}
		}
		if p.Type.Kind == tables.TString {
			for _, s := range e.Sets {
				if s.Param == int32(i) {
					g.value(s.Entity, s.Attr, v.(string))
				}
			}
		}
	}
}

// criticalEvents are the events some property of the model treats as critical.
func criticalEvents(spec *tables.Spec, model int32) []int32 {
	var out []int32
	seen := map[int32]bool{}
	for _, p := range spec.Properties {
		if p.Model != model {
			continue
		}
		for _, c := range p.Criticals {
			if !seen[c.Event] {
				seen[c.Event] = true
				out = append(out, c.Event)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// sibling draws a create of a new record that shares a live record's parents
// and reference and string attributes, one parameter drawn afresh: the near
// misses a violation needs (the same user and project with another role,
// another VM on the same host) and that independent draws almost never meet.
func (g *gen) sibling(ev int32, alive exists, st *state.Store) (map[string]any, bool) {
	e, t, _, row, ok := g.liveTarget(ev, alive, st)
	if !ok {
		return nil, false
	}
	params := g.op(ev, alive)
	for k, pk := range e.ParentKeys {
		if cur := st.Names.String(st.Parent(t, row, k)); pk >= 0 && cur != "" {
			params[e.Params[pk].Name] = cur
		}
	}
	for _, s := range e.Sets {
		kind := g.m.Entities[t].Attrs[s.Attr].Type.Kind
		if s.Entity == t && (kind == tables.TRef || kind == tables.TString) {
			params[e.Params[s.Param].Name] = st.Names.String(st.Attr(t, row, s.Attr).Sym())
		}
	}
	if i := int32(g.r.IntN(len(e.Params))); i != e.Key {
		params[e.Params[i].Name] = g.param(ev, i, e.Params[i].Type, false, alive)
	}
	return params, true
}
