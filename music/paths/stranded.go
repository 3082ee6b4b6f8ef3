package paths

import (
	"fmt"
	"sort"
	"strings"

	"pvsc.dev/pvsc/music/neutral"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
)

// Stored is a data object and the provider it is stored at.
type Stored struct {
	Data
	Location string
}

// dataByID reads the context's data objects.
func dataByID(e *runtime.Engine) (map[string]Stored, error) {
	recs, err := e.Records("data_object")
	if err != nil {
		return nil, err
	}
	out := map[string]Stored{}
	for _, r := range recs {
		cl, err := level(r["class"])
		if err != nil {
			return nil, fmt.Errorf("data object %s: %w", str(r["id"]), err)
		}
		out[str(r["id"])] = Stored{Data: Data{ID: str(r["id"]), Class: cl, Tags: strs(r["tags"])}, Location: str(r["location"])}
	}
	return out, nil
}

// Placements are the providers that admit the data (their level reaches its class, their
// tags cover its tags), cheapest first, ties by id; except is left out (where the data is).
func Placements(c Community, d Data, except string) []trust.Placement {
	out := []trust.Placement{}
	for _, p := range c.Providers {
		if p.ID != except && p.Level() >= d.Class && len(missing(d.Tags, p.Tags)) == 0 {
			out = append(out, trust.Placement{Provider: p.ID, Level: p.Level(), Cost: p.Cost})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Cost < out[j].Cost || out[i].Cost == out[j].Cost && out[i].Provider < out[j].Provider
	})
	return out
}

// Strands watches trust drops: data a provider stores above the level it now holds is
// stranded (data_placement reports the set_trust as a violation); the alert names each
// stranded object and its migration plan, the providers it may move to.
type Strands struct{ E *runtime.Engine }

// After raises an alert per data object a level change strands.
func (s Strands) After(_ neutral.Op, change *trust.Change) []trust.Alert {
	if change == nil || change.To >= change.From {
		return nil
	}
	out, err := s.stranded(change)
	if err != nil {
		return []trust.Alert{{Kind: "error", Message: err.Error()}}
	}
	return out
}

func (s Strands) stranded(change *trust.Change) ([]trust.Alert, error) {
	c, err := FromEngine(s.E)
	if err != nil {
		return nil, err
	}
	data, err := dataByID(s.E)
	if err != nil {
		return nil, err
	}
	holds := providerLevel(c, change.Provider)
	var out []trust.Alert
	for _, id := range sortedIDs(data) {
		d := data[id]
		if d.Location != change.Provider || d.Class <= holds {
			continue
		}
		plan := Placements(c, d.Data, change.Provider)
		out = append(out, trust.Alert{Kind: KindStranded, Subject: id, Message: strandedText(d, holds, change, plan), Migrate: plan})
	}
	return out, nil
}

func providerLevel(c Community, id string) trust.Level {
	for _, p := range c.Providers {
		if p.ID == id {
			return p.Level()
		}
	}
	return trust.Public
}

func strandedText(d Stored, holds trust.Level, change *trust.Change, plan []trust.Placement) string {
	s := fmt.Sprintf("data %s (%s) stranded on %s, which now holds at most %s (because %s); ", d.ID, d.Class, d.Location, holds, change.Cause)
	if len(plan) == 0 {
		return s + "no admissible provider to migrate it to"
	}
	parts := make([]string, len(plan))
	for i, p := range plan {
		parts[i] = fmt.Sprintf("%s (%s, cost %d)", p.Provider, p.Level, p.Cost)
	}
	return s + "migrate to " + strings.Join(parts, ", ")
}
