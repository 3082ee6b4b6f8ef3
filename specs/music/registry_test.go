package music_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/replay"
	"pvsc.dev/pvsc/specs/music"
)

// registry is a community whose registry announces downtimes: cloud-a is down from 1000 to
// 2000, its service svc-a from 5000 to 6000.
const registry = `{"op":"create_community","params":{"community_id":"icc"}}
{"op":"join_community","params":{"organisation_id":"nav-corp","community_id":"icc"}}
{"event_type":"music.provider.registered","payload":{"provider":{"id":"cloud-a","community_id":"icc","tags":["navigation"],"trust":"secret","sla":"secret","cost":3}}}
{"event_type":"music.service.registered","payload":{"service":{"id":"svc-a","provider_id":"cloud-a","tags":["navigation"],"kind":"routing","cost":2}}}
{"op":"create_data","params":{"data_id":"d","organisation_id":"nav-corp","class":"internal","tags":["navigation"]}}
{"op":"create_workflow","params":{"workflow_id":"w","organisation_id":"nav-corp","data":"d"}}
{"event_type":"music.provider.downtime","payload":{"provider_id":"cloud-a","downtime":{"from":1000,"until":2000}}}
{"event_type":"music.service.updated","payload":{"service":{"id":"svc-a","workload":80,"downtime":{"from":5000,"until":6000},"billing":"per-call"}}}
`

// verdicts replays setup then lines on a fresh engine of the shipped tables and returns each
// of lines' verdicts of the property as a critical event ("" when it was not).
func verdicts(t *testing.T, property, setup, lines string) []string {
	t.Helper()
	e, err := runtime.New(music.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	var out bytes.Buffer
	_, err = replay.Run(e, strings.NewReader(setup+lines), &out)
	require.NoError(t, err)
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var d replay.Line
		require.NoError(t, json.Unmarshal([]byte(l), &d))
		require.Empty(t, d.Error, l)
		v := ""
		for _, c := range d.Checks {
			if c.Property == property && c.Kind == "CE" {
				v = c.Verdict
			}
		}
		got = append(got, v)
	}
	return got[strings.Count(setup, "\n"):]
}

func TestNoStepInAnnouncedDowntime(t *testing.T) {
	got := verdicts(t, "no_step_in_downtime", registry, `{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s1","provider_id":"cloud-a","at":1500}}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s2","provider_id":"cloud-a","at":2000}}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s3","service_id":"svc-a","at":5500}}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s4","service_id":"svc-a","at":1200}}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s5","service_id":"svc-a","at":7000}}}
{"event_type":"music.provider.downtime","payload":{"provider_id":"cloud-a","downtime":{"from":6500,"until":8000}}}
{"op":"announce_downtime","params":{"provider_id":"cloud-a","down_from":6500,"down_until":8000}}
{"event_type":"music.step.outcome","payload":{"step_id":"s5","outcome":"completed"}}
{"op":"announce_downtime","params":{"provider_id":"cloud-a","down_from":6500,"down_until":8000}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s6","service_id":"svc-a","at":3000}}}
{"op":"update_service","params":{"service_id":"svc-a","down_from":2500,"down_until":3500}}
{"op":"update_service","params":{"service_id":"svc-a","workload":95}}
{"event_type":"music.service.withdrawn","payload":{"service_id":"svc-a"}}
`)
	assert.Equal(t, []string{
		"deny",      // s1 at 1500: cloud-a is down
		"allow",     // s2 at 2000: the window is [from, until)
		"deny",      // s3 at 5500: svc-a is down
		"deny",      // s4 at 1200: svc-a's provider is down
		"allow",     // s5 at 7000
		"violation", // the registry announces cloud-a down over s5, still scheduled: a fact, reported
		"deny",      // the same announcement as a request is refused
		"",          // s5 ran
		"allow",     // now the window is free
		"allow",     // s6 at 3000 through svc-a
		"deny",      // svc-a's new window would cover s6
		"allow",     // a workload update keeps the window
		"",          // withdrawn (music.service.withdrawn): no_step_in_downtime only rebuilds
	}, got)
}
