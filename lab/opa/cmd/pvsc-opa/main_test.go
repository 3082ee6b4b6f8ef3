package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
)

func TestRunPrintsVerdictsAndTimings(t *testing.T) {
	dir := t.TempDir()
	c := cloudgen.NewOpenStack(1, cloudgen.Sizes{Domains: 2, Tenants: 10, Users: 20, Ports: 50, VMs: 30, RolesPerTenant: 2, AssignmentsPerUser: 1})
	var snap bytes.Buffer
	require.NoError(t, c.WriteSnapshot(&snap, nil))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cloud.json"), snap.Bytes(), 0o644))
	g, err := c.NewStream(1, cloudgen.StreamConfig{})
	require.NoError(t, err)
	var ops bytes.Buffer
	for _, v := range []bool{false, true} {
		l, ok := g.Critical(cloudgen.NoBypass, v)
		require.True(t, ok)
		require.NoError(t, json.NewEncoder(&ops).Encode(l))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ops.jsonl"), ops.Bytes(), 0o644))

	var out bytes.Buffer
	require.NoError(t, run([]string{"-snapshot", filepath.Join(dir, "cloud.json"), "-ops", filepath.Join(dir, "ops.jsonl"),
		"-repeat", "5", "-warmup", "1"}, &out))
	var res Result
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	assert.Equal(t, "no_bypass", res.Property)
	require.Len(t, res.Ops, 2)
	assert.Equal(t, "allow", res.Ops[0].Verdict)
	assert.Equal(t, "deny", res.Ops[1].Verdict)
	assert.Len(t, res.Ops[1].NS, 5)
	assert.Positive(t, res.PrepareNS)
}

func TestRunNeedsFiles(t *testing.T) {
	assert.ErrorContains(t, run(nil, &bytes.Buffer{}), "-snapshot and -ops are required")
}

// TestWriteDataIsThePeersData: what opa run --server is given is the document the peer decides on.
func TestWriteDataIsThePeersData(t *testing.T) {
	dir := t.TempDir()
	c := cloudgen.NewOpenStack(1, cloudgen.Sizes{Domains: 2, Tenants: 10, Users: 20, Ports: 50, VMs: 30, RolesPerTenant: 2, AssignmentsPerUser: 1})
	var snap bytes.Buffer
	require.NoError(t, c.WriteSnapshot(&snap, nil))
	in := filepath.Join(dir, "cloud.json")
	require.NoError(t, os.WriteFile(in, snap.Bytes(), 0o644))
	out := filepath.Join(dir, "data.json")
	require.NoError(t, run([]string{"-snapshot", in, "-write-data", out}, io.Discard))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	var got map[string]map[string]map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	ports := got["openstack"]["ports"]
	assert.Len(t, ports, 50)
	bound := 0
	for id, p := range ports {
		assert.Equal(t, id, p.(map[string]any)["id"])
		if p.(map[string]any)["vm"] != "" {
			bound++
		}
	}
	assert.Positive(t, bound, "Nova's binding is in the data")
	assert.ErrorContains(t, run([]string{"-snapshot", filepath.Join(dir, "missing.json"), "-write-data", out}, io.Discard), "missing.json")
}
