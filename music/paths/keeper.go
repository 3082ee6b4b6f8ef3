package paths

import (
	"fmt"
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

// Keeper keeps the number of admissible paths of every registered workflow (a workflow
// record with its steps' kinds) as trust levels and the registry change, so that a trust drop
// that removes a workflow's last admissible path raises an alert when it happens, before any
// step of the workflow is attempted; and a step handed where no admissible path goes is
// named when it arrives.
type Keeper struct {
	e      *runtime.Engine
	counts map[string]uint64 // workflow → admissible paths now
}

// NewKeeper counts the admissible paths of the workflows the engine holds now.
func NewKeeper(e *runtime.Engine) (*Keeper, []trust.Alert, error) {
	k := &Keeper{e: e, counts: map[string]uint64{}}
	alerts, err := k.recount("")
	return k, alerts, err
}

// Watch makes the feed's watchers: data stranded by a trust drop, and a keeper of every
// registered workflow's admissible paths; the alerts are what the keeper's start raised.
func Watch(f *trust.Feed) (*Keeper, []trust.Alert, error) {
	k, alerts, err := NewKeeper(f.Engine)
	if err != nil {
		return nil, nil, err
	}
	f.Watchers = []trust.Watcher{Strands{E: f.Engine}, k}
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
func (k *Keeper) Counts() map[string]uint64 { return k.counts }

// After recounts on an operation that can change a workflow's paths and judges a step.
func (k *Keeper) After(op neutral.Op, change *trust.Change) []trust.Alert {
	var out []trust.Alert
	var err error
	switch {
	case op.Event == "hand_to_service" || op.Event == "hand_to_provider":
		out, err = k.judgeStep(op)
	case recounts[op.Event]:
		out, err = k.recount(causeOf(op, change))
	}
	if err != nil {
		out = append(out, trust.Alert{Kind: "error", Message: err.Error()})
	}
	return out
}

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
	var out []trust.Alert
	next := map[string]uint64{}
	for _, id := range sortedIDs(flows) {
		r := Admissible(c, flows[id], 0)
		next[id] = r.Total
		before, known := k.counts[id]
		switch {
		case r.Total == 0 && (!known || before > 0):
			out = append(out, trust.Alert{Kind: KindNoPath, Subject: id, Message: noPathText(id, r, cause)})
		case r.Total > 0 && known && before == 0:
			out = append(out, trust.Alert{Kind: KindPathAgain, Subject: id,
				Message: fmt.Sprintf("workflow %s has %d admissible path(s) again after %s", id, r.Total, cause)})
		}
	}
	k.counts = next
	return out, nil
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

// judgeStep names a step handed where no admissible path of its workflow goes: to a service
// that is not an admissible candidate of its position in the workflow, or while the workflow
// has no admissible path at all.
func (k *Keeper) judgeStep(op neutral.Op) ([]trust.Alert, error) {
	c, flows, err := k.read()
	if err != nil {
		return nil, err
	}
	wid, _ := op.Params["workflow_id"].(string)
	w, ok := flows[wid]
	if !ok {
		return nil, nil
	}
	pos, err := k.position(wid, str(op.Params["step_id"]))
	if err != nil || pos >= len(w.Steps) {
		return nil, err
	}
	r := Admissible(c, w, 0)
	svc, prov := str(op.Params["service"]), str(op.Params["provider"])
	if r.Total > 0 && onStep(r.Steps[pos], svc, prov) {
		return nil, nil
	}
	msg := fmt.Sprintf("step %s of workflow %s (step %d, %s) to %s leaves every admissible path (%d admissible)",
		str(op.Params["step_id"]), wid, pos+1, w.Steps[pos], firstOf(svc, prov), r.Total)
	return []trust.Alert{{Kind: KindOffPath, Subject: wid, Message: msg}}, nil
}

func onStep(st Step, service, provider string) bool {
	for _, c := range st.Admissible {
		if service != "" && c.Service == service || service == "" && c.Provider == provider {
			return true
		}
	}
	return false
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// position is the step's place in its workflow: the workflow's steps in the order they were
// handed (the context keeps records in arrival order).
func (k *Keeper) position(workflow, step string) (int, error) {
	steps, err := k.e.Records("step")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range steps {
		if str(s["workflow"]) != workflow {
			continue
		}
		if str(s["id"]) == step {
			return n, nil
		}
		n++
	}
	return n, nil
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
