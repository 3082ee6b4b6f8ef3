package paths

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"pvsc.dev/pvsc/music/neutral"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
)

// Alert kinds the watchers of this package raise.
const (
	KindStranded  = "stranded_data"      // a trust drop left data above its provider's level
	KindNoPath    = "no_admissible_path" // a workflow lost its last admissible path
	KindPathAgain = "admissible_path"    // a workflow without one has one again
	KindOffPath   = "step_off_path"      // a step was handed where no admissible path goes
)

// recounts are the events that can change a workflow's admissible paths: the trust levels,
// the registry, the workflows and their data.
var recounts = map[string]bool{
	"set_trust": true, "register_provider": true, "deregister_provider": true, "register_service": true,
	"deregister_service": true, "create_workflow": true, "create_data": true, "delete_data": true,
}

// Keeper keeps the admissible paths of every registered workflow (a workflow record with its
// steps' kinds) as trust levels and the registry change: a trust drop that removes a
// workflow's last admissible path raises an alert when it happens, before any step of the
// workflow is attempted; and a step handed where no admissible path goes is the critical
// event, refused before it runs (Before) by a lookup of the candidates kept for its place.
type Keeper struct {
	e    *runtime.Engine
	kept map[string]*kept // workflow → what is kept of it
}

// kept is one registered workflow's admissible candidates per place, recounted only on the
// operations that can change them, and the steps handed so far with their places (their
// number is the next one's place; a step handed again, a re-delivered notification, keeps
// its own).
type kept struct {
	kinds  []string
	total  uint64
	places []place
	handed map[string]int
}

// place is the services, and the providers, admissible for one step of a workflow.
type place struct{ services, providers map[string]bool }

// NewKeeper counts the admissible paths of the workflows the engine holds now.
func NewKeeper(e *runtime.Engine) (*Keeper, []trust.Alert, error) {
	k := &Keeper{e: e, kept: map[string]*kept{}}
	alerts, err := k.recount("")
	return k, alerts, err
}

// Watch makes the feed's watchers (data stranded by a trust drop, and a keeper of every
// registered workflow's admissible paths) and its gate (the keeper, which refuses a step that
// leaves every admissible path); the alerts are what the keeper's start raised.
func Watch(f *trust.Feed) (*Keeper, []trust.Alert, error) {
	k, alerts, err := NewKeeper(f.Engine)
	if err != nil {
		return nil, nil, err
	}
	f.Watchers = []trust.Watcher{Strands{E: f.Engine}, k}
	f.Gates = []trust.Gate{k}
	return k, alerts, nil
}

// Paths are a registered workflow's admissible paths now, the cheapest limit of them; false
// when no workflow of that id names its steps' kinds.
func (k *Keeper) Paths(workflow string, limit int) (Result, bool, error) {
	c, flows, err := k.read()
	if err != nil {
		return Result{}, false, err
	}
	w, ok := flows[workflow]
	if !ok {
		return Result{}, false, nil
	}
	return Admissible(c, w, limit), true, nil
}

// Counts are the admissible paths of each registered workflow, by id.
func (k *Keeper) Counts() map[string]uint64 {
	out := make(map[string]uint64, len(k.kept))
	for id, w := range k.kept {
		out[id] = w.total
	}
	return out
}

// Before refuses a step that leaves every admissible path of its registered workflow: one
// lookup of the candidates kept for the step's place. A step of a workflow that names no
// kinds is not the keeper's to judge (the properties judge its provider).
func (k *Keeper) Before(op neutral.Op) (trust.Alert, bool) {
	if !isStep(op.Event) {
		return trust.Alert{}, false
	}
	a, off := k.judge(op)
	if off {
		a.Message += "; refused before it runs"
	}
	return a, off
}

// After recounts on an operation that can change a workflow's paths and judges a step that
// was applied (a fact the gate could not refuse).
func (k *Keeper) After(op neutral.Op, change *trust.Change) []trust.Alert {
	switch {
	case isStep(op.Event):
		a, off := k.judge(op)
		if w, ok := k.kept[str(op.Params["workflow_id"])]; ok {
			if _, again := w.handed[str(op.Params["step_id"])]; !again {
				w.handed[str(op.Params["step_id"])] = len(w.handed)
			}
		}
		if off {
			return []trust.Alert{a}
		}
	case recounts[op.Event]:
		out, err := k.recount(causeOf(op, change))
		if err != nil {
			out = append(out, trust.Alert{Kind: "error", Message: err.Error()})
		}
		return out
	}
	return nil
}

func isStep(event string) bool { return event == "hand_to_service" || event == "hand_to_provider" }

func causeOf(op neutral.Op, change *trust.Change) string {
	if change != nil {
		return fmt.Sprintf("set_trust %s %s -> %s (%s)", change.Provider, change.From, change.To, change.Cause)
	}
	return op.Event
}

// recount counts every workflow's paths; one that falls to none, or rises from none, is an alert.
func (k *Keeper) recount(cause string) ([]trust.Alert, error) {
	c, flows, err := k.read()
	if err != nil {
		return nil, err
	}
	handed, err := k.handed()
	if err != nil {
		return nil, err
	}
	var out []trust.Alert
	next := map[string]*kept{}
	for _, id := range sortedIDs(flows) {
		r := Admissible(c, flows[id], 0)
		next[id] = keep(r, handed[id])
		before, known := k.kept[id]
		switch {
		case r.Total == 0 && (!known || before.total > 0):
			out = append(out, trust.Alert{Kind: KindNoPath, Subject: id, Message: noPathText(id, r, cause)})
		case r.Total > 0 && known && before.total == 0:
			out = append(out, trust.Alert{Kind: KindPathAgain, Subject: id,
				Message: fmt.Sprintf("workflow %s has %d admissible path(s) again after %s", id, r.Total, cause)})
		}
	}
	k.kept = next
	return out, nil
}

// keep is what a step's judgement looks up: the admissible services and providers per place.
func keep(r Result, handed map[string]int) *kept {
	if handed == nil {
		handed = map[string]int{}
	}
	w := &kept{kinds: r.Workflow.Steps, total: r.Total, places: make([]place, len(r.Steps)), handed: handed}
	for i, st := range r.Steps {
		p := place{services: map[string]bool{}, providers: map[string]bool{}}
		for _, c := range st.Admissible {
			p.services[c.Service], p.providers[c.Provider] = true, true
		}
		w.places[i] = p
	}
	return w
}

func noPathText(id string, r Result, cause string) string {
	var empty []string
	for i, st := range r.Steps {
		if len(st.Admissible) == 0 {
			empty = append(empty, fmt.Sprintf("step %d (%s)", i+1, st.Kind))
		}
	}
	s := fmt.Sprintf("workflow %s has no admissible path: no admissible service for %s", id, strings.Join(empty, ", "))
	if cause != "" {
		s += "; after " + cause
	}
	return s
}

// judge names a step handed where no admissible path of its workflow goes: to a service (or a
// provider) that is not an admissible candidate of its place, its order among the workflow's
// steps; beyond the workflow's last step; or while the workflow has no admissible path.
func (k *Keeper) judge(op neutral.Op) (trust.Alert, bool) {
	wid := str(op.Params["workflow_id"])
	w, ok := k.kept[wid]
	if !ok {
		return trust.Alert{}, false
	}
	svc, prov := str(op.Params["service"]), str(op.Params["provider"])
	step := str(op.Params["step_id"])
	pos, again := w.handed[step]
	if !again {
		pos = len(w.handed)
	}
	if pos >= len(w.kinds) {
		return trust.Alert{Kind: KindOffPath, Subject: wid, Message: fmt.Sprintf("step %s of workflow %s to %s would be step %d of a workflow of %d steps: it leaves every admissible path",
			step, wid, firstOf(svc, prov), pos+1, len(w.kinds))}, true
	}
	p := w.places[pos]
	if w.total > 0 && (svc != "" && p.services[svc] || svc == "" && p.providers[prov]) {
		return trust.Alert{}, false
	}
	return trust.Alert{Kind: KindOffPath, Subject: wid, Message: fmt.Sprintf("step %s of workflow %s (step %d, %s) to %s leaves every admissible path (%d admissible)",
		step, wid, pos+1, w.kinds[pos], firstOf(svc, prov), w.total)}, true
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// handed is the places of the steps each workflow holds, by step id. The places the keeper
// counted as steps were applied stand; a step it has not seen (a context loaded) takes the
// next place in the order of the steps' times, then ids (the context does not keep records
// in arrival order).
func (k *Keeper) handed() (map[string]map[string]int, error) {
	steps, err := k.e.Records("step")
	if err != nil {
		return nil, err
	}
	sort.SliceStable(steps, func(i, j int) bool { return num(steps[i]["at"]) < num(steps[j]["at"]) })
	out := map[string]map[string]int{}
	for _, s := range steps {
		wid, id := str(s["workflow"]), str(s["id"])
		w := out[wid]
		if w == nil {
			w = map[string]int{}
			if before, ok := k.kept[wid]; ok {
				maps.Copy(w, before.handed)
			}
			out[wid] = w
		}
		if _, ok := w[id]; !ok {
			w[id] = len(w)
		}
	}
	return out, nil
}

// read is the community and every registered workflow that names its steps' kinds.
func (k *Keeper) read() (Community, map[string]Workflow, error) {
	c, err := FromEngine(k.e)
	if err != nil {
		return c, nil, err
	}
	recs, err := k.e.Records("workflow")
	if err != nil {
		return c, nil, err
	}
	data, err := dataByID(k.e)
	if err != nil {
		return c, nil, err
	}
	flows := map[string]Workflow{}
	for _, r := range recs {
		kinds := strs(r["kinds"])
		if d, ok := data[str(r["data"])]; ok && len(kinds) > 0 {
			flows[str(r["id"])] = Workflow{Data: d.Data, Steps: kinds}
		}
	}
	return c, flows, nil
}

func sortedIDs[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
