package runtime

import "slices"

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

// shard holds the watchlists of the scopes whose id hashes to it. Shards
// keep each map small (cheap growth, no long rehash pause at a million
// scopes); they need no lock of their own: maps change only under the
// engine's write lock, and readers hold its read lock.
type shard struct {
	m map[sym]wlist
}

func shardOf(s sym) int { return int(uint32(s) * 0x9E3779B1 >> (32 - shardBits)) }

// get finds a scope's watchlist (engine lock held, for reading or writing).
func (pw *propWorld) get(s sym) (wlist, bool) {
	l, ok := pw.shards[shardOf(s)].m[s]
	return l, ok
}

// put stores a scope's watchlist (engine write lock held).
func (pw *propWorld) put(s sym, l wlist) {
	sh := &pw.shards[shardOf(s)]
	if sh.m == nil {
		sh.m = map[sym]wlist{}
	}
	sh.m[s] = l
}

// drop removes a scope's watchlist (write lock held).
func (pw *propWorld) drop(s sym) bool {
	sh := &pw.shards[shardOf(s)]
	if _, ok := sh.m[s]; !ok {
		return false
	}
	delete(sh.m, s)
	return true
}

// eachWatchlist visits every scope with a watchlist (write lock held; fn must not add or drop).
func (pw *propWorld) eachWatchlist(fn func(s sym, l *wlist)) {
	for i := range pw.shards {
		for s, l := range pw.shards[i].m {
			fn(s, &l)
		}
	}
}

// rebuild builds scope s's watchlist from the context (SEMANTICS.md §6, Rebuild).
func (c *Ctx) rebuild(pw *propWorld, s sym, n int32) wlist {
	p := pw.rt
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
