package runtime

import (
	"fmt"
	"reflect"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/interpreter"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// Ctx is what an expression reads while it runs: the operation, the element
// record, the scope and its watchlist, and the cloud context. It is the
// surface generated code (a Pred) is written against. A Ctx is only valid
// during the call it is passed to.
type Ctx struct {
	mw    *modelWorld
	st    *state.Store
	op    *state.Op
	scope sym
	// the element record an init predicate is evaluated for
	elemE, elemRow int32
	wl             wlist
	hasWL          bool
	// the last watchlist lookup, for the decision's reason
	looked, found bool
	lookA, lookB  sym
	// intern lets CEL results be interned (the engine's write lock is held);
	// missed records a result string that could not be, so that a watchlist
	// built from it is not cached.
	intern, missed bool
	err            error
	form           form
	clk            clock
	// a watchlist the slow path built under the read lock, to keep afterwards
	pending      *propWorld
	pendingScope sym
	// the operation's own scope's watchlist while the event's rules update it
	own      wlist
	ownOK    bool
	ownScope sym
	// recent remembers the strings a snapshot load interned last (nil elsewhere)
	recent *recentSyms
	memo   bindMemo
	// the rows bound to the variables of the fast form's quantifiers
	vars [tables.MaxFastVars]int32
	// reusable buffers
	scratch []uint64
	targets []sym
	spans   []int32
	rebuilt []sym
}

// reset makes c as new for the next call, keeping its buffers. It clears c
// in place: building a new Ctx and copying it costs twice the stores.
func (c *Ctx) reset() {
	scratch, targets, spans, rebuilt := c.scratch[:0], c.targets[:0], c.spans[:0], c.rebuilt[:0]
	memo := c.memo.entries[:0]
	*c = Ctx{}
	c.scratch, c.targets, c.spans, c.rebuilt = scratch, targets, spans, rebuilt
	c.memo.entries = memo
}

func (c *Ctx) bind(mw *modelWorld, op *state.Op) {
	c.mw, c.st, c.op = mw, mw.st, op
	c.elemE, c.elemRow = -1, -1
}

// Param is parameter i of the operation as expressions see it: its value, or
// for an absent parameter the current value of what it would set (fill-in).
func (c *Ctx) Param(i int) state.Value { return c.st.Param(c.op, i) }

// Has reports whether parameter i of the operation was given (an absent one reads as its fill-in).
func (c *Ctx) Has(i int) bool { return c.op.Present(i) }

// Elem is field f (tables.Model.FieldNames numbering) of the element record an init predicate looks at.
func (c *Ctx) Elem(field int) state.Value { return c.st.Field(c.elemE, c.elemRow, field) }

// Scope is the id of the scope the expression runs for.
func (c *Ctx) Scope() state.Sym { return c.scope }

// Field is field f of the record of an entity with this id; the zero value when there is no such record.
func (c *Ctx) Field(entity int32, id state.Sym, field int) state.Value {
	row, ok := c.st.Row(entity, id)
	if !ok {
		return state.Value{}
	}
	return c.st.Field(entity, row, field)
}

// Exists reports whether a record of the entity has this id.
func (c *Ctx) Exists(entity int32, id state.Sym) bool { return c.st.Exists(entity, id) }

// InWatchlist reports whether the scope's watchlist holds the element (a, b); b is 0 for single elements.
func (c *Ctx) InWatchlist(a, b state.Sym) bool {
	c.looked, c.lookA, c.lookB = true, a, b
	c.found = c.hasWL && c.wl.has(key(a, b))
	return c.found
}

// InList reports whether a list value holds x (a Sym or an int).
func (c *Ctx) InList(x int64, list state.Value) bool { return list.Contains(x) }

// Indexed is the rows of the entity whose field holds key: an index lookup, a scan for a field nobody indexed.
func (c *Ctx) Indexed(entity int32, field int, key state.Sym) []int32 {
	return c.st.Rows(entity, field, key)
}

// RowField is field f of the entity's record in a row Indexed gave.
func (c *Ctx) RowField(entity, row int32, field int) state.Value {
	return c.st.Field(entity, row, field)
}

// Lookup is the id of an expression's string literal; every world interned them when it was built.
func (c *Ctx) Lookup(s string) state.Sym {
	id, _ := c.st.Names.Lookup(s)
	return id
}

// Str is the text of a string or id.
func (c *Ctx) Str(s state.Sym) string { return c.st.Names.String(s) }

// symOf finds the Sym of a string an expression produced; see Ctx.intern.
func (c *Ctx) symOf(s string) (sym, bool) {
	if id, ok := c.st.Names.Lookup(s); ok {
		return id, true
	}
	if c.intern {
		return c.st.Names.Intern(s), true
	}
	c.missed = true
	return 0, false
}

// test runs a boolean expression in its best form. A CEL error reads as
// false and is kept for the reason.
func (c *Ctx) test(x *expr) bool {
	switch {
	case x.pred != nil && c.form == formBest:
		return x.pred(c)
	case x.fast != nil && c.form != formCEL:
		return c.eval(x.fast).I != 0
	}
	v, err := c.celEval(x)
	if err != nil {
		return false
	}
	b, ok := v.(types.Bool)
	if !ok {
		c.fail(fmt.Errorf("`%s` gave %v, not a bool", x.t.Src, v))
		return false
	}
	return bool(b)
}

func (c *Ctx) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func (c *Ctx) celEval(x *expr) (ref.Val, error) {
	v, _, err := x.prg.Eval(&activation{c: c, x: x})
	if err == nil && types.IsError(v) {
		err = v.(*types.Err)
	}
	if err != nil {
		err = fmt.Errorf("`%s`: %w", x.t.Src, err)
		c.fail(err)
		return nil, err
	}
	return v, nil
}

// elems appends the watchlist elements an add, remove or list-init expression yields.
func (c *Ctx) elems(x *expr, out []uint64) []uint64 {
	if x.fast != nil && c.form != formCEL {
		v := c.eval(x.fast)
		if x.fast.typ != tables.TList {
			return append(out, key(v.Sym(), 0))
		}
		for _, s := range v.L {
			out = append(out, key(sym(s), 0))
		}
		return out
	}
	v, err := c.celEval(x)
	if err != nil {
		return out
	}
	return c.celElems(v, x.pair, out)
}

func (c *Ctx) celElems(v ref.Val, pair bool, out []uint64) []uint64 {
	switch x := v.(type) {
	case types.String:
		if s, ok := c.symOf(string(x)); ok {
			out = append(out, key(s, 0))
		}
		return out
	case traits.Lister:
		n, _ := x.Size().(types.Int)
		if pair && n == 2 {
			if _, isStr := x.Get(types.Int(0)).(types.String); isStr {
				return c.celPair(x, out)
			}
		}
		for i := types.Int(0); i < n; i++ {
			el := x.Get(i)
			if l, ok := el.(traits.Lister); ok && pair {
				out = c.celPair(l, out)
				continue
			}
			out = c.celElems(el, false, out)
		}
		return out
	}
	c.fail(fmt.Errorf("watchlist element %v is not a string or a list", v))
	return out
}

func (c *Ctx) celPair(l traits.Lister, out []uint64) []uint64 {
	a, okA := l.Get(types.Int(0)).(types.String)
	b, okB := l.Get(types.Int(1)).(types.String)
	if !okA || !okB {
		c.fail(fmt.Errorf("watchlist pair %v is not two strings", l))
		return out
	}
	sa, ok1 := c.symOf(string(a))
	sb, ok2 := c.symOf(string(b))
	if ok1 && ok2 {
		out = append(out, key(sa, sb))
	}
	return out
}

// scopes appends the scope ids a `for` expression names. Ids never interned
// cannot have a watchlist and are skipped.
func (c *Ctx) scopes(x *expr, out []sym) []sym {
	if x.fast != nil && c.form != formCEL {
		v := c.eval(x.fast)
		if x.fast.typ != tables.TList {
			return append(out, v.Sym())
		}
		for _, s := range v.L {
			out = append(out, sym(s))
		}
		return out
	}
	v, err := c.celEval(x)
	if err != nil {
		return out
	}
	add := func(v ref.Val) {
		if s, ok := v.(types.String); ok {
			if id, ok := c.st.Names.Lookup(string(s)); ok {
				out = append(out, id)
			}
		}
	}
	if l, ok := v.(traits.Lister); ok {
		for it := l.Iterator(); it.HasNext() == types.True; {
			add(it.Next())
		}
		return out
	}
	add(v)
	return out
}

// activation resolves CEL variables lazily from the context.
type activation struct {
	c *Ctx
	x *expr
}

func (a *activation) ResolveName(name string) (any, bool) {
	c, x := a.c, a.x
	switch {
	case name == celenv.VarCloud:
		return c.mw.view.Cloud(), true
	case name == celenv.VarOp && x.vars.Event >= 0 && c.op != nil:
		return c.mw.view.Op(c.op), true
	case name == celenv.VarWatchlist && x.vars.Watchlist:
		return &wlVal{c: c, pair: x.pair}, true
	case name == x.elemName && x.elemName != "":
		return c.mw.view.Record(c.elemE, c.elemRow), true
	case name == x.scopeName && x.scopeName != "":
		return types.String(c.Str(c.scope)), true
	}
	for _, l := range x.lets {
		if l.name == name {
			return l.val, true
		}
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// wlVal is the `watchlist` variable: membership is one lookup, and records what was looked up.
type wlVal struct {
	c    *Ctx
	pair bool
}

func (w *wlVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("the watchlist cannot be converted to Go")
}

func (w *wlVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return types.ListType
	}
	return types.NewErr("the watchlist cannot be converted to %s", t.TypeName())
}

func (w *wlVal) Equal(o ref.Val) ref.Val { return types.Bool(o == w) }
func (w *wlVal) Type() ref.Type          { return types.ListType }
func (w *wlVal) Value() any              { return w }

func (w *wlVal) Contains(x ref.Val) ref.Val {
	if !w.pair {
		s, ok := x.(types.String)
		if !ok {
			return types.False
		}
		id, ok := w.c.st.Names.Lookup(string(s))
		return types.Bool(w.c.InWatchlist(id, 0) && ok)
	}
	l, ok := x.(traits.Lister)
	if !ok || l.Size() != types.Int(2) {
		return types.False
	}
	a, _ := l.Get(types.Int(0)).(types.String)
	b, _ := l.Get(types.Int(1)).(types.String)
	ida, okA := w.c.st.Names.Lookup(string(a))
	idb, okB := w.c.st.Names.Lookup(string(b))
	return types.Bool(w.c.InWatchlist(ida, idb) && okA && okB)
}

// list materialises the watchlist for CEL's iteration and indexing.
func (w *wlVal) list() traits.Lister {
	var elems []ref.Val
	if w.c.hasWL {
		w.c.wl.each(func(k uint64) {
			a, b := unkey(k)
			if w.pair {
				elems = append(elems, types.NewStringList(types.DefaultTypeAdapter, []string{w.c.Str(a), w.c.Str(b)}))
			} else {
				elems = append(elems, types.String(w.c.Str(a)))
			}
		})
	}
	return types.NewRefValList(types.DefaultTypeAdapter, elems)
}

func (w *wlVal) Add(o ref.Val) ref.Val     { return w.list().Add(o) }
func (w *wlVal) Get(i ref.Val) ref.Val     { return w.list().Get(i) }
func (w *wlVal) Size() ref.Val             { return w.list().Size() }
func (w *wlVal) Iterator() traits.Iterator { return w.list().Iterator() }
