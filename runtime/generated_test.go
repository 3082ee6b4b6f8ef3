package runtime_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/genimpl"
	"pvsc.dev/pvsc/runtime/replay"
	"pvsc.dev/pvsc/specs/music"
	"pvsc.dev/pvsc/specs/openstack"
	"pvsc.dev/pvsc/tables"
)

// TestGeneratedPredicatesDecideAlike replays the same workload through the
// generated tables (whose predicates are Go, bound through genimpl) and through the
// tables compiled at run time (Fast form and CEL), and requires the same
// decision lines.
func TestGeneratedPredicatesDecideAlike(t *testing.T) {
	cases := []struct {
		name string
		gen  *tables.Spec
		dir  string
		w    *cloudgen.Workload
	}{
		{"openstack", openstack.Spec, "../specs/openstack", cloudgen.OpenStackWorkload(cloudgen.WorkloadConfig{Seed: 11, Tenants: 40, PortsPerTenant: 10, Ops: 600, Native: true, AttackRate: 0.3})},
		{"music", music.Spec, "../specs/music", cloudgen.MusicWorkload(cloudgen.WorkloadConfig{Seed: 5, Tenants: 8, PortsPerTenant: 3, Ops: 200})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			preds := 0
			forEachExpr(c.gen, func(x *tables.Expr) {
				if genimpl.PredOf(x) != nil {
					preds++
				}
			})
			require.Positive(t, preds, "the generated tables carry Go predicates")
			gen, err := runtime.New(c.gen, nil, runtime.Options{})
			require.NoError(t, err)
			a := replayed(t, gen, c.w)
			b := replayed(t, engine(t, c.dir, runtime.Options{}), c.w)
			assert.Equal(t, b, a)
		})
	}
}

func replayed(t *testing.T, e *runtime.Engine, w *cloudgen.Workload) string {
	t.Helper()
	var snap, ops, out bytes.Buffer
	require.NoError(t, w.WriteSnapshot(&snap))
	require.NoError(t, w.WriteOps(&ops))
	_, err := e.LoadSnapshot(&snap, "generated")
	require.NoError(t, err)
	_, err = replay.Run(e, &ops, &out)
	require.NoError(t, err)
	return out.String()
}

func forEachExpr(s *tables.Spec, fn func(*tables.Expr)) {
	visit := func(x *tables.Expr) {
		if x != nil {
			fn(x)
		}
	}
	for _, m := range s.Models {
		for i := range m.Events {
			visit(m.Events[i].Where)
		}
	}
	for _, c := range s.Clouds {
		for i := range c.Rows {
			visit(c.Rows[i].When)
		}
	}
	for _, p := range s.Properties {
		for _, c := range p.Criticals {
			visit(c.When)
			visit(c.Allow)
		}
		for _, in := range p.Watchlist.Inits {
			visit(in.Expr)
		}
	}
}
