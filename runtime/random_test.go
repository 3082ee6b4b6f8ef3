package runtime

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/tables"
)

var (
	specMu    sync.Mutex
	specCache = map[string]*compiler.Result{}
)

// compiled compiles a shipped spec directory once per test binary.
func compiled(t testing.TB, dir string) *compiler.Result {
	t.Helper()
	specMu.Lock()
	defer specMu.Unlock()
	if r, ok := specCache[dir]; ok {
		return r
	}
	r, err := compiler.CompileDir(dir)
	require.NoError(t, err)
	specCache[dir] = r
	return r
}

func newTestEngine(t testing.TB, dir string, opt Options) *Engine {
	t.Helper()
	r := compiled(t, dir)
	e, err := New(r.Spec, r.Envs, opt)
	require.NoError(t, err)
	return e
}

var shippedSpecs = []string{"../specs/openstack", "../specs/music"}

// randomOps generates operations over a model's events with ids drawn so
// that the fresh-ids assumption of SEMANTICS.md §7 holds: creates use new
// ids, other references name records that exist or existed, or nothing.
type randomOps struct {
	r     *rand.Rand
	m     *tables.Model
	ids   [][]string // per entity: every id ever created
	fresh int
	strs  []string
	// fix adjusts generated operations, to keep a test clear of a known gap in a spec.
	fix func(e *Engine, event string, params map[string]any)
	eng *Engine
}

func newRandomOps(seed uint64, m *tables.Model) *randomOps {
	g := &randomOps{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), m: m,
		ids:  make([][]string, len(m.Entities)),
		strs: []string{"", "compute:nova", "network:dhcp", "network:router_interface", "owner", "admin", "auditor", "x"}}
	return g
}

// existing picks an id of the entity that exists or existed, or "" when there is none.
func (g *randomOps) existing(e int32) string {
	ids := g.ids[e]
	if len(ids) == 0 || g.r.IntN(10) == 0 {
		return ""
	}
	id := ids[g.r.IntN(len(ids))]
	// Prefer records that still exist, so sequences go somewhere.
	for try := 0; try < 3 && g.eng != nil && !g.eng.exists(g.m.Entities[e].Name, id); try++ {
		id = ids[g.r.IntN(len(ids))]
	}
	return id
}

func (g *randomOps) newID(e int32) string {
	g.fresh++
	id := fmt.Sprintf("%s%d", g.m.Entities[e].Name, g.fresh)
	g.ids[e] = append(g.ids[e], id)
	return id
}

// op generates a random operation of a random event, as neutral params.
func (g *randomOps) op() (string, map[string]any) {
	ev := &g.m.Events[g.r.IntN(len(g.m.Events))]
	p := g.params(ev)
	if g.fix != nil {
		g.fix(g.eng, ev.Name, p)
	}
	return ev.Name, p
}

func (g *randomOps) params(ev *tables.Event) map[string]any {
	out := map[string]any{}
	for i, p := range ev.Params {
		if g.r.IntN(5) == 0 && int32(i) != ev.Key {
			continue // absent: fill-in
		}
		// A create always names a new record (a re-delivered create with other
		// content would act as an unchecked update); an association may name a
		// new or a known other end.
		fresh := (int32(i) == ev.Key && ev.Kind == tables.Creates) || (int32(i) == ev.OtherKey && ev.Kind == tables.Associates && g.r.IntN(2) == 0)
		out[p.Name] = g.value(p.Type, fresh)
	}
	return out
}

func (g *randomOps) value(t tables.Type, fresh bool) any {
	switch t.Kind {
	case tables.TRef:
		if fresh {
			return g.newID(t.Ref)
		}
		return g.existing(t.Ref)
	case tables.TString:
		return g.strs[g.r.IntN(len(g.strs))]
	case tables.TBool:
		return g.r.IntN(2) == 0
	case tables.TInt:
		return g.r.IntN(4)
	case tables.TEnum:
		return g.r.IntN(len(g.m.Enums[t.Ref].Values))
	case tables.TList:
		n := g.r.IntN(3)
		out := make([]any, 0, n)
		for range n {
			out = append(out, g.value(tables.Type{Kind: t.Elem, Ref: t.Ref}, false))
		}
		return out
	}
	return nil
}

// build applies n random operations to the engine's context.
func (g *randomOps) build(t testing.TB, e *Engine, n int) {
	t.Helper()
	for range n {
		name, params := g.op()
		ops, err := e.Neutral(name, params)
		require.NoError(t, err)
		for i := range ops {
			if ops[i].Model == modelIndex(e, g.m) {
				e.Apply(&ops[i])
			}
		}
	}
}

func modelIndex(e *Engine, m *tables.Model) int32 {
	for i, x := range e.spec.Models {
		if x == m {
			return int32(i)
		}
	}
	return -1
}

// exists reports whether a record of the named entity has this id (for test generators).
func (e *Engine) exists(entity string, id any) bool {
	s, _ := id.(string)
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, mw := range e.w.models {
		if i := mw.rt.m.EntityIndex(entity); i >= 0 {
			return mw.st.ExistsString(i, s)
		}
	}
	return false
}
