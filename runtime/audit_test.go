package runtime

import (
	"bytes"
	"slices"
	"testing"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/traits"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/specs/openstack"
	"pvsc.dev/pvsc/tables"
)

func auditSizes() cloudgen.Sizes {
	return cloudgen.Sizes{Domains: 3, Tenants: 12, Users: 30, Groups: 3, Networks: 14, Subnets: 20, Routers: 8,
		Ports: 60, VMs: 30, Hosts: 4, RolesPerTenant: 2, AssignmentsPerUser: 2, AvoidShare: 0.4}
}

// violatingEngine loads a seeded cloud and applies a stream in which half the critical
// operations violate their property, as facts (they bypassed any proxy).
func violatingEngine(t *testing.T, seed uint64, ops int) (*Engine, *cloudgen.Oracle) {
	t.Helper()
	c := cloudgen.NewOpenStack(seed, auditSizes())
	var snap bytes.Buffer
	require.NoError(t, c.WriteSnapshot(&snap, nil))
	e, err := New(openstack.Spec, nil, Options{Audit: true})
	require.NoError(t, err)
	_, err = e.LoadSnapshot(bytes.NewReader(snap.Bytes()), "seeded")
	require.NoError(t, err)
	o, err := cloudgen.LoadOracle(bytes.NewReader(snap.Bytes()))
	require.NoError(t, err)
	g, err := c.NewStream(seed, cloudgen.StreamConfig{Critical: 0.6, Violating: 0.5})
	require.NoError(t, err)
	for range ops {
		l := g.Next()
		bound, err := e.Neutral(l.Op, l.Params)
		require.NoError(t, err)
		for i := range bound {
			e.Apply(&bound[i])
		}
		o.Apply(l)
	}
	chaos, err := cloudgen.Chaos(snap.Bytes(), seed, ops/2)
	require.NoError(t, err)
	for _, l := range chaos {
		bound, err := e.Neutral(l.Op, l.Params)
		require.NoError(t, err)
		for i := range bound {
			e.Apply(&bound[i])
		}
		o.Apply(l)
	}
	return e, o
}

// reference lists, per property and clause, the ids of the records for which the clause's
// body is false, by CEL's own evaluation of `range.filter(v, !(body))` over every record.
func reference(t *testing.T, e *Engine) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, pr := range e.props {
		mw := e.w.models[pr.model.idx]
		clauses := []*anode{pr.audit}
		if pr.audit.kind == aAnd {
			clauses = pr.audit.kids
		}
		env, err := pr.model.env.For(tables.Vars{Event: -1, Elem: -1, Scope: -1}, tables.ElemType{}, letDecls(pr.lets))
		require.NoError(t, err)
		for _, cl := range clauses {
			require.Equal(t, aAll, cl.kind, "%s: every shipped invariant is a conjunction of quantifiers", pr.t.Name)
			ast, iss := env.Compile(cl.rng + ".filter(" + cl.v + ", !(" + cl.src + "))")
			require.NoError(t, iss.Err())
			prg, err := env.Program(ast)
			require.NoError(t, err)
			v, _, err := prg.Eval(&auditAct{mw: mw, lets: pr.lets})
			require.NoError(t, err)
			for it := v.(traits.Lister).Iterator(); it.HasNext() == types.True; {
				en, row, ok := state.RecordOf(it.Next())
				require.True(t, ok)
				out[pr.t.Name] = append(out[pr.t.Name], mw.st.Names.String(mw.st.ID(en, row)))
			}
		}
		slices.Sort(out[pr.t.Name])
	}
	return out
}

// TestAuditFindsExactlyTheViolations: on seeded clouds that violated properties through
// facts, the audit names exactly the records CEL's full evaluation of each invariant
// finds false (the narrowed ranges and the tree change nothing), and for no_bypass and
// common_ownership the independent oracle agrees on whether the cloud is compliant.
func TestAuditFindsExactlyTheViolations(t *testing.T) {
	seen := map[string]int{}
	for seed := uint64(1); seed <= 120; seed++ {
		e, o := violatingEngine(t, seed, int(seed%40))
		vs, st, err := e.Audit()
		require.NoError(t, err)
		assert.Equal(t, len(openstack.Spec.Properties), st.Properties)
		got := map[string][]string{}
		for _, v := range vs {
			require.Empty(t, v.Error, v.Reason)
			got[v.Property] = append(got[v.Property], v.Records[0].ID)
			assert.Contains(t, v.Reason, v.Property+": "+v.Records[0].Entity+" ")
		}
		for p := range got {
			slices.Sort(got[p])
			seen[p]++
		}
		want := reference(t, e)
		for _, p := range []string{"no_bypass", "common_ownership", "no_co_residency", "no_cross_tenant_port", "separation_of_duties", "role_cardinality", "group_ownership"} {
			assert.Equal(t, want[p], got[p], "seed %d %s", seed, p)
		}
		for _, p := range []string{cloudgen.NoBypass, cloudgen.CommonOwnership} {
			assert.Equal(t, o.Invariant(p), len(got[p]) == 0, "seed %d: the oracle on %s", seed, p)
		}
	}
	t.Logf("seeded clouds violating each property: %v", seen)
	for _, p := range []string{"no_bypass", "common_ownership", "no_co_residency", "no_cross_tenant_port", "separation_of_duties", "role_cardinality", "group_ownership"} {
		assert.Positive(t, seen[p], "some seeded cloud violates %s", p)
	}
}

func TestAuditNeedsTheOption(t *testing.T) {
	e, err := New(openstack.Spec, nil, Options{})
	require.NoError(t, err)
	_, _, err = e.Audit()
	assert.ErrorIs(t, err, ErrNoAudit)
}
