package compiler_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/lab/golden"
	"pvsc.dev/pvsc/tables"
)

// TestBrokenSpecs compiles the spec of every case in testdata/broken and compares all its
// diagnostics, sorted, with the case's errors section.
func TestBrokenSpecs(t *testing.T) {
	golden.Run(t, "testdata/broken/*.txtar", func(t *testing.T, c *golden.Case) {
		_, err := compiler.CompileSources("broken", c.Inputs(".pvsc"))
		require.Error(t, err, "a broken spec must not compile")
		var ds dsl.Diagnostics
		require.ErrorAs(t, err, &ds)
		c.Check(t, "errors", []byte(ds.Error()))
	})
}

func shipped(t *testing.T, dir string) *compiler.Result {
	t.Helper()
	res, err := compiler.CompileDir(filepath.Join("..", "specs", dir))
	require.NoError(t, err)
	return res
}

// TestWorkedExample is the paper's Fig. 6/7, Examples 2-3, exactly.
func TestWorkedExample(t *testing.T) {
	res := shipped(t, "openstack")
	p := res.Spec.Property("no_bypass")
	require.NotNil(t, p)
	m := res.Spec.Models[p.Model]
	kind := func(ev string) tables.Kind { return p.EventKinds[m.EventIndex(ev)] }
	assert.Equal(t, tables.WE, kind("create_port"))
	assert.Equal(t, tables.WE, kind("create_vm"))
	assert.Equal(t, tables.CE, kind("update_port"))
	assert.Equal(t, tables.TE, kind("create_network"))
	assert.Equal(t, tables.TE, kind("create_subnet"))
	assert.Equal(t, int32(3), p.Threshold)
	assert.Equal(t, int32(5), p.NMax)

	type row struct {
		conf string
		n    int32
	}
	var rows []row
	for _, c := range p.Configs {
		rows = append(rows, row{strings.Join(p.ConfigFacts(c.Mask), ","), c.N})
	}
	assert.Equal(t, []row{
		{"", 5},
		{"network", 4},
		{"network,subnet", 3},
		{"network,subnet,port", 2},
		{"network,subnet,port,port_subnet with vm", 1},
	}, rows)
	assert.Equal(t, "unattached", p.Watchlist.Name)
	assert.Equal(t, "tenant", m.Entities[p.Scope].Name)
}

// TestSpecOutsideSpecs compiles a model nobody ships, to show nothing is hard-coded.
func TestSpecOutsideSpecs(t *testing.T) {
	res, err := compiler.CompileDir("testdata/objstore")
	require.NoError(t, err)
	p := res.Spec.Property("no_public_secrets")
	require.NotNil(t, p)
	m := res.Spec.Models[p.Model]
	assert.Equal(t, []string{"bucket"}, factNames(p))
	assert.Equal(t, []tables.Config{{Mask: 0, N: 2}, {Mask: 1, N: 1}}, p.Configs)
	assert.Equal(t, int32(2), p.NMax)
	assert.Equal(t, tables.CE, p.EventKinds[m.EventIndex("publish_bucket")])
	assert.Equal(t, tables.CE, p.EventKinds[m.EventIndex("put_object")])
	assert.Equal(t, tables.WE, p.EventKinds[m.EventIndex("delete_object")])
	assert.Equal(t, tables.TE, p.EventKinds[m.EventIndex("create_bucket")])
	assert.Equal(t, tables.TE, p.EventKinds[m.EventIndex("create_account")], "creating the scope starts its configuration")
	assert.Equal(t, tables.Alert, p.Enforce)

	publish := p.Criticals[0]
	require.NotNil(t, publish.Allow.Fast, "a watchlist lookup runs without CEL")
	assert.Equal(t, tables.FNot, publish.Allow.Fast.Op)
	assert.Equal(t, tables.FInWL, publish.Allow.Fast.Args[0].Op)
	assert.True(t, publish.Allow.Vars.Watchlist)
	put := p.Criticals[1]
	assert.False(t, put.Allow.Vars.Watchlist, "an allow rule that never reads the watchlist does not need the scope")
	require.NotNil(t, put.Allow.Fast)
	assert.Equal(t, tables.FField, put.Allow.Fast.Args[0].Op)

	rows := res.Spec.Clouds[0].Rows
	require.Len(t, rows, 3)
	assert.True(t, rows[2].Params[0].Template, "object ids are built from the path")
}

func factNames(p *tables.Property) []string {
	var out []string
	for _, f := range p.Facts {
		out = append(out, f.Name)
	}
	return out
}

func TestPassesRunInDocumentedOrder(t *testing.T) {
	assert.Equal(t, []string{
		"declare", "resolve-models", "precedence", "event-roles", "cel-env", "operations", "properties", "metrics",
		"facts", "n-table", "model-event", "plan",
	}, compiler.PassNames())
}

func TestEveryShippedSpecCompiles(t *testing.T) {
	for _, dir := range []string{"openstack", "music"} {
		res := shipped(t, dir)
		for _, p := range res.Spec.Properties {
			assert.NotNil(t, p.Invariant, p.Name)
			assert.NotEmpty(t, p.Criticals, p.Name)
			assert.GreaterOrEqual(t, p.NMax, p.Threshold, p.Name)
			assert.Len(t, p.NTable, 1<<len(p.Facts), p.Name)
			for _, c := range p.Criticals {
				assert.NotNil(t, c.Allow, "%s: critical %d has an allow rule", p.Name, c.Event)
			}
		}
	}
}

func TestEnumConstantsAndTypes(t *testing.T) {
	res := shipped(t, "music")
	p := res.Spec.Property("data_placement")
	m := res.Spec.Models[p.Model]
	assert.Equal(t, []string{"public", "internal", "confidential", "secret"}, m.Enums[0].Values)
	env, err := res.Envs[p.Model].For(tables.Vars{Event: -1, Elem: -1, Scope: -1}, tables.ElemType{}, nil)
	require.NoError(t, err)
	_, iss := env.Compile(`level.secret > level.public && cloud.provider_by_id["x"].trust >= level.internal`)
	require.NoError(t, iss.Err())
	_, iss = env.Compile(`level.topsecret`)
	require.Error(t, iss.Err(), "unknown enum values are type errors")
}

// TestOnlyNovaLinksAPortToAVM pins how the link fact is gained since device_id became
// Neutron's string field: an update_port no longer plugs a port into a VM (clearing or
// setting device_id does not unplug or plug it), only create_vm does, and create_vm needs the
// port's subnet in the configuration; linked, the port is one step from the critical event.
func TestOnlyNovaLinksAPortToAVM(t *testing.T) {
	res := shipped(t, "openstack")
	p := res.Spec.Property("no_bypass")
	var port, link uint32
	for i, f := range p.Facts {
		switch f.Name {
		case "port":
			port = 1 << uint(i)
		case "port_subnet with vm":
			link = 1 << uint(i)
		}
	}
	require.NotZero(t, port)
	require.NotZero(t, link)
	assert.Equal(t, int32(4), p.N(port), "network, subnet, create_vm, then the critical update")
	assert.Equal(t, int32(1), p.N(port|link))
}

// TestMusicMetricsCompile pins the shipped metric definitions as the runtime receives them.
func TestMusicMetricsCompile(t *testing.T) {
	res := shipped(t, "music")
	m := res.Spec.Models[0]
	type def struct {
		name, unit, point string
		dir               tables.Direction
		target            int64
		penalty           int32
	}
	var got []def
	for _, mt := range res.Spec.Metrics {
		assert.Equal(t, "report_measurement", m.Events[mt.Event].Name, mt.Name)
		assert.NotEmpty(t, mt.Doc, mt.Name)
		got = append(got, def{mt.Name, mt.Unit, mt.Point, mt.Direction, mt.Target, mt.Penalty})
	}
	assert.Equal(t, []def{
		{"patch_latency_days", "days", "patch management", tables.AtMost, 7, 1},
		{"open_incidents", "incidents", "incident tracker", tables.AtMost, 2, 1},
		{"audit_findings", "findings", "audit", tables.AtMost, 0, 2},
		{"availability", "per mille", "uptime probe", tables.AtLeast, 995, 1},
	}, got)
	avail := res.Spec.Metric("availability")
	require.NotNil(t, avail)
	assert.True(t, avail.Missed(994), "below an at-least target is a miss")
	assert.False(t, avail.Missed(995), "the target itself meets it")
	assert.True(t, res.Spec.Metric("patch_latency_days").Missed(8))
}

// TestMetricWithoutPenaltyCostsOneLevel: the miss clause may be left out.
func TestMetricWithoutPenaltyCostsOneLevel(t *testing.T) {
	res, err := compiler.CompileSources("m", map[string][]byte{"m.pvsc": []byte(`model m {
  entity provider
  event report updates provider (provider_id: provider, name: string, value: int)
}
metric incidents on m {
  unit "incidents"
  target at most 3
  reported by report
}
`)})
	require.NoError(t, err)
	require.Len(t, res.Spec.Metrics, 1)
	assert.Equal(t, int32(1), res.Spec.Metrics[0].Penalty)
	assert.Equal(t, "", res.Spec.Metrics[0].Point)
}
