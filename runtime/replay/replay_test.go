package replay_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/replay"
)

func replayWorkload(t *testing.T, dir string, w *cloudgen.Workload) (*replay.Summary, []replay.Line) {
	t.Helper()
	res, err := compiler.CompileDir(dir)
	require.NoError(t, err)
	e, err := runtime.New(res.Spec, res.Envs, runtime.Options{Timing: true})
	require.NoError(t, err)
	var snap, ops, out bytes.Buffer
	require.NoError(t, w.WriteSnapshot(&snap))
	require.NoError(t, w.WriteOps(&ops))
	_, err = e.LoadSnapshot(&snap, "generated")
	require.NoError(t, err)
	s, err := replay.Run(e, &ops, &out)
	require.NoError(t, err)
	var lines []replay.Line
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l replay.Line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		lines = append(lines, l)
	}
	return s, lines
}

func TestReplayOpenStackWorkload(t *testing.T) {
	for _, native := range []bool{false, true} {
		w := cloudgen.OpenStackWorkload(cloudgen.WorkloadConfig{Seed: 7, Tenants: 30, PortsPerTenant: 10, Ops: 400, Native: native, AttackRate: 0.3})
		s, lines := replayWorkload(t, "../../specs/openstack", w)
		assert.Len(t, lines, len(w.Ops))
		assert.Equal(t, len(w.Ops), s.Operations)
		assert.Zero(t, s.Malformed, "native=%v", native)
		assert.Zero(t, s.Unknown, "native=%v", native)
		assert.Positive(t, s.Properties["no_bypass"]["deny"], "the OSSA-2015-018 moves are denied")
		assert.Positive(t, s.Properties["no_bypass"]["allow"])
		assert.Positive(t, s.Properties["common_ownership"]["deny"], "cross-domain grants are denied")
		assert.Positive(t, s.Phases["n-step evaluation"])
		var text strings.Builder
		require.NoError(t, s.WriteText(&text))
		assert.Contains(t, text.String(), "violation detection")
		for _, l := range lines {
			if l.Verdict == "deny" {
				assert.True(t, l.Blocked)
			}
		}
	}
}

func TestReplayMusicWorkload(t *testing.T) {
	w := cloudgen.MusicWorkload(cloudgen.WorkloadConfig{Seed: 3, Tenants: 10, PortsPerTenant: 3, Ops: 200})
	s, lines := replayWorkload(t, "../../specs/music", w)
	assert.Zero(t, s.Malformed)
	assert.Positive(t, s.Properties["workflow_admissibility"]["deny"])
	assert.Positive(t, s.Properties["workflow_admissibility"]["allow"])
	// The MuSIC properties declare their provider changes and inits rare: each run is counted.
	rare := map[string]int64{}
	for _, r := range s.Rare {
		rare[r.Property+" on "+r.Event] = r.Count
		assert.Positive(t, r.Time, r.Property+" on "+r.Event)
	}
	ops := map[string]int64{}
	for _, l := range lines {
		ops[l.Op]++
	}
	assert.Positive(t, ops["set_trust"]+ops["register_provider"], "the workload changes providers")
	for _, ev := range []string{"set_trust", "register_provider", "deregister_provider"} {
		assert.Equal(t, ops[ev], rare["data_placement on "+ev], ev)
	}
	assert.Positive(t, rare["data_placement on init"])
	var text strings.Builder
	require.NoError(t, s.WriteText(&text))
	assert.Contains(t, text.String(), "rare paths (declared rare: they scan)")
}

func TestReplayCountsUnknownAndMalformed(t *testing.T) {
	res, err := compiler.CompileDir("../../specs/openstack")
	require.NoError(t, err)
	e, err := runtime.New(res.Spec, res.Envs, runtime.Options{})
	require.NoError(t, err)
	ops := strings.Join([]string{
		`# a comment`,
		`{"event_type": "network.create.start", "payload": {}}`,
		`{"event_type": "volume.attach.end", "payload": {}}`,
		`{"op": "create_port", "params": {"port_id": 5}}`,
		`{"op": "create_port", "params": {"port_id": "p1", "tenant_id": "t1"}}`,
		``,
	}, "\n")
	var out bytes.Buffer
	s, err := replay.Run(e, strings.NewReader(ops), &out)
	require.NoError(t, err)
	assert.Equal(t, 4, s.Operations)
	assert.Equal(t, 1, s.Unknown, "network.create.start is known (it changes nothing); volume.attach.end is not")
	assert.Equal(t, 1, s.Malformed)
	assert.Contains(t, out.String(), `"line":4,"verdict":"malformed","blocked":false,"error":"operation create_port: create_port: parameter port_id (from params.port_id): want a string, got a number"`)
}
