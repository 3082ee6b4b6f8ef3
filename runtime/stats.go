package runtime

import (
	"sync/atomic"
	"time"
)

// Phase is a stage of processing an operation, as in the paper's Fig. 9.
type Phase uint8

// Phases the engine measures; interception (decoding and matching) is measured by whoever decodes.
const (
	PhaseNStep     Phase = iota // scope resolution, context update and N-cp lookups
	PhaseWatchlist              // watchlist rebuilds, adds, removes and drops
	PhaseDetect                 // critical conditions and allow rules
	numPhases
)

const (
	phNStep     = PhaseNStep
	phWatchlist = PhaseWatchlist
	phDetect    = PhaseDetect
)

var phaseNames = [...]string{PhaseNStep: "n-step evaluation", PhaseWatchlist: "watchlist update", PhaseDetect: "violation detection"}

func (p Phase) String() string { return phaseNames[p] }

// Stats counts what the engine did since it was built.
type Stats struct {
	SlowPaths int64 // critical operations in a scope without a watchlist
	Rebuilds  int64 // watchlists built from the context (initialisation excluded)
	Drops     int64 // watchlists dropped as their scope moved above N-th
	Adds      int64 // elements added by watchlist rules
	Removes   int64 // elements removed by watchlist rules
	Malformed int64 // operations refused: a where guard or a required id failed
	// Phases is the time spent per phase, when Options.Timing is on.
	Phases [numPhases]time.Duration
}

type counters struct {
	slowPaths, rebuilds, drops, adds, removes, malformed atomic.Int64
	phases                                               [numPhases]atomic.Int64
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := Stats{
		SlowPaths: e.stats.slowPaths.Load(), Rebuilds: e.stats.rebuilds.Load(), Drops: e.stats.drops.Load(),
		Adds: e.stats.adds.Load(), Removes: e.stats.removes.Load(), Malformed: e.stats.malformed.Load(),
	}
	for i := range s.Phases {
		s.Phases[i] = time.Duration(e.stats.phases[i].Load())
	}
	return s
}

// clock splits the time of one operation into phases; it reads the clock only when timing is on.
type clock struct {
	on   bool
	cur  Phase
	last time.Time
	acc  [numPhases]time.Duration
}

func (c *Ctx) timing(on bool, p Phase) {
	c.clk.on, c.clk.cur = on, p
	if on {
		c.clk.last = time.Now()
	}
}

func (c *Ctx) phase(p Phase) {
	if !c.clk.on {
		return
	}
	now := time.Now()
	c.clk.acc[c.clk.cur] += now.Sub(c.clk.last)
	c.clk.last, c.clk.cur = now, p
}

func (e *Engine) stopClock(c *Ctx) {
	if !c.clk.on {
		return
	}
	c.phase(c.clk.cur)
	for i, d := range c.clk.acc {
		if d != 0 {
			e.stats.phases[i].Add(int64(d))
		}
	}
	c.clk = clock{}
}
