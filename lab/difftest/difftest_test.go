package difftest

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
)

func shippedSpecs(t testing.TB) []*Spec {
	var out []*Spec
	for _, s := range []struct{ kind, dir string }{{"openstack", "specs/openstack"}, {"music", "specs/music"}} {
		res, err := compiler.CompileDir("../../" + s.dir)
		require.NoError(t, err)
		out = append(out, &Spec{Kind: s.kind, Dir: s.dir, Res: res})
	}
	return out
}

// TestDifferential runs ten thousand operations over seeded clouds of both
// shipped specs through the proactive and the SAT engine: every critical
// verdict and every application must agree.
func TestDifferential(t *testing.T) {
	ops := 10_000
	if raceOps > 0 {
		ops = raceOps
	}
	rep, err := Run(shippedSpecs(t), Config{Seed: 1, Ops: ops, ReproDir: reproDir(t)})
	require.NoError(t, err)
	rep.Write(os.Stdout)
	assert.Equal(t, ops, rep.Operations)
	assert.Empty(t, rep.Mismatches)
	assert.Positive(t, rep.Critical)
	assert.Positive(t, rep.Violating)
	if raceOps > 0 {
		return // too few operations to meet every verdict of every property
	}
	// router_owner_isolation and port_quota are not here: a violation needs a port naming a
	// router by its device_id string, or 500 ports in a tenant, which the generator does not
	// aim for; the audit's SAT agreement test meets both violated.
	for _, p := range []string{"no_bypass", "common_ownership", "no_co_residency", "no_cross_tenant_port", "role_cardinality",
		"separation_of_duties", "data_placement", "workflow_admissibility"} {
		assert.Positive(t, rep.Verdicts[p]["allow"], "%s: allowed operations", p)
		assert.Positive(t, rep.Verdicts[p]["deny"], "%s: denied operations", p)
	}
}

// reproDir keeps reproductions where PVSC_DIFFTEST_OUT says, else in a temporary directory.
func reproDir(t *testing.T) string {
	if d := os.Getenv("PVSC_DIFFTEST_OUT"); d != "" {
		return d
	}
	return t.TempDir()
}

// A property whose watchlist forgets a remove is caught, and the mismatch is
// shrunk to a reproduction on which the engines still disagree.
func TestDifferentialCatchesBrokenWatchlist(t *testing.T) {
	res, err := compiler.CompileDir("../../solver/testdata/broken/forgets_remove")
	require.NoError(t, err)
	spec := &Spec{Kind: "openstack", Dir: "solver/testdata/broken/forgets_remove", Res: res}
	dir := t.TempDir()
	rep, err := Run([]*Spec{spec}, Config{Seed: 3, Ops: 4_000, MaxMismatches: 1, ReproDir: dir})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Mismatches, "the forgotten remove went unnoticed")
	m := rep.Mismatches[0]
	t.Log(m.String())
	require.NotNil(t, m.Repro)
	assert.Less(t, len(m.Repro.Ops), 8, "shrunk to a handful of operations")
	assert.FileExists(t, m.Dir+"/snapshot.json")
	assert.FileExists(t, m.Dir+"/ops.jsonl")

	// The reproduction, replayed from scratch, still ends in a disagreement.
	p, err := newPair(res)
	require.NoError(t, err)
	snap, err := os.ReadFile(m.Dir + "/snapshot.json")
	require.NoError(t, err)
	require.NoError(t, p.load(snap))
	s := &stream{p: p}
	var last outcome
	for _, l := range m.Repro.Ops {
		last, err = s.run(l)
		require.NoError(t, err)
	}
	assert.True(t, last.bad(), "the last operation of the reproduction: %+v", last)
}
