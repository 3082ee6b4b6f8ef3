package api

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"pvsc.dev/pvsc/runtime"
)

func TestRenderEqualsEncodingJSON(t *testing.T) {
	n := int32(2)
	found := false
	r := decideResponse{Verdict: "deny", Blocked: true, Decisions: []runtime.Record{{Op: "update_port", Verdict: "deny", Blocked: true,
		Checks: []runtime.CheckRecord{
			{Property: "no_bypass", Kind: "CE", NCP: &n, Verdict: "deny", Scope: "p-0", Watchlist: "unattached", Element: []string{"port<1>"},
				Found: &found, SlowPath: true, Reason: "no_bypass: \"port\" \\ is\tnot\x01 in \u2028 \xff é"},
			{Property: "no_cross_tenant_port", Kind: "CE", Verdict: "allow", Reason: "ok"},
		}}, {Op: "x", Verdict: "pass", Error: "bad & worse"}}}
	want, err := json.Marshal(r)
	assert.NoError(t, err)
	assert.Equal(t, string(want)+"\n", string(appendDecide(nil, &r)))
	r = decideResponse{Verdict: "pass", Unknown: true, Decisions: []runtime.Record{}}
	want, _ = json.Marshal(r)
	assert.Equal(t, string(want)+"\n", string(appendDecide(nil, &r)))
}
