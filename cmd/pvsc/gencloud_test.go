package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var tinyCloud = []string{"-ports", "300", "-tenants", "30", "-domains", "4", "-users", "90", "-vms", "200",
	"-networks", "40", "-subnets", "60", "-routers", "30", "-hosts", "10", "-groups", "5"}

func TestGenCloudWritesSnapshotAndStream(t *testing.T) {
	dir := t.TempDir()
	snap, ops := filepath.Join(dir, "cloud.json"), filepath.Join(dir, "ops.jsonl")
	args := append([]string{"gen-cloud", "-seed", "3", "-o", snap, "-ops", "200", "-ops-out", ops, "-progress", "on"}, tinyCloud...)
	code, _, errOut := pvsc(args...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "snapshot [==============================] 100%")
	assert.Contains(t, errOut, "operations [")

	data, err := os.ReadFile(snap)
	require.NoError(t, err)
	var m map[string][]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &m))
	assert.Len(t, m["ports"], 300)
	assert.Len(t, m["projects"], 30)
	assert.Len(t, m["roles"], 3+30*5)

	lines, err := os.ReadFile(ops)
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSpace(string(lines)), "\n"), 200)

	// Same seed, same bytes.
	again := filepath.Join(dir, "again.json")
	code, _, _ = pvsc(append([]string{"gen-cloud", "-seed", "3", "-o", again}, tinyCloud...)...)
	require.Equal(t, 0, code)
	data2, err := os.ReadFile(again)
	require.NoError(t, err)
	assert.Equal(t, data, data2)
}

func TestGenCloudMusicToStdout(t *testing.T) {
	code, out, errOut := pvsc("gen-cloud", "-kind", "music", "-data-objects", "50", "-organisations", "5",
		"-providers", "6", "-services", "8", "-workflows", "7", "-communities", "2")
	require.Equal(t, 0, code, errOut)
	assert.Empty(t, errOut, "no bar off a terminal unless asked")
	var m map[string][]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	assert.Len(t, m["data_objects"], 50)
	assert.Len(t, m["workflows"], 7)
}

func TestGenCloudFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-dataset", "11"}, "-dataset 11: want 1..10"},
		{[]string{"-kind", "aws"}, `-kind "aws": want openstack or music`},
		{[]string{"-cloud", "aws"}, "-cloud is deprecated; use -kind"},
		{[]string{"-ops", "5"}, "-ops needs -ops-out FILE"},
		{[]string{"-scale", "0"}, "-scale 0: want a positive factor"},
		{[]string{"-ops", "5", "-ops-out", "x", "-properties", "nope"}, `not "nope"`},
	} {
		code, _, errOut := pvsc(append([]string{"gen-cloud", "-o", filepath.Join(t.TempDir(), "c.json")}, c.args...)...)
		assert.Equal(t, 1, code, c.args)
		assert.Contains(t, errOut, c.want)
	}
}
