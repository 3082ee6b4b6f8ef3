package music_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// trustCommunity: cloud-edge (trust and SLA confidential) and the confidential route plan.
const trustCommunity = `{"op":"create_community","params":{"community_id":"icc"}}
{"op":"join_community","params":{"organisation_id":"nav-corp","community_id":"icc"}}
{"event_type":"music.provider.registered","payload":{"provider":{"id":"cloud-edge","community_id":"icc","tags":["navigation"],"trust":"confidential","sla":"confidential"}}}
{"event_type":"music.service.registered","payload":{"service":{"id":"routing-edge","provider_id":"cloud-edge","tags":["navigation"],"kind":"routing"}}}
{"op":"create_data","params":{"data_id":"route-plan","organisation_id":"nav-corp","class":"confidential","tags":["navigation"]}}
{"op":"create_workflow","params":{"workflow_id":"w","organisation_id":"nav-corp","data":"route-plan"}}
`

func TestWorkflowTrustFollowsTheTrustLevel(t *testing.T) {
	got := verdicts(t, "workflow_trust", trustCommunity, `{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s1","service_id":"routing-edge"}}}
{"op":"set_trust","params":{"provider_id":"cloud-edge","trust":"internal"}}
{"event_type":"music.step.outcome","payload":{"step_id":"s1","outcome":"completed"}}
{"op":"set_trust","params":{"provider_id":"cloud-edge","trust":"internal"}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s2","provider_id":"cloud-edge"}}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s3","service_id":"routing-edge"}}}
{"op":"set_trust","params":{"provider_id":"cloud-edge","trust":"secret"}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s4","provider_id":"cloud-edge"}}}
`)
	assert.Equal(t, []string{
		"allow", // s1 through routing-edge: cloud-edge holds confidential
		"deny",  // lowering cloud-edge to internal while s1 is still scheduled there
		"pass",  // s1 ran (only clearing an outcome is critical for the derived plan)
		"allow", // now it may fall
		"deny",  // the next step to cloud-edge, before it runs
		"deny",  // and through its service
		"allow", // raised again (capped by its SLA: confidential)
		"allow",
	}, got)
}
