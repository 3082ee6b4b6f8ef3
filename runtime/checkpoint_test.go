package runtime_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/replay"
)

// state is what an engine's context looks like from outside: every record,
// every scope's watchlist, of every property.
func contextOf(t *testing.T, e *runtime.Engine, props, entities []string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, ent := range entities {
		recs, err := e.Records(ent)
		require.NoError(t, err)
		out["records "+ent] = recs
	}
	for _, p := range props {
		scopes, err := e.Scopes(p)
		require.NoError(t, err)
		for _, s := range scopes {
			st, err := e.Scope(p, s)
			require.NoError(t, err)
			out[p+" "+s] = st
		}
	}
	return out
}

// TestCheckpointRoundTrip: a context written as a checkpoint and loaded into
// a fresh engine is the same context, and decides and evolves the same way.
func TestCheckpointRoundTrip(t *testing.T) {
	for _, c := range []struct {
		dir      string
		w        *cloudgen.Workload
		props    []string
		entities []string
	}{
		{"../specs/openstack", cloudgen.OpenStackWorkload(cloudgen.WorkloadConfig{Seed: 5, Tenants: 30, PortsPerTenant: 8, Ops: 600, AttackRate: 0.3}),
			[]string{"no_bypass", "common_ownership", "no_cross_tenant_port", "no_co_residency", "separation_of_duties", "role_cardinality", "group_ownership"},
			[]string{"port", "vm", "tenant", "network", "assignment", "membership"}},
		{"../specs/music", cloudgen.MusicWorkload(cloudgen.WorkloadConfig{Seed: 3, Tenants: 10, PortsPerTenant: 3, Ops: 300}),
			[]string{"data_placement", "workflow_admissibility"}, []string{"provider", "data_object", "step"}},
	} {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			a := engine(t, c.dir, runtime.Options{})
			var snap, ops bytes.Buffer
			require.NoError(t, c.w.WriteSnapshot(&snap))
			require.NoError(t, c.w.WriteOps(&ops))
			_, err := a.LoadSnapshot(bytes.NewReader(snap.Bytes()), "snap.json")
			require.NoError(t, err)
			// Half the stream first, so the checkpoint holds a context that evolved.
			lines := bytes.SplitAfter(ops.Bytes(), []byte("\n"))
			half := bytes.Join(lines[:len(lines)/2], nil)
			_, err = replay.Run(a, bytes.NewReader(half), new(bytes.Buffer))
			require.NoError(t, err)
			require.NoError(t, a.MarkInDoubt(c.props[0], firstScope(t, a, c.props[0])))

			var ck bytes.Buffer
			require.NoError(t, a.WriteCheckpoint(&ck))
			require.True(t, runtime.IsCheckpoint(ck.Bytes()))
			b := engine(t, c.dir, runtime.Options{})
			st, err := b.LoadSnapshot(bytes.NewReader(ck.Bytes()), "ckpt")
			require.NoError(t, err)
			assert.Positive(t, st.Records)
			assert.Equal(t, contextOf(t, a, c.props, c.entities), contextOf(t, b, c.props, c.entities))

			rest := bytes.Join(lines[len(lines)/2:], nil)
			var outA, outB bytes.Buffer
			_, err = replay.Run(a, bytes.NewReader(rest), &outA)
			require.NoError(t, err)
			_, err = replay.Run(b, bytes.NewReader(rest), &outB)
			require.NoError(t, err)
			assert.Equal(t, outA.String(), outB.String(), "the same decisions after the checkpoint")
			assert.Equal(t, contextOf(t, a, c.props, c.entities), contextOf(t, b, c.props, c.entities))
		})
	}
}

func firstScope(t *testing.T, e *runtime.Engine, prop string) string {
	scopes, err := e.Scopes(prop)
	require.NoError(t, err)
	require.NotEmpty(t, scopes)
	return scopes[0]
}

// TestBrokenCheckpointsAreRefused: a damaged, truncated or foreign checkpoint
// is refused with a reason, and the context it would have replaced stays.
func TestBrokenCheckpointsAreRefused(t *testing.T) {
	a := engine(t, "../specs/openstack", runtime.Options{})
	w := cloudgen.OpenStackWorkload(cloudgen.WorkloadConfig{Seed: 2, Tenants: 5, PortsPerTenant: 4, Ops: 10})
	var snap, ck bytes.Buffer
	require.NoError(t, w.WriteSnapshot(&snap))
	_, err := a.LoadSnapshot(&snap, "snap")
	require.NoError(t, err)
	require.NoError(t, a.WriteCheckpoint(&ck))
	ports, _ := a.Len("port")
	good := ck.Bytes()
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff
	music := engine(t, "../specs/music", runtime.Options{})
	for name, c := range map[string]struct {
		e    *runtime.Engine
		data []byte
		want string
	}{
		"truncated": {a, good[:len(good)/2], "checksum mismatch"},
		"damaged":   {a, flipped, "checksum mismatch"},
		"tiny":      {a, good[:10], "truncated"},
		"foreign":   {music, good, "written for another spec: it holds 2 models, this spec has 1"},
	} {
		_, err := c.e.LoadSnapshot(bytes.NewReader(c.data), "x.ckpt")
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "x.ckpt: checkpoint: "+c.want, name)
	}
	after, _ := a.Len("port")
	assert.Equal(t, ports, after)
	path := filepath.Join(t.TempDir(), "c.ckpt")
	require.NoError(t, os.WriteFile(path, good, 0o600))
	_, err = a.LoadSnapshotFile(path)
	require.NoError(t, err, "a file loads as well")
}

// TestCheckpointIntoAnotherSelection: an engine running fewer properties
// takes what it runs from a checkpoint of all of them; one running a
// property the checkpoint lacks builds that property's watchlists.
func TestCheckpointIntoAnotherSelection(t *testing.T) {
	w := cloudgen.OpenStackWorkload(cloudgen.WorkloadConfig{Seed: 9, Tenants: 12, PortsPerTenant: 6, Ops: 10})
	var snap bytes.Buffer
	require.NoError(t, w.WriteSnapshot(&snap))
	full := engine(t, "../specs/openstack", runtime.Options{})
	_, err := full.LoadSnapshot(bytes.NewReader(snap.Bytes()), "snap")
	require.NoError(t, err)
	one := engine(t, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	_, err = one.LoadSnapshot(bytes.NewReader(snap.Bytes()), "snap")
	require.NoError(t, err)

	var ckFull, ckOne bytes.Buffer
	require.NoError(t, full.WriteCheckpoint(&ckFull))
	require.NoError(t, one.WriteCheckpoint(&ckOne))
	fromFull := engine(t, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	_, err = fromFull.LoadSnapshot(bytes.NewReader(ckFull.Bytes()), "full.ckpt")
	require.NoError(t, err)
	assert.Equal(t, contextOf(t, one, []string{"no_bypass"}, []string{"port"}), contextOf(t, fromFull, []string{"no_bypass"}, []string{"port"}))

	fromOne := engine(t, "../specs/openstack", runtime.Options{})
	st, err := fromOne.LoadSnapshot(bytes.NewReader(ckOne.Bytes()), "one.ckpt")
	require.NoError(t, err)
	assert.Positive(t, st.Watchlists)
	props := []string{"no_bypass", "no_cross_tenant_port", "separation_of_duties"}
	assert.Equal(t, contextOf(t, full, props, []string{"port"}), contextOf(t, fromOne, props, []string{"port"}))
}
