package examples

import (
	"fmt"
	"io"
	"strings"

	"pvsc.dev/pvsc/music/paths"
	"pvsc.dev/pvsc/music/trust"
)

// Journey is a MuSIC scenario run as the community runs it: every line goes through the
// proactive engine and the trust level manager, and the manager's level changes go back to the
// engine before the next line, so a metric miss reroutes a workflow before its next step.
type Journey struct {
	Name, Title string
	Spec        string
	Workflow    string // whose admissible paths are printed after every step
	Steps       []Step
}

// Navigation is seed 000 §II: traffic-management, accident-blackspot and roadblock data of
// three organisations, combined by a routing service into a route plan; a patch-latency miss
// drops the cheapest cloud's trust and the workflow's next step is rerouted.
func Navigation() Journey {
	return Journey{
		Name:     "navigation",
		Title:    "MuSIC navigation (seed 000 §II): a security-metric miss drops a cloud's trust and reroutes the route planning",
		Spec:     "music",
		Workflow: "nav-route",
		Steps: []Step{
			{"the inter-community cloud: the navigation provider and the three data owners",
				neutral("create_community", "community_id", "icc")},
			{"", neutral("join_community", "organisation_id", "nav-corp", "community_id", "icc")},
			{"", neutral("join_community", "organisation_id", "city-traffic", "community_id", "icc")},
			{"", neutral("join_community", "organisation_id", "police", "community_id", "icc")},
			{"", neutral("join_community", "organisation_id", "roads-authority", "community_id", "icc")},
			{"three clouds: cloud-secure (secret), cloud-edge (confidential, cheaper), cloud-budget (internal)",
				provider("cloud-secure", "secret", 9)},
			{"", provider("cloud-edge", "confidential", 4)},
			{"", provider("cloud-budget", "internal", 2)},
			{"cloud-edge and cloud-secure each offer a merge and a routing service",
				service("merge-edge", "cloud-edge", "merge", 1)},
			{"", service("routing-edge", "cloud-edge", "routing", 2)},
			{"", service("merge-secure", "cloud-secure", "merge", 3)},
			{"", service("routing-secure", "cloud-secure", "routing", 5)},
			{"the data: traffic (internal, city-traffic), blackspots (confidential, police), roadblocks (internal, roads-authority)",
				data("traffic", "city-traffic", "internal")},
			{"", data("blackspots", "police", "confidential")},
			{"", data("roadblocks", "roads-authority", "internal")},
			{"", data("route-plan", "nav-corp", "confidential")},
			{"each stored in a cloud its class admits",
				`{"method":"PUT","path":"/v1/data/traffic/location","body":{"provider_id":"cloud-budget"}}`},
			{"blackspots is kept at cloud-secure, which does not process it: encrypted in the data vault (data_vault)",
				`{"method":"PUT","path":"/v1/data/blackspots/location","body":{"provider_id":"cloud-secure","vault":true}}`},
			{"", `{"method":"PUT","path":"/v1/data/roadblocks/location","body":{"provider_id":"cloud-edge"}}`},
			{"nav-route merges the three into the route plan, then routes: 4 admissible paths, cloud-edge's the cheapest",
				`{"event_type":"music.workflow.created","payload":{"workflow":{"id":"nav-route","owner":"nav-corp","data_id":"route-plan","kinds":["merge","routing"]}}}`},
			{"step 1 to merge-edge on the cheapest path: allowed",
				`{"method":"POST","path":"/v1/workflows/nav-route/steps","body":{"step":{"id":"s1","service_id":"merge-edge","at":1000}}}`},
			{"", `{"event_type":"music.step.outcome","payload":{"step_id":"s1","outcome":"completed"}}`},
			{"cloud-edge's measurement point reports a patch latency of 21 days (target at most 7): a miss",
				`{"event_type":"music.metric.measured","payload":{"provider_id":"cloud-edge","metric":"patch_latency_days","value":21}}`},
			{"step 2 to routing-edge: cloud-edge no longer holds the route plan's class, refused before it runs",
				`{"method":"POST","path":"/v1/workflows/nav-route/steps","body":{"step":{"id":"s2","service_id":"routing-edge","at":2000}}}`},
			{"step 2 rerouted to routing-secure, the admissible path left: allowed",
				`{"method":"POST","path":"/v1/workflows/nav-route/steps","body":{"step":{"id":"s2","service_id":"routing-secure","at":2000}}}`},
		},
	}
}

// ID is the journey's name.
func (j Journey) ID() string { return j.Name }

func provider(id, level string, cost int) string {
	return fmt.Sprintf(`{"event_type":"music.provider.registered","payload":{"provider":{"id":%q,"community_id":"icc","tags":["navigation"],"trust":%q,"sla":%q,"cost":%d}}}`,
		id, level, level, cost)
}

func service(id, prov, kind string, cost int) string {
	return fmt.Sprintf(`{"event_type":"music.service.registered","payload":{"service":{"id":%q,"provider_id":%q,"tags":["navigation"],"kind":%q,"cost":%d}}}`,
		id, prov, kind, cost)
}

func data(id, owner, class string) string {
	return fmt.Sprintf(`{"event_type":"music.data.created","payload":{"data":{"id":%q,"owner":%q,"class":%q,"criticality":2,"tags":["navigation"]}}}`,
		id, owner, class)
}

// Run runs the journey against the specs under root with the default trust rule and the
// spec's metric definitions, printing every step.
func (j Journey) Run(root string, w io.Writer) error {
	e, err := engineOf(root, j.Spec)
	if err != nil {
		return err
	}
	m, err := trust.New(trust.Default())
	if err != nil {
		return err
	}
	feed := trust.NewFeed(e, m)
	keeper, _, err := paths.Watch(feed)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== %s\n", j.Title)
	var text strings.Builder
	for _, s := range j.Steps {
		text.WriteString(s.Op + "\n")
	}
	n, last := 0, ""
	return feed.Run(strings.NewReader(text.String()), func(l trust.Line) {
		if s := j.Steps[l.Line-1]; s.Say != "" {
			n++
			fmt.Fprintf(w, "\n%d. %s\n", n, s.Say)
		}
		printLine(w, l)
		if p := j.paths(keeper); p != last {
			fmt.Fprintf(w, "   %s\n", p)
			last = p
		}
	})
}

// printLine prints what one line did: its operations, refused or applied, the manager's
// misses and level changes, and the alerts.
func printLine(w io.Writer, l trust.Line) {
	verdict := "applied"
	if l.Blocked {
		verdict = "DENY: refused before it runs"
	}
	for _, op := range l.Ops {
		fmt.Fprintf(w, "   %s  %s\n", op, verdict)
	}
	if l.Error != "" {
		fmt.Fprintf(w, "   error: %s\n", l.Error)
	}
	for _, miss := range l.Misses {
		fmt.Fprintf(w, "   metric miss: %s\n", miss)
	}
	for _, c := range l.Changes {
		fmt.Fprintf(w, "   trust %s: %s -> %s (%s); set_trust %s\n", c.Provider, c.From, c.To, c.Cause, c.Verdict)
		for _, v := range c.Violations {
			name, _, _ := strings.Cut(v, ":")
			fmt.Fprintf(w, "      violates %s\n", name)
		}
		printAlerts(w, c.Alerts)
	}
	printAlerts(w, l.Alerts)
}

func printAlerts(w io.Writer, alerts []trust.Alert) {
	for _, a := range alerts {
		fmt.Fprintf(w, "   alert %s (%s): %s\n", a.Kind, a.Subject, a.Message)
	}
}

// paths is the workflow's admissible paths now: how many, and the cheapest.
func (j Journey) paths(k *paths.Keeper) string {
	res, ok, err := k.Paths(j.Workflow, 1)
	switch {
	case err != nil:
		return "error: " + err.Error()
	case !ok:
		return ""
	case len(res.Paths) == 0:
		return fmt.Sprintf("admissible paths of %s: none", j.Workflow)
	}
	var via []string
	for _, s := range res.Paths[0].Steps {
		via = append(via, s.String())
	}
	return fmt.Sprintf("admissible paths of %s: %d, cheapest %s (cost %d)", j.Workflow, res.Total, strings.Join(via, " -> "), res.Paths[0].Cost)
}
