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

// The captured snapshot is the real test stack's Keystone, Neutron and Nova: its service
// project holds more admins than role_cardinality's cap of 2, and its groups were granted
// roles across domains by the end-to-end tests.
const captured = "../../openstack/testdata/captured/pvsc-snapshot.json"

func TestAuditCommandListsViolationsAndExits1(t *testing.T) {
	code, out, stderr := pvsc("audit", "--spec", "../../specs/openstack", "--snapshot", captured)
	require.Equal(t, 1, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Regexp(t, `pvsc-snapshot.json: \d+ violations \(10 properties, \d+ records checked in .*\)$`, lines[len(lines)-1])
	assert.Contains(t, out, `role_cardinality: assignment "`)
	assert.Contains(t, out, "breaks the invariant: `a.inherited || !(cloud.role_by_id[a.role].name in caps)")

	code, out, stderr = pvsc("audit", "--spec", "../../specs/openstack", "--snapshot", captured, "--format", "json")
	require.Equal(t, 1, code, stderr)
	var rep struct {
		Source     string
		Stats      struct{ Properties, Records int }
		Violations []struct {
			Property, Scope, Rule, Reason string
			Records                       []struct {
				Entity, ID string
				Attrs      map[string]string
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, 10, rep.Stats.Properties)
	require.NotEmpty(t, rep.Violations)
	props := map[string]int{}
	for _, v := range rep.Violations {
		props[v.Property]++
		require.NotEmpty(t, v.Records, v.Reason)
		assert.NotEmpty(t, v.Records[0].ID)
		assert.True(t, strings.HasPrefix(v.Reason, v.Property+": "), v.Reason)
	}
	assert.Positive(t, props["role_cardinality"])
	for _, v := range rep.Violations {
		if v.Property == "role_cardinality" {
			assert.Equal(t, "assignment", v.Records[0].Entity)
			assert.Contains(t, v.Records[0].Attrs, "role", "the attributes the rule reads")
		}
	}

	for format, want := range map[string]string{"markdown": "| property | scope | records | rule |", "html": `<table id="violations">`} {
		path := filepath.Join(t.TempDir(), "audit."+format)
		code, _, stderr = pvsc("audit", "--spec", "../../specs/openstack", "--snapshot", captured, "--format", format, "--out", path)
		require.Equal(t, 1, code, stderr)
		assert.Contains(t, stderr, "violations (10 properties")
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, string(b), want)
		rows := map[string]int{"markdown": strings.Count(string(b), "\n| ") - 2, "html": strings.Count(string(b), "<tr><td>")}[format]
		assert.Equal(t, len(rep.Violations), rows, format)
	}
}

func TestAuditCommandCleanAndErrors(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "clean.json")
	code, _, stderr := pvsc("gen-cloud", "--scale", "0.005", "-o", snap, "--progress", "off")
	require.Equal(t, 0, code, stderr)
	code, out, stderr := pvsc("audit", "--spec", "../../specs/openstack", "--snapshot", snap)
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `clean.json: clean \(10 properties, \d+ records checked`, out)

	b, err := os.ReadFile(snap)
	require.NoError(t, err)
	trunc := filepath.Join(dir, "trunc.json")
	require.NoError(t, os.WriteFile(trunc, b[:len(b)/2], 0o644))
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"truncated":      {[]string{"--snapshot", trunc}, "trunc.json: truncated"},
		"missing":        {[]string{"--snapshot", filepath.Join(dir, "none.json")}, "none.json: no such file"},
		"format":         {[]string{"--snapshot", snap, "--format", "yaml"}, `--format "yaml": want one of text, json, markdown, html`},
		"both sources":   {[]string{"--snapshot", snap, "--snapshot-live"}, "one of --snapshot or --snapshot-live"},
		"no credentials": {[]string{"--snapshot-live"}, "pvsc audit: "},
		"property":       {[]string{"--snapshot", snap, "--property", "no_such"}, "no_such"},
	} {
		code, _, stderr := pvsc(append([]string{"audit", "--spec", "../../specs/openstack"}, c.args...)...)
		assert.Equal(t, 2, code, name)
		assert.Contains(t, stderr, c.want, name)
	}
}
