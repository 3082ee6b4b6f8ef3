package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/specs/openstack"
)

// TestRenderEqualsEncodingJSON: the decision API's hand-written answer is byte for
// byte what encoding/json makes of the decisions' records, for every operation of a
// generated stream with attacks (denials, allows, passes), unknown and faulty ones.
func TestRenderEqualsEncodingJSON(t *testing.T) {
	w := cloudgen.OpenStackWorkload(cloudgen.WorkloadConfig{Seed: 3, Tenants: 20, PortsPerTenant: 4, Ops: 400, AttackRate: 0.4})
	var snap bytes.Buffer
	require.NoError(t, w.WriteSnapshot(&snap))
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	_, err = feed.New(feed.Config{Engine: e}).Load("s", snap.Bytes())
	require.NoError(t, err)
	dec := intercept.New(e).NewDecoder()
	lines := append(w.Ops, []byte(`{"op": "update_port", "params": {"port_id": "no<such>&port", "device_owner": "network:dhcp"}}`),
		[]byte(`{"op": "create_port", "params": {"port_id": "p\u2028\"x\"", "tenant_id": "new"}}`))
	verdicts := map[string]int{}
	for _, line := range lines {
		got, err := dec.Decode(line)
		require.NoError(t, err, string(line))
		var ds []runtime.Decision
		r := decideResponse{Verdict: "pass", Unknown: len(got.Ops) == 0, Decisions: []runtime.Record{}}
		v := runtime.Pass
		for i := range got.Ops {
			d := e.Decide(&got.Ops[i])
			ds = append(ds, d)
			v = max(v, d.Verdict())
			r.Blocked = r.Blocked || d.Blocked
			r.Decisions = append(r.Decisions, d.Record())
		}
		r.Verdict = v.String()
		verdicts[r.Verdict]++
		want, err := json.Marshal(r)
		require.NoError(t, err)
		require.Equal(t, string(want)+"\n", string(appendDecided(nil, ds, nil)), string(line))
		if len(ds) > 0 && !r.Blocked {
			// The gate refuses what the properties allowed: the same bytes as encoding/json.
			f := []refusal{{Decision: 0, Kind: "step_off_path", Message: "step \"s\" <leaves> every path", blocks: true}}
			r.Verdict, r.Blocked, r.Refused = "deny", true, f
			want, err = json.Marshal(r)
			require.NoError(t, err)
			require.Equal(t, string(want)+"\n", string(appendDecided(nil, ds, f)), string(line))
			verdicts["refused"]++
		}
	}
	assert.Positive(t, verdicts["refused"])
	for _, v := range []string{"pass", "allow", "deny"} {
		assert.Positive(t, verdicts[v], "the stream exercises %s", v)
	}
	want, _ := json.Marshal(decideResponse{Verdict: "pass", Unknown: true, Decisions: []runtime.Record{}})
	assert.Equal(t, string(want)+"\n", string(appendDecided(nil, nil, nil)))
}
