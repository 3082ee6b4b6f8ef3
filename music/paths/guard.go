package paths

import (
	"log/slog"
	"sync"

	"pvsc.dev/pvsc/music/neutral"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
)

// Guard is the keeper as pvsc serve runs it (server/feed.Gate): the decision API asks it, on
// many goroutines, whether a step the properties allow leaves every admissible path, while
// the event pipeline tells it, in order, what was applied. Asking is a lookup under a read
// lock; the recounts run on the pipeline's side. The keeper's alerts (a workflow that lost
// its last admissible path, or has one again) are logged as they are raised.
type Guard struct {
	e   *runtime.Engine
	log *slog.Logger
	mu  sync.RWMutex
	k   *Keeper
}

// NewGuard keeps the admissible paths of the workflows the engine holds (none before its
// first context is loaded: Reloaded counts them).
func NewGuard(e *runtime.Engine, log *slog.Logger) (*Guard, error) {
	k, alerts, err := NewKeeper(e)
	if err != nil {
		return nil, err
	}
	g := &Guard{e: e, log: log, k: k}
	g.report(alerts)
	return g, nil
}

// Refuse refuses a workflow step that leaves every admissible path of its workflow.
func (g *Guard) Refuse(op *runtime.Op) (kind, message string, refused bool) {
	if !isStep(g.event(op)) {
		return "", "", false
	}
	nop := neutral.Of(g.e, op)
	g.mu.RLock()
	a, off := g.k.Before(nop)
	g.mu.RUnlock()
	return a.Kind, a.Message, off
}

// Applied counts an applied step on and recounts on what can change a workflow's paths.
func (g *Guard) Applied(op *runtime.Op) {
	ev := g.event(op)
	if !isStep(ev) && !recounts[ev] {
		return
	}
	nop := neutral.Of(g.e, op)
	g.mu.Lock()
	alerts := g.k.After(nop, nil)
	g.mu.Unlock()
	g.report(alerts)
}

// Reloaded recounts every workflow of a new context.
func (g *Guard) Reloaded() {
	g.mu.Lock()
	alerts, err := g.k.recount("the context was loaded")
	g.mu.Unlock()
	if err != nil {
		alerts = append(alerts, trust.Alert{Kind: "error", Message: err.Error()})
	}
	g.report(alerts)
}

// Counts are the admissible paths of each registered workflow, by id.
func (g *Guard) Counts() map[string]uint64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.k.Counts()
}

func (g *Guard) event(op *runtime.Op) string {
	return g.e.Spec().Models[op.Model].Events[op.Event].Name
}

func (g *Guard) report(alerts []trust.Alert) {
	for _, a := range alerts {
		g.log.Warn("admissible paths: "+a.Message, "kind", a.Kind, "subject", a.Subject)
	}
}
