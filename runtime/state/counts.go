package state

import (
	"pvsc.dev/pvsc/tables"
)

// counts keeps, for every fact some property depends on, how many records
// make it true in each scope (or in the whole cloud), so that a scope's
// configuration is a handful of array reads.
type counts struct {
	s *Store
	// slots[i] is one counted fact: (kind, entity/link, scope type or -1 for global).
	slots []slot
	// byScope[S] maps a scope id of scope type S to its counters, one per local slot of S; nil when S is no scope.
	byScope []*scopeCounts
	global  []int32
	// perEntity[e] lists the slots a record of entity e counts towards when it exists.
	perEntity [][]int32
	// links[e][a] is the link state of attribute a of entity e, when it is a counted link.
	links [][]*linkState
	// targets[e] lists the link attributes whose values refer to entity e.
	targets [][]*linkState
	// members[e] indexes e's records by scope, for rebuilding watchlists.
	members [][]*memberIndex
	// scopeOf[e][S] is the scope each record of e was counted under, per scope type.
	scopeOf [][]scopeCol
	changed []ScopeRef
}

type slot struct {
	kind   tables.FactKind
	entity int32
	attr   int32
	scope  int32 // scope entity; -1 = global
	local  int32 // index among scope's local slots; for global slots, index in global
}

type scopeCounts struct {
	index symIndex // scope id → offset/width
	width int
	cnt   []int32
}

type scopeCol struct {
	scope int32
	sym   []Sym
}

type linkState struct {
	entity, attr, target int32
	linked               []bool          // per row of entity
	refs                 map[Sym][]int32 // target id → rows referring to it
	slots                []int32         // slots counting linked records
}

type memberIndex struct {
	scope int32
	index symIndex  // scope id → its list
	rows  [][]int32 // by list: the rows in that scope
	pos   []int32   // row → position in its scope's list
}

// ScopeRef names one scope instance: a scope entity type and the id.
type ScopeRef struct {
	Entity int32
	ID     Sym
}

func newCounts(s *Store, spec *tables.Spec, model int32) *counts {
	m := s.Model
	c := &counts{
		s: s, byScope: make([]*scopeCounts, len(m.Entities)),
		perEntity: make([][]int32, len(m.Entities)),
		links:     make([][]*linkState, len(m.Entities)),
		targets:   make([][]*linkState, len(m.Entities)),
		members:   make([][]*memberIndex, len(m.Entities)),
		scopeOf:   make([][]scopeCol, len(m.Entities)),
	}
	for _, p := range spec.Properties {
		if p.Model != model {
			continue
		}
		for _, f := range p.Facts {
			c.slotFor(f, p.Scope)
		}
		for _, in := range p.Watchlist.Inits {
			if in.Entity >= 0 {
				c.memberIndexFor(in.Entity, p.Scope)
			}
		}
	}
	return c
}

// slotFor finds or adds the slot counting fact f under scope entity scope.
func (c *counts) slotFor(f tables.Fact, scope int32) int32 {
	sl := slot{kind: f.Kind, entity: f.Entity, attr: -1, scope: -1}
	if f.Kind == tables.Linked {
		sl.entity, sl.attr = f.Link.Entity, f.Link.Attr
	}
	if f.Local {
		sl.scope = scope
	}
	for i, x := range c.slots {
		if x.kind == sl.kind && x.entity == sl.entity && x.attr == sl.attr && x.scope == sl.scope {
			return int32(i)
		}
	}
	if sl.scope < 0 {
		sl.local = int32(len(c.global))
		c.global = append(c.global, 0)
	} else {
		sc := c.scopeCountsFor(sl.scope)
		sl.local = int32(sc.width)
		sc.width++
		c.scopeColFor(sl.entity, sl.scope)
	}
	id := int32(len(c.slots))
	c.slots = append(c.slots, sl)
	if sl.kind == tables.Exists {
		c.perEntity[sl.entity] = append(c.perEntity[sl.entity], id)
	} else {
		ls := c.linkFor(sl.entity, sl.attr)
		ls.slots = append(ls.slots, id)
	}
	return id
}

func (c *counts) scopeCountsFor(scope int32) *scopeCounts {
	sc := c.byScope[scope]
	if sc == nil {
		sc = &scopeCounts{}
		c.byScope[scope] = sc
	}
	return sc
}

func (c *counts) scopeColFor(e, scope int32) {
	for _, col := range c.scopeOf[e] {
		if col.scope == scope {
			return
		}
	}
	c.scopeOf[e] = append(c.scopeOf[e], scopeCol{scope: scope})
}

func (c *counts) linkFor(e, attr int32) *linkState {
	if c.links[e] == nil {
		c.links[e] = make([]*linkState, len(c.s.Model.Entities[e].Attrs))
	}
	if ls := c.links[e][attr]; ls != nil {
		return ls
	}
	target := c.s.Model.Entities[e].Attrs[attr].Type.Ref
	ls := &linkState{entity: e, attr: attr, target: target, refs: map[Sym][]int32{}}
	c.links[e][attr] = ls
	c.targets[target] = append(c.targets[target], ls)
	return ls
}

func (c *counts) memberIndexFor(e, scope int32) {
	for _, mi := range c.members[e] {
		if mi.scope == scope {
			return
		}
	}
	c.members[e] = append(c.members[e], &memberIndex{scope: scope})
	c.scopeColFor(e, scope)
}

// scopeSym is the scope a record was counted under for scope type scope.
func (c *counts) scopeSym(e, row, scope int32) Sym {
	for _, col := range c.scopeOf[e] {
		if col.scope == scope {
			return col.sym[row]
		}
	}
	return 0
}

// inserted counts a new record: its existence, its scopes, its membership and links to it.
func (c *counts) inserted(e, row int32) {
	for i := range c.scopeOf[e] {
		col := &c.scopeOf[e][i]
		for int(row) >= len(col.sym) {
			col.sym = append(col.sym, 0)
		}
		col.sym[row] = c.s.ancestor(e, row, col.scope)
	}
	for _, sl := range c.perEntity[e] {
		c.add(sl, e, row, 1)
	}
	for _, mi := range c.members[e] {
		mi.insert(row, c.scopeSym(e, row, mi.scope))
	}
	for _, ls := range c.links[e] {
		if ls != nil {
			for int(row) >= len(ls.linked) {
				ls.linked = append(ls.linked, false)
			}
			ls.linked[row] = false
		}
	}
	c.relink(e, c.s.ID(e, row), true)
}

// scopeChanging uncounts what of a record depends on its scopes (its
// existence, its membership, its own links) before its ancestors change.
func (c *counts) scopeChanging(e, row int32) {
	for _, sl := range c.perEntity[e] {
		c.add(sl, e, row, -1)
	}
	for _, mi := range c.members[e] {
		mi.remove(row, c.scopeSym(e, row, mi.scope))
	}
	c.linkedSlots(e, row, -1)
}

// scopeChanged counts them again under the record's new scopes.
func (c *counts) scopeChanged(e, row int32) {
	for i := range c.scopeOf[e] {
		col := &c.scopeOf[e][i]
		col.sym[row] = c.s.ancestor(e, row, col.scope)
	}
	for _, sl := range c.perEntity[e] {
		c.add(sl, e, row, 1)
	}
	for _, mi := range c.members[e] {
		mi.insert(row, c.scopeSym(e, row, mi.scope))
	}
	c.linkedSlots(e, row, 1)
}

// linkedSlots adds d to the link counts of the record's links that hold.
func (c *counts) linkedSlots(e, row, d int32) {
	for _, ls := range c.links[e] {
		if ls != nil && ls.linked[row] {
			for _, sl := range ls.slots {
				c.add(sl, e, row, d)
			}
		}
	}
}

// removing uncounts a record about to be deleted.
func (c *counts) removing(e, row int32) {
	for _, sl := range c.perEntity[e] {
		c.add(sl, e, row, -1)
	}
	for _, mi := range c.members[e] {
		mi.remove(row, c.scopeSym(e, row, mi.scope))
	}
	for a, ls := range c.links[e] {
		if ls != nil {
			c.unref(ls, row, c.s.Attr(e, row, int32(a)).Sym())
			c.setLinked(ls, row, false)
		}
	}
	c.relink(e, c.s.ID(e, row), false)
}

// attrChanged keeps a link attribute's reverse index and linked flag right.
func (c *counts) attrChanged(e, row, attr int32, old Value) {
	if c.links[e] == nil || c.links[e][attr] == nil {
		return
	}
	ls := c.links[e][attr]
	c.unref(ls, row, old.Sym())
	v := c.s.Attr(e, row, attr).Sym()
	if v != 0 {
		ls.refs[v] = append(ls.refs[v], row)
	}
	c.setLinked(ls, row, v != 0 && c.s.Exists(ls.target, v))
}

func (c *counts) unref(ls *linkState, row int32, v Sym) {
	if v == 0 {
		return // an empty link is in no list
	}
	rows := ls.refs[v]
	for i, r := range rows {
		if r == row {
			rows[i] = rows[len(rows)-1]
			rows = rows[:len(rows)-1]
			break
		}
	}
	if len(rows) == 0 {
		delete(ls.refs, v)
	} else {
		ls.refs[v] = rows
	}
}

// relink re-evaluates the links that refer to id after a record of e appeared (exists) or before it goes away.
func (c *counts) relink(e int32, id Sym, exists bool) {
	for _, ls := range c.targets[e] {
		for _, r := range ls.refs[id] {
			c.setLinked(ls, r, exists)
		}
	}
}

func (c *counts) setLinked(ls *linkState, row int32, linked bool) {
	if ls.linked[row] == linked {
		return
	}
	ls.linked[row] = linked
	d := int32(-1)
	if linked {
		d = 1
	}
	for _, sl := range ls.slots {
		c.add(sl, ls.entity, row, d)
	}
}

// add changes a slot's count for the scope the record is counted under, recording the change.
func (c *counts) add(slotID, e, row, d int32) {
	sl := c.slots[slotID]
	if sl.scope < 0 {
		c.global[sl.local] += d
		c.markChanged(ScopeRef{Entity: -1})
		return
	}
	sym := c.scopeSym(e, row, sl.scope)
	if sym == 0 {
		return
	}
	sc := c.byScope[sl.scope]
	i, added := sc.index.add(sym)
	if added {
		sc.cnt = append(sc.cnt, make([]int32, sc.width)...)
	}
	sc.cnt[int(i)*sc.width+int(sl.local)] += d
	c.markChanged(ScopeRef{Entity: sl.scope, ID: sym})
}

func (c *counts) markChanged(r ScopeRef) {
	for _, x := range c.changed {
		if x == r {
			return
		}
	}
	c.changed = append(c.changed, r)
}

func (c *counts) resetChanged() { c.changed = c.changed[:0] }

// Changed lists the scopes whose fact counts the last Apply changed; Entity -1 means a cloud-wide count changed.
func (s *Store) Changed() []ScopeRef { return s.cnt.changed }

// Count is how many records make a fact true in a scope (or in the whole cloud for a global fact).
func (s *Store) Count(f tables.Fact, scope int32, id Sym) int32 {
	sc := -1
	if f.Local {
		sc = int(scope)
	}
	for i, sl := range s.cnt.slots {
		if sl.kind != f.Kind || int(sl.scope) != sc {
			continue
		}
		if (f.Kind == tables.Exists && sl.entity == f.Entity) || (f.Kind == tables.Linked && sl.entity == f.Link.Entity && sl.attr == f.Link.Attr) {
			return s.cnt.value(int32(i), id)
		}
	}
	return 0
}

func (c *counts) value(slotID int32, id Sym) int32 {
	sl := c.slots[slotID]
	if sl.scope < 0 {
		return c.global[sl.local]
	}
	sc := c.byScope[sl.scope]
	i, ok := sc.index.get(id)
	if !ok {
		return 0
	}
	return sc.cnt[int(i)*sc.width+int(sl.local)]
}

// FactSlots resolves a property's facts to counter slots once, for Mask.
func (s *Store) FactSlots(p *tables.Property) []int32 {
	out := make([]int32, len(p.Facts))
	for i, f := range p.Facts {
		out[i] = s.cnt.slotFor(f, p.Scope)
	}
	return out
}

// Mask is the configuration of a scope: bit i is set when fact i holds. slots comes from FactSlots.
func (s *Store) Mask(slots []int32, scope int32, id Sym) uint32 {
	var mask uint32
	local := s.cnt.localCounts(scope, id)
	for i, slotID := range slots {
		sl := s.cnt.slots[slotID]
		var n int32
		switch {
		case sl.scope < 0:
			n = s.cnt.global[sl.local]
		case local != nil:
			n = local[sl.local]
		}
		if n > 0 {
			mask |= 1 << uint(i)
		}
	}
	return mask
}

// localCounts is the counter row of one scope, nil when nothing was counted there.
func (c *counts) localCounts(scope int32, id Sym) []int32 {
	if scope < 0 || c.byScope[scope] == nil {
		return nil
	}
	sc := c.byScope[scope]
	i, ok := sc.index.get(id)
	if !ok {
		return nil
	}
	off := int(i) * sc.width
	return sc.cnt[off : off+sc.width]
}

// Members lists the rows of entity e's records in scope id of scope type scope (for rebuilding watchlists).
func (s *Store) Members(e, scope int32, id Sym) []int32 {
	for _, mi := range s.cnt.members[e] {
		if mi.scope == scope {
			return mi.list(id)
		}
	}
	return nil
}

func (mi *memberIndex) insert(row int32, scope Sym) {
	for int(row) >= len(mi.pos) {
		mi.pos = append(mi.pos, -1)
	}
	if scope == 0 {
		mi.pos[row] = -1
		return
	}
	i, added := mi.index.add(scope)
	if added {
		mi.rows = append(mi.rows, nil)
	}
	mi.pos[row] = int32(len(mi.rows[i]))
	mi.rows[i] = append(mi.rows[i], row)
}

// list is the rows in scope id; a scope keeps its (possibly empty) list for good.
func (mi *memberIndex) list(id Sym) []int32 {
	if i, ok := mi.index.get(id); ok {
		return mi.rows[i]
	}
	return nil
}

func (mi *memberIndex) remove(row int32, scope Sym) {
	p := mi.pos[row]
	if p < 0 {
		return
	}
	i, _ := mi.index.get(scope)
	rows := mi.rows[i]
	last := rows[len(rows)-1]
	rows[p] = last
	mi.pos[last] = p
	mi.rows[i] = rows[:len(rows)-1]
	mi.pos[row] = -1
}
