package cloudgen

import "fmt"

// workloadTags are the tags of the small MuSIC workload (navigation: the paper's running workflow).
var workloadTags = []string{"eu", "gdpr", "health", "navigation", "iso27001"}

type musicGen struct {
	*wgen
	orgs, providers, services, data, workflows []string
}

// Music generates an inter-community cloud for specs/music: providers with
// tags, trust level and SLA level, their services, organisations' data
// objects of every protection class and workflows over them; then a stream
// in which workflow steps hand data to providers and services (admissible or
// not), data is stored, created and given workflows, and trust Levels move.
// Tenants sets the number of organisations, PortsPerTenant the data objects
// per organisation.
func MusicWorkload(cfg WorkloadConfig) *Workload {
	g := &musicGen{wgen: newWGen(cfg)}
	g.snapshot()
	for range cfg.Ops {
		g.op()
	}
	return g.w
}

func (g *musicGen) level() string { return Levels[g.r.IntN(len(Levels))] }

func (g *musicGen) tagSet() []any {
	var out []any
	for _, t := range workloadTags {
		if g.r.IntN(2) == 0 {
			out = append(out, t)
		}
	}
	return out
}

func (g *musicGen) snapshot() {
	g.record("communities", map[string]any{"id": "icc", "name": "navigation ICC"})
	for i := range max(3, g.cfg.Tenants/5) {
		p := fmt.Sprintf("cloud-%d", i)
		g.providers = append(g.providers, p)
		g.record("providers", map[string]any{"id": p, "community_id": "icc", "tags": g.tagSet(), "trust": g.level(), "sla": g.level()})
		s := "svc-" + p
		g.services = append(g.services, s)
		g.record("services", map[string]any{"id": s, "provider_id": p, "tags": g.tagSet()})
	}
	for i := range g.cfg.Tenants {
		o := fmt.Sprintf("org-%d", i)
		g.orgs = append(g.orgs, o)
		g.record("organisations", map[string]any{"id": o, "community_id": "icc"})
		for k := range max(1, g.cfg.PortsPerTenant) {
			g.newData(o, fmt.Sprintf("data-%d-%d", i, k), true)
		}
	}
}

func (g *musicGen) newData(org, id string, snapshot bool) {
	g.data = append(g.data, id)
	wf := "wf-" + id
	g.workflows = append(g.workflows, wf)
	rec := map[string]any{"id": id, "owner": org, "class": g.level(), "criticality": g.r.IntN(5), "tags": g.tagSet()}
	if snapshot {
		g.record("data_objects", rec)
		g.record("workflows", map[string]any{"id": wf, "owner": org, "data_id": id})
		return
	}
	g.emit(map[string]any{"event_type": "music.data.created", "message_id": fmt.Sprintf("msg-%d", g.next()), "payload": map[string]any{"data": rec}})
	g.emit(map[string]any{"event_type": "music.workflow.created", "message_id": fmt.Sprintf("msg-%d", g.next()),
		"payload": map[string]any{"workflow": map[string]any{"id": wf, "owner": org, "data_id": id}}})
}

func (g *musicGen) op() {
	switch n := g.r.IntN(100); {
	case n < 40:
		g.step(true)
	case n < 60:
		g.step(false)
	case n < 80:
		d := g.data[g.r.IntN(len(g.data))]
		g.emit(map[string]any{"method": "PUT", "path": "/v1/data/" + d + "/location", "body": map[string]any{"provider_id": g.providers[g.r.IntN(len(g.providers))]}})
	case n < 95:
		g.newData(g.orgs[g.r.IntN(len(g.orgs))], fmt.Sprintf("data-new-%d", g.next()), false)
	default:
		g.emit(map[string]any{"event_type": "music.trust.changed", "message_id": fmt.Sprintf("msg-%d", g.next()),
			"payload": map[string]any{"provider_id": g.providers[g.r.IntN(len(g.providers))], "trust": g.level()}})
	}
}

// step hands a workflow's data to a provider or a service.
func (g *musicGen) step(provider bool) {
	wf := g.workflows[g.r.IntN(len(g.workflows))]
	step := map[string]any{"id": fmt.Sprintf("step-%d", g.next())}
	if provider {
		step["provider_id"] = g.providers[g.r.IntN(len(g.providers))]
	} else {
		step["service_id"] = g.services[g.r.IntN(len(g.services))]
	}
	g.emit(map[string]any{"method": "POST", "path": "/v1/workflows/" + wf + "/steps", "body": map[string]any{"step": step}})
}
