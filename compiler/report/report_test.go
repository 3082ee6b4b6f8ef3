package report_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"pvsc.dev/pvsc/lab/golden"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/compiler/report"
)

// TestGoldenTablesOfShippedProperties pins the five tables of every shipped
// property, as text for people and JSON for tools.
func TestGoldenTablesOfShippedProperties(t *testing.T) {
	for _, dir := range []string{"openstack", "music"} {
		res, err := compiler.CompileDir(filepath.Join("..", "..", "specs", dir))
		require.NoError(t, err)
		for _, p := range res.Spec.Properties {
			t.Run(p.Name, func(t *testing.T) {
				r, err := report.Build(res.Spec, p.Name)
				require.NoError(t, err)
				var text bytes.Buffer
				require.NoError(t, r.WriteText(&text))
				js, err := json.MarshalIndent(r, "", "  ")
				require.NoError(t, err)
				c := golden.Load(t, filepath.Join("testdata", dir, p.Name+".txtar"))
				c.Check(t, "tables.txt", text.Bytes())
				c.Check(t, "tables.json", append(js, '\n'))
				c.Save(t)
			})
		}
	}
}

func TestUnknownPropertyNamesTheKnownOnes(t *testing.T) {
	res, err := compiler.CompileDir("../../specs/music")
	require.NoError(t, err)
	_, err = report.Build(res.Spec, "nope")
	require.EqualError(t, err, `spec music has no property "nope" (it has: data_placement, data_vault, no_step_in_downtime, workflow_admissibility, workflow_trust)`)
}

func TestDOTAnnotatesFig7(t *testing.T) {
	res, err := compiler.CompileDir("../../specs/openstack")
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, report.WriteDOT(&buf, res.Spec, res.Spec.Property("no_bypass")))
	dot := buf.String()
	assert.Contains(t, dot, `"tenant" [label="tenant\nN = 5 (root)"`)
	assert.Contains(t, dot, `"network" [label="network\nN = 4"`)
	assert.Contains(t, dot, `"subnet" [label="subnet\nN = 3"`)
	assert.Contains(t, dot, `"port" [label="port\nN = 2"`)
	assert.Contains(t, dot, `"port_subnet" -> "vm" [color=blue, fontcolor=blue, label="create_vm (WE)\nN = 1", dir=both]`)
	assert.Contains(t, dot, `label="update_port (CE)"`)
	c := golden.Load(t, "testdata/no_bypass_dot.txtar")
	c.Check(t, "graph.dot", buf.Bytes())
	c.Save(t)
}

// TestMetricsOfTheWholeSpec: the spec's security metrics follow the five tables, and are left
// out of one property's.
func TestMetricsOfTheWholeSpec(t *testing.T) {
	res, err := compiler.CompileDir(filepath.Join("..", "..", "specs", "music"))
	require.NoError(t, err)
	r, err := report.Build(res.Spec, "")
	require.NoError(t, err)
	require.Len(t, r.Metrics, 4)
	assert.Equal(t, report.MetricRow{Metric: "availability", Model: "music", Unit: "per mille", Target: "at least 995",
		Event: "report_measurement", Point: "uptime probe", Penalty: 1}, r.Metrics[3])
	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	assert.Contains(t, text.String(), "Security metrics\n================\nMETRIC")
	assert.Regexp(t, `audit_findings +music +findings +at most 0 +report_measurement +audit +2 level\(s\)`, text.String())

	one, err := report.Build(res.Spec, "data_placement")
	require.NoError(t, err)
	assert.Empty(t, one.Metrics)
}
