package music_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// vaultCommunity: cloud-proc processes the confidential patient-routes through its service
// svc-proc; cloud-store takes no part in the workflow.
const vaultCommunity = `{"op":"create_community","params":{"community_id":"icc"}}
{"op":"join_community","params":{"organisation_id":"nav-corp","community_id":"icc"}}
{"event_type":"music.provider.registered","payload":{"provider":{"id":"cloud-proc","community_id":"icc","tags":["navigation"],"trust":"secret","sla":"secret"}}}
{"event_type":"music.provider.registered","payload":{"provider":{"id":"cloud-store","community_id":"icc","tags":["navigation"],"trust":"secret","sla":"secret"}}}
{"event_type":"music.service.registered","payload":{"service":{"id":"svc-proc","provider_id":"cloud-proc","tags":["navigation"],"kind":"routing"}}}
{"op":"create_data","params":{"data_id":"patient-routes","organisation_id":"nav-corp","class":"confidential","tags":["navigation"]}}
{"op":"create_data","params":{"data_id":"traffic","organisation_id":"nav-corp","class":"internal","tags":["navigation"]}}
{"op":"create_workflow","params":{"workflow_id":"w","organisation_id":"nav-corp","data":"patient-routes"}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s1","service_id":"svc-proc"}}}
`

func TestDataVault(t *testing.T) {
	got := verdicts(t, "data_vault", vaultCommunity, `{"method":"PUT","path":"/v1/data/patient-routes/location","body":{"provider_id":"cloud-store"}}
{"method":"PUT","path":"/v1/data/patient-routes/location","body":{"provider_id":"cloud-store","vault":true}}
{"method":"PUT","path":"/v1/data/patient-routes/location","body":{"provider_id":"cloud-proc","vault":false}}
{"method":"PUT","path":"/v1/data/traffic/location","body":{"provider_id":"cloud-store"}}
{"op":"deregister_service","params":{"service_id":"svc-proc"}}
{"method":"POST","path":"/v1/workflows/w/steps","body":{"step":{"id":"s2","provider_id":"cloud-proc"}}}
{"op":"deregister_service","params":{"service_id":"svc-proc"}}
`)
	assert.Equal(t, []string{
		"deny",  // confidential data at cloud-store, not involved, in the clear
		"allow", // in a vault
		"allow", // at cloud-proc, which processes it (through svc-proc): no vault needed
		"allow", // internal data needs no vault
		"deny",  // removing svc-proc would leave patient-routes in the clear at an uninvolved cloud-proc
		"",      // a step handed to cloud-proc directly
		"allow", // now cloud-proc stays involved without svc-proc
	}, got)
}
