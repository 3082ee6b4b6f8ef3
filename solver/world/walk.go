package world

import (
	"pvsc.dev/pvsc/solver/sym"
)

// PathsTo lists the parent-index paths from entity e to entity target, in the
// order a breadth-first walk over records meets them: by length, then by
// parent order at each level.
func (w *World) PathsTo(e, target int32) [][]int32 {
	key := [2]int32{e, target}
	if ps, ok := w.paths[key]; ok {
		return ps
	}
	type item struct {
		t    int32
		path []int32
	}
	var out [][]int32
	queue := []item{{t: e}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for pi, p := range w.M.Entities[it.t].Parents {
			path := append(append([]int32(nil), it.path...), int32(pi))
			if p == target {
				out = append(out, path)
				continue
			}
			queue = append(queue, item{t: p, path: path})
		}
	}
	w.paths[key] = out
	return out
}

// Ancestor is slot i's ancestor of entity a: the id fixed when the record
// was created (or filled in later), "" when unknown (SEMANTICS §1).
func (st *State) Ancestor(e, i, a int32) sym.Scalar {
	if k := st.W.ancPos(e, a); k >= 0 {
		return st.Anc[e][i][k]
	}
	return st.W.B.Const(0)
}

// AncestorOrSelf is the slot's own id when it is an a, else its a-ancestor.
func (st *State) AncestorOrSelf(e, i, a int32) sym.Scalar {
	if e == a {
		return st.W.B.Const(st.W.IDs[e][i])
	}
	return st.Ancestor(e, i, a)
}

// Resolve is the ancestors a record of entity e with parent ids parents
// gets when it is created on this state: for each ancestor type, the first
// id of that type met breadth-first over the parents (a parent counts by its
// id even when it has no record, but only records are walked through).
func (st *State) Resolve(e int32, parents []sym.Scalar) []sym.Scalar {
	anc := st.W.M.Entities[e].Ancestors
	out := make([]sym.Scalar, len(anc))
	for k, a := range anc {
		out[k] = st.walk(e, parents, a)
	}
	return out
}

// ResolveAll sets every slot's ancestors from its parents as the state has
// them: the ancestors a snapshot's records get when it is loaded (parents
// before children).
func (st *State) ResolveAll() {
	for e := range st.Anc {
		for i := range st.Anc[e] {
			st.Anc[e][i] = st.Resolve(int32(e), st.Parents[e][i])
		}
	}
}

// walk finds the first id of entity target breadth-first from the parent ids
// first of a record of entity e.
func (st *State) walk(e int32, first []sym.Scalar, target int32) sym.Scalar {
	b := st.W.B
	v := b.Const(0)
	paths := st.W.PathsTo(e, target)
	for k := len(paths) - 1; k >= 0; k-- {
		id := st.follow(e, first, paths[k])
		v = b.IteS(b.Is(id, 0).Not(), id, v)
	}
	return v
}

// follow is the id at the end of a path, "" when a record on the way is missing.
func (st *State) follow(e int32, first []sym.Scalar, path []int32) sym.Scalar {
	b := st.W.B
	id := first[path[0]]
	t := st.W.ParentType(e, int(path[0]))
	for _, p := range path[1:] {
		rec := st.Lookup(t, id)
		tt, pp := t, p
		id = b.Select(rec, func(slot int32) sym.Val { return sym.Str(st.Parents[tt][slot][pp]) }, sym.Str(b.Const(0))).S
		t = st.W.ParentType(t, int(p))
	}
	return id
}
