package exchange

import (
	"fmt"

	"pvsc.dev/pvsc/music/neutral"
	"pvsc.dev/pvsc/music/trust"
)

// seeds turn the context's records into the manager's start: the providers at the level the
// model holds, their services and the steps handed to them. Ratings and metric records are
// left out on purpose: the level held already carries what they did (it is the manager's
// last set_trust, journaled), and a restart that read them again would move it twice
// (music/trust's Feed.Seed reads them, for a snapshot that no manager has acted on yet).
var seeds = []struct {
	entity string
	op     func(map[string]any) neutral.Op
}{
	{"provider", func(r map[string]any) neutral.Op {
		return neutral.Op{Event: "register_provider", Params: map[string]any{"provider_id": r["id"], "trust": levelString(r["trust"]), "sla": levelString(r["sla"])}}
	}},
	{"service", func(r map[string]any) neutral.Op {
		return neutral.Op{Event: "register_service", Params: map[string]any{"service_id": r["id"], "provider_id": r["provider"]}}
	}},
	{"step", func(r map[string]any) neutral.Op {
		if s, _ := r["service"].(string); s != "" {
			return neutral.Op{Event: "hand_to_service", Params: map[string]any{"step_id": r["id"], "service": s}}
		}
		return neutral.Op{Event: "hand_to_provider", Params: map[string]any{"step_id": r["id"], "provider": r["provider"]}}
	}},
}

// seed starts the manager from the context and applies (journaled) the changes that makes: a
// provider registered above its SLA is brought down to it.
func (r *Receiver) seed() error {
	var changes []trust.Change
	for _, s := range seeds {
		recs, err := r.sink.Engine().Records(s.entity)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			cs, err := r.mgr.Observe(s.op(rec))
			if err != nil {
				return fmt.Errorf("%s %v: %w", s.entity, rec["id"], err)
			}
			changes = append(changes, cs...)
		}
	}
	for _, c := range changes {
		if err := r.change("seed", c); err != nil {
			return err
		}
	}
	return nil
}
