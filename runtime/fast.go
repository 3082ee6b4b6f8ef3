package runtime

import (
	"strings"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// litTable numbers the string literals of a model's expressions; each world
// interns them into its store, so literals compare to ids as Syms.
type litTable struct {
	strs  []string
	index map[string]int32
}

func (t *litTable) add(s string) int32 {
	if i, ok := t.index[s]; ok {
		return i
	}
	i := int32(len(t.strs))
	t.strs = append(t.strs, s)
	t.index[s] = i
	return i
}

// fnode is a Fast expression node with its string literals numbered.
type fnode struct {
	op   tables.FastOp
	typ  tables.TypeKind
	args []*fnode
	a, b int32
	lit  int32  // FLit string: literal number
	i    int64  // FLit int or bool
	str  string // FLit string text
	set  []int32
}

func prepareFast(lits *litTable, f *tables.Fast) *fnode {
	n := &fnode{op: f.Op, typ: f.Type, a: f.A, b: f.B}
	for _, a := range f.Args {
		n.args = append(n.args, prepareFast(lits, a))
	}
	switch f.Op {
	case tables.FLit:
		switch f.Type {
		case tables.TString:
			n.str, n.lit = f.Str, lits.add(f.Str)
		case tables.TBool:
			n.i = state.Bool(f.Bool).I
		default:
			n.i = f.Int
		}
	case tables.FInConsts, tables.FInPairs:
		for _, s := range f.Strs {
			n.set = append(n.set, lits.add(s))
		}
	case tables.FAll, tables.FAny, tables.FVar:
		n.i = f.Int
	}
	return n
}

// eval runs a Fast expression. It does not allocate: values are Syms and
// ints, lists are views of stored values.
func (c *Ctx) eval(n *fnode) state.Value {
	switch n.op {
	case tables.FLit:
		if n.typ == tables.TString {
			return state.Str(c.mw.lits[n.lit])
		}
		return state.Value{I: n.i}
	case tables.FParam:
		return c.Param(int(n.a))
	case tables.FHas:
		return state.Bool(c.Has(int(n.a)))
	case tables.FElem:
		return c.Elem(int(n.a))
	case tables.FScope:
		return state.Str(c.scope)
	case tables.FField:
		return c.Field(n.b, c.eval(n.args[0]).Sym(), int(n.a))
	case tables.FExists:
		return state.Bool(c.Exists(n.b, c.eval(n.args[0]).Sym()))
	case tables.FInWL:
		var b sym
		if len(n.args) > 1 {
			b = c.eval(n.args[1]).Sym()
		}
		return state.Bool(c.InWatchlist(c.eval(n.args[0]).Sym(), b))
	case tables.FInList:
		return state.Bool(c.InList(c.eval(n.args[0]).I, c.eval(n.args[1])))
	case tables.FInConsts:
		x := c.eval(n.args[0]).Sym()
		for _, l := range n.set {
			if c.mw.lits[l] == x {
				return state.Bool(true)
			}
		}
		return state.Value{}
	case tables.FAll, tables.FAny:
		return state.Bool(c.quantify(n))
	case tables.FVar:
		return c.st.Field(n.b, c.vars[n.i], int(n.a))
	case tables.FCond:
		if c.eval(n.args[0]).I != 0 {
			return c.eval(n.args[1])
		}
		return c.eval(n.args[2])
	case tables.FCount:
		return state.Value{I: int64(len(c.indexed(n)))}
	case tables.FInPairs:
		return state.Bool(c.inPairs(n))
	case tables.FAdd:
		return state.Value{I: c.eval(n.args[0]).I + c.eval(n.args[1]).I}
	case tables.FNot:
		return state.Bool(c.eval(n.args[0]).I == 0)
	case tables.FAnd:
		for _, a := range n.args {
			if c.eval(a).I == 0 {
				return state.Value{}
			}
		}
		return state.Bool(true)
	case tables.FOr:
		for _, a := range n.args {
			if c.eval(a).I != 0 {
				return state.Bool(true)
			}
		}
		return state.Value{}
	}
	return c.evalCompare(n)
}

// quantify runs FAll or FAny over the records an index holds for the key.
func (c *Ctx) quantify(n *fnode) bool {
	all := n.op == tables.FAll
	for _, row := range c.indexed(n) {
		c.vars[n.i] = row
		if (c.eval(n.args[1]).I != 0) != all {
			return !all
		}
	}
	return all
}

// indexed is the rows of entity n.b whose field n.a holds the key n.args[0].
func (c *Ctx) indexed(n *fnode) []int32 {
	return c.Indexed(n.b, int(n.a), c.eval(n.args[0]).Sym())
}

func (c *Ctx) inPairs(n *fnode) bool {
	x, y := c.eval(n.args[0]).Sym(), c.eval(n.args[1]).Sym()
	for i := 0; i+1 < len(n.set); i += 2 {
		if c.mw.lits[n.set[i]] == x && c.mw.lits[n.set[i+1]] == y {
			return true
		}
	}
	return false
}

func (c *Ctx) evalCompare(n *fnode) state.Value {
	switch n.op {
	case tables.FEq:
		return state.Bool(c.eval(n.args[0]).I == c.eval(n.args[1]).I)
	case tables.FNe:
		return state.Bool(c.eval(n.args[0]).I != c.eval(n.args[1]).I)
	case tables.FPrefix:
		return state.Bool(strings.HasPrefix(c.strOf(n.args[0]), c.strOf(n.args[1])))
	case tables.FSuffix:
		return state.Bool(strings.HasSuffix(c.strOf(n.args[0]), c.strOf(n.args[1])))
	case tables.FContains:
		return state.Bool(strings.Contains(c.strOf(n.args[0]), c.strOf(n.args[1])))
	}
	cmp := c.order(n.args[0], n.args[1])
	switch n.op {
	case tables.FLt:
		return state.Bool(cmp < 0)
	case tables.FLe:
		return state.Bool(cmp <= 0)
	case tables.FGt:
		return state.Bool(cmp > 0)
	case tables.FGe:
		return state.Bool(cmp >= 0)
	}
	return state.Value{}
}

// order compares two values as CEL does: strings lexically, ints and bools numerically.
func (c *Ctx) order(x, y *fnode) int {
	if x.typ == tables.TString {
		return strings.Compare(c.strOf(x), c.strOf(y))
	}
	a, b := c.eval(x).I, c.eval(y).I
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// strOf is the text of a string node; literals are read without a lookup.
func (c *Ctx) strOf(n *fnode) string {
	if n.op == tables.FLit {
		return n.str
	}
	return c.Str(c.eval(n).Sym())
}
