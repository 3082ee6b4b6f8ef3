package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeRefusesABrokenSnapshotByName(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "cut.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"ports": [{"id": "p1", "network_id": `), 0o644))
	code, _, errOut := pvsc("serve", "--spec", "../../specs/openstack", "--snapshot", bad, "--auth", "bearer", "--listen", "127.0.0.1:0")
	assert.Equal(t, 1, code)
	assert.Equal(t, "pvsc serve: "+bad+": truncated: the JSON ends before it is complete\n", errOut)

	wrong := filepath.Join(t.TempDir(), "wrong.json")
	require.NoError(t, os.WriteFile(wrong, []byte(`{"ports": [{"id": 7}]}`), 0o644))
	code, _, errOut = pvsc("serve", "--spec", "../../specs/openstack", "--snapshot", wrong, "--auth", "bearer", "--listen", "127.0.0.1:0")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, wrong+": ports[0].id: ")
}

func TestServeAndProxyFlagErrors(t *testing.T) {
	cases := map[string][]string{
		"--spec is required":                              {"serve"},
		"give --snapshot or --snapshot-live, not both":    {"serve", "--spec", "../../specs/openstack", "--snapshot", "x", "--snapshot-live"},
		`--fail-open: spec openstack has no property "x"`: {"serve", "--spec", "../../specs/openstack", "--fail-open", "x"},
		"at least one --upstream is required":             {"proxy", "--spec", "../../specs/openstack"},
	}
	for want, args := range cases {
		code, _, errOut := pvsc(args...)
		assert.Equal(t, 1, code, want)
		assert.Contains(t, errOut, want)
	}
	code, _, errOut := pvsc("proxy", "--spec", "../../specs/openstack", "--upstream", "neutron")
	assert.Equal(t, 1, code, "a flag error")
	assert.Contains(t, errOut, `"neutron": want NAME=VALUE`)
}
