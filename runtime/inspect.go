package runtime

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// ScopeState is what the engine keeps for one property in one scope.
type ScopeState struct {
	NCP       int32    // N-cp from the current configuration (0: unreachable)
	Threshold int32    // N-th
	Watched   bool     // the scope has a watchlist
	Elements  []string // the watchlist, sorted; pairs read "a,b"
}

// Scope reports a property's N-cp and watchlist in one scope (by id), for operators, demos and tests.
func (e *Engine) Scope(property, scope string) (ScopeState, error) {
	p, err := e.property(property)
	if err != nil {
		return ScopeState{}, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	mw := e.w.models[p.model.idx]
	pw := mw.props[p.local]
	out := ScopeState{Threshold: p.t.Threshold}
	s, ok := mw.st.Names.Lookup(scope)
	if !ok {
		return out, nil
	}
	out.NCP = pw.n(mw.st, s)
	l, ok := pw.get(s)
	if !ok {
		return out, nil
	}
	out.Watched = true
	l.each(func(k uint64) {
		a, b := unkey(k)
		el := mw.st.Names.String(a)
		if p.pair {
			el += "," + mw.st.Names.String(b)
		}
		out.Elements = append(out.Elements, el)
	})
	sort.Strings(out.Elements)
	return out, nil
}

// Scopes lists, sorted, the scopes where a property has a watchlist now (those at or below N-th).
func (e *Engine) Scopes(property string) ([]string, error) {
	p, err := e.property(property)
	if err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	mw := e.w.models[p.model.idx]
	var out []string
	mw.props[p.local].eachWatchlist(func(s sym, _ *wlist) {
		out = append(out, mw.st.Names.String(s))
	})
	sort.Strings(out)
	return out, nil
}

// WatchlistSize counts the scopes with a watchlist and the elements they hold, over every property.
func (e *Engine) WatchlistSize() (scopes, elements int) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, mw := range e.w.models {
		for _, pw := range mw.props {
			pw.eachWatchlist(func(_ sym, l *wlist) {
				scopes++
				elements += l.len()
			})
		}
	}
	return scopes, elements
}

// MarkInDoubt marks one scope's context in doubt for a property (events were
// missed there): its critical operations get the property's fail mode until
// the next snapshot load or ClearDoubt.
func (e *Engine) MarkInDoubt(property, scope string) error {
	p, err := e.property(property)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	mw := e.w.models[p.model.idx]
	mw.props[p.local].doubt[mw.st.Names.Intern(scope)] = true
	return nil
}

// MarkAllInDoubt marks the whole context in doubt (e.g. the notification stream lost messages).
func (e *Engine) MarkAllInDoubt() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, mw := range e.w.models {
		mw.inDoubt = true
	}
}

// ClearDoubt trusts the context again.
func (e *Engine) ClearDoubt() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, mw := range e.w.models {
		mw.inDoubt = false
		for _, pw := range mw.props {
			clear(pw.doubt)
		}
	}
}

// InitWatchlists rebuilds every watchlist from the context, as after a
// snapshot load, and returns how many scopes got one. Benchmarks time it.
func (e *Engine) InitWatchlists() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dropWatchlists()
	return e.w.initWatchlists(e)
}

// DropWatchlists forgets every watchlist; critical operations then take the slow path until InitWatchlists.
func (e *Engine) DropWatchlists() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dropWatchlists()
}

func (e *Engine) dropWatchlists() {
	for _, mw := range e.w.models {
		for _, pw := range mw.props {
			pw.dropAll()
		}
	}
}

// Len is the number of records of an entity (by name) in the context.
func (e *Engine) Len(entity string) (int, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, mw := range e.w.models {
		if i := mw.rt.m.EntityIndex(entity); i >= 0 {
			return mw.st.Len(i), nil
		}
	}
	return 0, fmt.Errorf("no entity %q", entity)
}

// Format writes an operation as event(param=value, ...), present parameters only, for logs and tests.
func (e *Engine) Format(op *Op) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	mw := op.w.models[op.Model]
	ev := &mw.rt.m.Events[op.Event]
	var b strings.Builder
	b.WriteString(ev.Name)
	b.WriteByte('(')
	first := true
	for i, p := range ev.Params {
		if !op.Present(i) {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(formatValue(mw, p.Type, op.Vals[i]))
	}
	b.WriteByte(')')
	return b.String()
}

func formatValue(mw *modelWorld, t tables.Type, v state.Value) string {
	switch t.Kind {
	case tables.TString, tables.TRef:
		return mw.st.Names.String(v.Sym())
	case tables.TBool:
		return strconv.FormatBool(v.Bool())
	case tables.TEnum:
		if vals := mw.rt.m.Enums[t.Ref].Values; v.I >= 0 && int(v.I) < len(vals) {
			return vals[v.I]
		}
	case tables.TList:
		parts := make([]string, len(v.L))
		for i, x := range v.L {
			parts[i] = formatValue(mw, tables.Type{Kind: t.Elem, Ref: t.Ref}, state.Value{I: x})
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return strconv.FormatInt(v.I, 10)
}

// ReadState runs fn on a model's context store under the read lock, for
// tools that read the cloud state directly (the SAT baseline collects the
// records an invariant reads). fn must not keep the store.
func (e *Engine) ReadState(model int32, fn func(st *state.Store)) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	fn(e.w.models[model].st)
}

// EventHint is "; did you mean X?" for an event name no model declares, naming the nearest one.
func (e *Engine) EventHint(name string) string {
	var names []string
	for _, mr := range e.models {
		for n := range mr.events {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return tables.Hint(name, names)
}

// Related lists, for every record of entity whose parent of type in is id, the id of its
// parent of type want: the users of a group's memberships, say. It scans the entity's records
// (for read-backs off the decision path).
func (e *Engine) Related(entity, in, id, want string) ([]string, error) {
	for mi, mr := range e.models {
		ent := mr.m.EntityIndex(entity)
		if ent < 0 {
			continue
		}
		pin, pwant := parentSlot(mr.m, ent, in), parentSlot(mr.m, ent, want)
		if pin < 0 || pwant < 0 {
			return nil, fmt.Errorf("%s has no parents %s and %s", entity, in, want)
		}
		var out []string
		e.ReadState(int32(mi), func(st *state.Store) {
			st.Each(ent, func(row int32) bool {
				if st.Names.String(st.Parent(ent, row, pin)) == id {
					out = append(out, st.Names.String(st.Parent(ent, row, pwant)))
				}
				return true
			})
		})
		sort.Strings(out)
		return out, nil
	}
	return nil, fmt.Errorf("no model has an entity %q", entity)
}

func parentSlot(m *tables.Model, e int32, parent string) int {
	for k, p := range m.Entities[e].Parents {
		if m.Entities[p].Name == parent {
			return k
		}
	}
	return -1
}

// Records lists every record of an entity, each as its fields by name (id, one per ancestor,
// the attributes: tables.Model.FieldNames), sorted by id: what the context holds, to compare
// with the cloud (it allocates; off the decision path).
func (e *Engine) Records(entity string) ([]map[string]any, error) {
	for mi, mr := range e.models {
		ent := mr.m.EntityIndex(entity)
		if ent < 0 {
			continue
		}
		var out []map[string]any
		e.mu.RLock()
		mw := e.w.models[mi]
		names := mr.m.FieldNames(ent)
		mw.st.Each(ent, func(row int32) bool {
			rec := make(map[string]any, len(names))
			for f, name := range names {
				rec[name] = fieldJSON(mw, mr.m.FieldType(ent, f), mw.st.Field(ent, row, f))
			}
			out = append(out, rec)
			return true
		})
		e.mu.RUnlock()
		sort.Slice(out, func(i, j int) bool { return out[i]["id"].(string) < out[j]["id"].(string) })
		return out, nil
	}
	return nil, fmt.Errorf("no model has an entity %q", entity)
}

// fieldJSON is a field's value as JSON reads it: strings and ids as strings, ints, bools, lists.
func fieldJSON(mw *modelWorld, t tables.Type, v state.Value) any {
	switch t.Kind {
	case tables.TString, tables.TRef:
		return mw.st.Names.String(v.Sym())
	case tables.TBool:
		return v.Bool()
	case tables.TInt:
		return v.I
	case tables.TList:
		out := make([]any, len(v.L))
		for i, x := range v.L {
			out[i] = fieldJSON(mw, tables.Type{Kind: t.Elem, Ref: t.Ref}, state.Value{I: x})
		}
		return out
	}
	return formatValue(mw, t, v)
}
