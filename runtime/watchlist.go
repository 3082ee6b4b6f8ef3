package runtime

import (
	"slices"
	"time"
)

// smallMax is the size up to which a watchlist is a plain slice scanned
// linearly: a scope holds about ten elements, and a scan of a few cache lines
// beats hashing while costing 8 bytes an element.
const smallMax = 32

// key packs a watchlist element: an id, or a pair of ids.
func key(a, b sym) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func unkey(k uint64) (a, b sym) { return sym(int32(uint32(k >> 32))), sym(int32(uint32(k))) }

// wlist is one scope's watchlist and the N-cp it was kept at. It is stored by
// value in its shard's map; only the write-locked engine mutates one in place.
type wlist struct {
	small []uint64
	big   map[uint64]struct{}
	n     int8
}

func newWList(elems []uint64, n int32) wlist {
	slices.Sort(elems)
	elems = slices.Compact(elems)
	l := wlist{n: int8(n)}
	if len(elems) <= smallMax {
		l.small = slices.Clone(elems)
		return l
	}
	l.big = make(map[uint64]struct{}, len(elems))
	for _, k := range elems {
		l.big[k] = struct{}{}
	}
	return l
}

func (l *wlist) has(k uint64) bool {
	if l.big != nil {
		_, ok := l.big[k]
		return ok
	}
	for _, x := range l.small {
		if x == k {
			return true
		}
	}
	return false
}

func (l *wlist) add(k uint64) {
	switch {
	case l.has(k):
	case l.big != nil:
		l.big[k] = struct{}{}
	case len(l.small) < smallMax:
		l.small = append(l.small, k)
	default:
		l.big = make(map[uint64]struct{}, 2*smallMax)
		for _, x := range l.small {
			l.big[x] = struct{}{}
		}
		l.big[k] = struct{}{}
		l.small = nil
	}
}

func (l *wlist) remove(k uint64) {
	if l.big != nil {
		delete(l.big, k)
		return
	}
	for i, x := range l.small {
		if x == k {
			last := len(l.small) - 1
			l.small[i] = l.small[last]
			l.small = l.small[:last]
			return
		}
	}
}

func (l *wlist) len() int {
	if l.big != nil {
		return len(l.big)
	}
	return len(l.small)
}

func (l *wlist) each(fn func(k uint64)) {
	if l.big != nil {
		for k := range l.big {
			fn(k)
		}
		return
	}
	for _, k := range l.small {
		fn(k)
	}
}

// shardBits sets 64 watchlist shards per property.
const shardBits = 6

// shard holds the watchlists of the scopes whose id hashes to it, in an
// open-addressing table (linear probing, at most half full): a decision finds
// its scope's watchlist in one or two adjacent slots, one cache miss where a
// Go map costs several at a hundred thousand scopes. Shards keep each table
// small, so growing one rehashes a 64th of the scopes under the write lock.
// They need no lock of their own: tables change only under the engine's
// write lock, and readers hold its read lock.
type shard struct {
	slots []wslot // a power of two long, or empty
	used  int
}

// wslot is one scope's watchlist, flattened so that a slot is 40 bytes.
type wslot struct {
	small []uint64
	big   map[uint64]struct{}
	n     int8
	scope sym // 0: a free slot
}

// hashOf spreads scope ids (which are dense and often evenly spaced) over
// shards, from the top bits, and slots, from the bits below them.
func hashOf(s sym) uint64 { return uint64(uint32(s)) * 0x9E3779B97F4A7C15 }

func shardOf(h uint64) int { return int(h >> (64 - shardBits)) }

// find is the slot of scope s, or of the free slot where it would go.
func (sh *shard) find(s sym, h uint64) int {
	mask := len(sh.slots) - 1
	i := int(h<<shardBits>>32) & mask
	for sh.slots[i].scope != s && sh.slots[i].scope != 0 {
		i = (i + 1) & mask
	}
	return i
}

// get finds a scope's watchlist (engine lock held, for reading or writing).
func (pw *propWorld) get(s sym) (wlist, bool) {
	h := hashOf(s)
	sh := &pw.shards[shardOf(h)]
	if len(sh.slots) == 0 || s == 0 {
		return wlist{}, false
	}
	sl := &sh.slots[sh.find(s, h)]
	if sl.scope == 0 {
		return wlist{}, false
	}
	return wlist{small: sl.small, big: sl.big, n: sl.n}, true
}

// put stores a scope's watchlist (engine write lock held).
func (pw *propWorld) put(s sym, l wlist) {
	if s == 0 {
		return // no operation has scope 0; see Engine.critical
	}
	h := hashOf(s)
	sh := &pw.shards[shardOf(h)]
	if 2*(sh.used+1) > len(sh.slots) {
		sh.grow()
	}
	sl := &sh.slots[sh.find(s, h)]
	if sl.scope == 0 {
		sh.used++
	}
	*sl = wslot{small: l.small, big: l.big, n: l.n, scope: s}
}

func (sh *shard) grow() {
	old := sh.slots
	sh.slots = make([]wslot, max(8, 2*len(old)))
	for _, sl := range old {
		if sl.scope != 0 {
			sh.slots[sh.find(sl.scope, hashOf(sl.scope))] = sl
		}
	}
}

// drop removes a scope's watchlist (write lock held).
func (pw *propWorld) drop(s sym) bool {
	h := hashOf(s)
	sh := &pw.shards[shardOf(h)]
	if len(sh.slots) == 0 || s == 0 {
		return false
	}
	i := sh.find(s, h)
	if sh.slots[i].scope == 0 {
		return false
	}
	sh.used--
	// Backward-shift deletion: move up every later slot of the run that
	// may sit in the freed one, so that probes need no tombstones.
	mask := len(sh.slots) - 1
	for j := (i + 1) & mask; sh.slots[j].scope != 0; j = (j + 1) & mask {
		home := int(hashOf(sh.slots[j].scope)<<shardBits>>32) & mask
		if (j-home)&mask >= (j-i)&mask {
			sh.slots[i] = sh.slots[j]
			i = j
		}
	}
	sh.slots[i] = wslot{}
	return true
}

// eachWatchlist visits every scope with a watchlist (write lock held; fn must not add or drop).
func (pw *propWorld) eachWatchlist(fn func(s sym, l *wlist)) {
	for i := range pw.shards {
		for _, sl := range pw.shards[i].slots {
			if sl.scope != 0 {
				fn(sl.scope, &wlist{small: sl.small, big: sl.big, n: sl.n})
			}
		}
	}
}

// dropAll forgets every watchlist (write lock held).
func (pw *propWorld) dropAll() {
	for i := range pw.shards {
		pw.shards[i] = shard{}
	}
}

// rebuild builds scope s's watchlist from the context (SEMANTICS.md §6, Rebuild).
func (c *Ctx) rebuild(pw *propWorld, s sym, n int32) wlist {
	p := pw.rt
	if p.rareInit != nil {
		defer countRare([]*rareCounter{p.rareInit}, time.Now())
	}
	saved := c.scope
	c.scope = s
	buf := c.scratch[:0]
	for _, in := range p.inits {
		if in.entity < 0 {
			buf = c.elems(in.x, buf)
			continue
		}
		for _, row := range c.st.Members(in.entity, p.t.Scope, s) {
			c.elemE, c.elemRow = in.entity, row
			if c.test(in.x) {
				buf = append(buf, key(c.st.ID(in.entity, row), 0))
			}
		}
	}
	c.elemE, c.elemRow = -1, -1
	c.scope = saved
	c.scratch = buf
	return newWList(buf, n)
}
