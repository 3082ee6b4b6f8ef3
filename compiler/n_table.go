package compiler

import (
	"math/bits"
	"sort"

	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/abstract"
)

// step is an abstract transition: when pre holds, the event may add gain.
type step struct{ pre, gain uint32 }

// computeN fills Model-N-property: for every configuration, the length of the
// shortest event sequence, the critical event included, until a critical event can occur.
func (c *compiler) computeN() {
	for _, a := range c.analyses() {
		a.nTable()
		for a.dropIrrelevant() {
			a.nTable()
		}
	}
}

// dropIrrelevant removes one fact the distance never depends on (the
// backward closure is conservative); it reports whether it removed one.
func (a *analysis) dropIrrelevant() bool {
	for i := range a.keys {
		bit := uint32(1) << uint(i)
		relevant := false
		for m := range a.p.NTable {
			if a.p.NTable[m] != a.p.NTable[uint32(m)|bit] {
				relevant = true
				break
			}
		}
		if !relevant {
			a.dropped[a.keys[i]] = true
			a.keys = append(a.keys[:i], a.keys[i+1:]...)
			a.p.Facts = append(a.p.Facts[:i], a.p.Facts[i+1:]...)
			a.index = map[factKey]int{}
			for j, k := range a.keys {
				a.index[k] = j
			}
			return true
		}
	}
	return false
}

func (a *analysis) steps() []step {
	var out []step
	for i := range a.m.Events {
		ev := &a.m.Events[i]
		p, ok := a.mask(abstract.Pre(a.m, ev))
		if !ok {
			continue
		}
		var g uint32
		for _, k := range abstract.Gains(a.m, ev) {
			if b, ok := a.bit(k); ok {
				g |= b
			}
		}
		if g != 0 {
			out = append(out, step{pre: p, gain: g})
		}
	}
	return out
}

func (a *analysis) goals() []uint32 {
	var out []uint32
	for _, cr := range a.p.Criticals {
		if g, ok := a.mask(a.goal(cr)); ok {
			out = append(out, g)
		}
	}
	return out
}

// nTable computes distances by dynamic programming: gains only add bits, so
// every successor of a mask is numerically larger and already computed.
func (a *analysis) nTable() {
	size := 1 << uint(len(a.keys))
	dist := make([]int, size)
	steps, goals := a.steps(), a.goals()
	const inf = 1 << 30
	for m := size - 1; m >= 0; m-- {
		dist[m] = inf
		if reachesGoal(uint32(m), goals) {
			dist[m] = 0
			continue
		}
		for _, s := range steps {
			next := uint32(m) | s.gain
			if s.pre&^uint32(m) == 0 && next != uint32(m) && dist[next]+1 < dist[m] {
				dist[m] = dist[next] + 1
			}
		}
	}
	a.p.NTable = make([]int8, size)
	for m, d := range dist {
		if d < inf {
			a.p.NTable[m] = int8(min(d+1, 127))
		}
	}
	a.p.NMax = int32(a.p.NTable[0])
	if a.p.Threshold == 0 { // a derived plan without a threshold: every scope is ready (its watchlist is empty)
		a.p.Threshold = max(a.p.NMax, 1)
	}
	a.p.Configs = a.reachable(steps)
}

func reachesGoal(m uint32, goals []uint32) bool {
	for _, g := range goals {
		if g&^m == 0 {
			return true
		}
	}
	return false
}

// reachable lists the configurations reachable from the root, as Model-N-property rows.
func (a *analysis) reachable(steps []step) []tables.Config {
	seen := map[uint32]bool{0: true}
	queue := []uint32{0}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		for _, s := range steps {
			if next := m | s.gain; s.pre&^m == 0 && !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	var out []tables.Config
	for m := range seen {
		out = append(out, tables.Config{Mask: m, N: int32(a.p.NTable[m])})
	}
	sort.Slice(out, func(i, j int) bool {
		ni, nj := effN(out[i].N), effN(out[j].N)
		if ni != nj {
			return ni > nj
		}
		pi, pj := bits.OnesCount32(out[i].Mask), bits.OnesCount32(out[j].Mask)
		if pi != pj {
			return pi < pj
		}
		return out[i].Mask < out[j].Mask
	})
	return out
}

// effN orders unreachable configurations (N = 0) after all others.
func effN(n int32) int32 {
	if n == noN {
		return -1
	}
	return n
}
