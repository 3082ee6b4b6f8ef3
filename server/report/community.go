package report

import (
	"fmt"
	"sort"

	"pvsc.dev/pvsc/music/paths"
	"pvsc.dev/pvsc/runtime"
)

// Community is the MuSIC community at the end of a run: what the data owner's report reads.
type Community struct {
	paths.Community
	Data      []DataObject
	Workflows []Workflow
	// Moves and Attempts are the run's store_data and workflow steps, with their verdicts.
	Moves    []Move
	Attempts []Attempt
}

// DataObject is a data object, its owner, class and where it is stored.
type DataObject struct {
	paths.Data
	Owner    string
	Location string
	Vault    bool
}

// Workflow is a workflow over a data object, its steps' kinds and the steps handed on.
type Workflow struct {
	ID, Owner, Data string
	Kinds           []string
	Steps           []StepRecord
}

// StepRecord is a step of a workflow as the context holds it.
type StepRecord struct {
	ID, Provider, Service, Outcome string
}

// Move is a store_data of a run.
type Move struct {
	At                      int
	Data, Location, Verdict string
}

// Attempt is a step a run handed on (or tried to).
type Attempt struct {
	At                                         int
	Workflow, Step, Provider, Service, Verdict string
}

// ReadCommunity reads the music model's records from the engine's context; nil when the spec
// has no music model.
func ReadCommunity(e *runtime.Engine) (*Community, error) {
	if !hasEvent(e, "create_data") {
		return nil, nil
	}
	pc, err := paths.FromEngine(e)
	if err != nil {
		return nil, err
	}
	c := &Community{Community: pc}
	if c.Data, err = readData(e); err != nil {
		return nil, err
	}
	c.Workflows, err = readWorkflows(e)
	return c, err
}

func readData(e *runtime.Engine) ([]DataObject, error) {
	recs, err := e.Records("data_object")
	if err != nil {
		return nil, err
	}
	out := make([]DataObject, 0, len(recs))
	for _, r := range recs {
		d, err := paths.DataFromEngine(e, str(r["id"]))
		if err != nil {
			return nil, fmt.Errorf("data object %v: %w", r["id"], err)
		}
		vault, _ := r["vault"].(bool)
		out = append(out, DataObject{Data: d, Owner: str(r["organisation"]), Location: str(r["location"]), Vault: vault})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func readWorkflows(e *runtime.Engine) ([]Workflow, error) {
	recs, err := e.Records("workflow")
	if err != nil {
		return nil, err
	}
	steps, err := e.Records("step")
	if err != nil {
		return nil, err
	}
	out := make([]Workflow, 0, len(recs))
	for _, r := range recs {
		w := Workflow{ID: str(r["id"]), Owner: str(r["organisation"]), Data: str(r["data"]), Kinds: strs(r["kinds"])}
		for _, s := range steps {
			if str(s["workflow"]) == w.ID {
				w.Steps = append(w.Steps, StepRecord{ID: str(s["id"]), Provider: str(s["provider"]), Service: str(s["service"]), Outcome: str(s["outcome"])})
			}
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	var out []string
	switch l := v.(type) {
	case []any:
		for _, x := range l {
			out = append(out, str(x))
		}
	case []string:
		out = append(out, l...)
	}
	return out
}

// Of is the part of the community one data owner may see: its own data objects, the
// workflows it owns or that process its data, and the stores and steps of those. The
// providers are the community's: what any member's data may be offered. An owner with no
// data object and no workflow in the input is an error, not an empty report.
func (c *Community) Of(owner string) (*Community, error) {
	out := &Community{Community: c.Community}
	mine := map[string]bool{}
	for _, d := range c.Data {
		if d.Owner == owner {
			out.Data = append(out.Data, d)
			mine[d.ID] = true
		}
	}
	flows := map[string]bool{}
	for _, w := range c.Workflows {
		if w.Owner == owner || mine[w.Data] {
			out.Workflows = append(out.Workflows, w)
			flows[w.ID] = true
		}
	}
	if len(out.Data) == 0 && len(out.Workflows) == 0 {
		return nil, fmt.Errorf("owner %q holds no data object and no workflow in the input", owner)
	}
	for _, m := range c.Moves {
		if mine[m.Data] {
			out.Moves = append(out.Moves, m)
		}
	}
	for _, a := range c.Attempts {
		if flows[a.Workflow] {
			out.Attempts = append(out.Attempts, a)
		}
	}
	return out, nil
}
