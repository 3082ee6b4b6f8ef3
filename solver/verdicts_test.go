package solver

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/tables"
)

func verify(t *testing.T, dir string, b Bounds) (Result, *tables.Spec) {
	r := compile(t, dir)
	res, err := VerifyVerdicts(r.Spec, r.Spec.Property("no_bypass"), b)
	require.NoError(t, err)
	return res, r.Spec
}

func TestProvenForRunsOfAnyLength(t *testing.T) {
	res, _ := verify(t, "testdata/proven", Bounds{})
	assert.True(t, res.Proven)
	assert.Equal(t, [numKinds]Outcome{Unbounded, Unbounded, Unbounded}, res.Outcomes)
	assert.Equal(t, map[string]int{"domain": 1, "tenant": 2, "network": 2, "subnet": 2, "port": 3, "vm": 2, "host": 2}, res.Bounds.Count)
	assert.Equal(t, DefaultSteps, res.Bounds.Steps)
}

func TestBrokenProperties(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		kind Kind
		// check looks at the culprit: the last operation of the counterexample.
		check func(t *testing.T, last Step, p *tables.Property)
	}{
		{"forgets_remove", Mismatch, func(t *testing.T, last Step, _ *tables.Property) {
			assert.Equal(t, "update_port", last.Event)
			assert.Equal(t, "allow", last.Verdict, "the bound port is still in the watchlist")
			assert.False(t, last.Invariant)
		}},
		{"wrong_allow", Mismatch, func(t *testing.T, last Step, _ *tables.Property) {
			assert.Equal(t, "update_port", last.Event)
			assert.Contains(t, paramNames(last), "device_id", "the update binds the port itself")
			assert.Equal(t, "allow", last.Verdict)
			assert.False(t, last.Invariant)
		}},
		{"wrong_threshold", NotReady, func(t *testing.T, last Step, p *tables.Property) {
			assert.True(t, last.Critical)
			assert.False(t, last.Ready)
			assert.Greater(t, last.NCp, p.Threshold)
			assert.Equal(t, "deny", last.Verdict, "the slow path still decides right")
			assert.False(t, last.Invariant)
		}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			res, spec := verify(t, "testdata/broken/"+tc.dir, Bounds{})
			assert.False(t, res.Proven)
			for k, c := range res.Counterexamples {
				if Kind(k) != tc.kind {
					assert.Nil(t, c, "only the intended defect shows: %v", c)
				}
			}
			cx := res.Counterexamples[tc.kind]
			require.NotNil(t, cx)
			assert.Equal(t, tc.kind, cx.Kind)
			tc.check(t, cx.Steps[len(cx.Steps)-1], spec.Property("no_bypass"))
			text := cx.String()
			assert.Contains(t, text, "counterexample for no_bypass: "+tc.kind.String())
			assert.Contains(t, text, "1. ")
		})
	}
}

func paramNames(s Step) []string {
	var out []string
	for _, p := range s.Params {
		out = append(out, p.Name)
	}
	return out
}

func TestBrokenFromTheEmptyCloud(t *testing.T) {
	res, _ := verify(t, "testdata/broken/wrong_allow", Bounds{FromEmpty: true})
	cx := res.Counterexamples[Mismatch]
	require.NotNil(t, cx)
	assert.Empty(t, cx.Initial)
	assert.Greater(t, len(cx.Steps), 1, "records must be created first")
	assert.Contains(t, cx.String(), "snapshot: empty")
}

// A one-operation counterexample replayed through the intercept-and-check
// baseline: the baseline sees the same violation the proof reported.
func TestCounterexampleAgreesWithTheBaseline(t *testing.T) {
	res, spec := verify(t, "testdata/broken/wrong_allow", Bounds{})
	cx := res.Counterexamples[Mismatch]
	require.NotNil(t, cx)
	require.Len(t, cx.Steps, 1)
	m := spec.Models[0]
	src := sourceOf(t, m, cx.Initial)
	bl, err := NewBaseline(spec, spec.Property("no_bypass"))
	require.NoError(t, err)
	d, err := bl.Decide(src, opOf(t, m, cx.Steps[0]))
	require.NoError(t, err)
	want := Allow
	if !cx.Steps[0].Invariant {
		want = Deny
	}
	assert.Equal(t, want, d.Verdict, d.Reason)
	assert.NotEqual(t, cx.Steps[0].Verdict, d.Verdict.String(), "the proactive verdict was wrong")
}

// sourceOf rebuilds a counterexample's snapshot.
func sourceOf(t *testing.T, m *tables.Model, recs []InitRecord) *MemSource {
	src := NewMemSource(m)
	for _, r := range recs {
		if r.Deleted {
			continue
		}
		e := m.EntityIndex(r.Entity)
		ent := m.Entities[e]
		mr := &MemRecord{Id: r.ID, Parents: make([]string, len(ent.Parents)), Attrs: make([]Value, len(ent.Attrs))}
		for _, f := range r.Fields {
			for k, p := range ent.Parents {
				if m.Entities[p].Name == f.Name {
					mr.Parents[k] = parse(t, f.Value, tables.Type{Kind: tables.TRef}).Str
				}
			}
			for a, at := range ent.Attrs {
				if at.Name == f.Name {
					mr.Attrs[a] = parse(t, f.Value, at.Type)
				}
			}
		}
		src.Put(e, mr)
	}
	return src
}

func opOf(t *testing.T, m *tables.Model, s Step) Op {
	ev := m.EventIndex(s.Event)
	op := Op{Event: ev, Params: make([]Value, len(m.Events[ev].Params))}
	for _, f := range s.Params {
		i := m.Events[ev].ParamIndex(f.Name)
		op.Params[i] = parse(t, f.Value, m.Events[ev].Params[i].Type)
	}
	return op
}

// parse reads a rendered value back.
func parse(t *testing.T, s string, ty tables.Type) Value {
	switch ty.Kind {
	case tables.TBool:
		return Bool(s == "true")
	case tables.TInt:
		n, err := strconv.ParseInt(s, 10, 64)
		require.NoError(t, err)
		return Int(n)
	case tables.TList:
		var vs []Value
		for _, x := range strings.Split(strings.Trim(s, "[]"), ", ") {
			if x != "" {
				vs = append(vs, parse(t, x, tables.Type{Kind: ty.Elem}))
			}
		}
		return List(vs...)
	}
	if u, err := strconv.Unquote(s); err == nil {
		return Str(u)
	}
	return Str(s)
}

func TestUnsupportedExpressionIsAnError(t *testing.T) {
	r := compile(t, "testdata/unsupported")
	_, err := VerifyVerdicts(r.Spec, r.Spec.Property("no_bypass"), Bounds{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "property no_bypass, invariant")
	assert.Contains(t, err.Error(), "function matches is not supported")
	_, err = NewBaseline(r.Spec, r.Spec.Property("no_bypass"))
	assert.Error(t, err)
}

func TestBoundsAreParsedAndChecked(t *testing.T) {
	b, err := ParseBounds("port=4,vm=1,steps=7")
	require.NoError(t, err)
	assert.Equal(t, Bounds{Count: map[string]int{"port": 4, "vm": 1}, Steps: 7}, b)
	_, err = ParseBounds("port")
	assert.Error(t, err)
	r := compile(t, "testdata/proven")
	_, err = VerifyVerdicts(r.Spec, r.Spec.Property("no_bypass"), Bounds{Count: map[string]int{"flavor": 1}})
	assert.ErrorContains(t, err, "flavor is not an entity")
}

// Every shipped property is proven in its default bounds: its proactive
// verdicts equal its invariant, and no counterexample exists.
func TestShippedProperties(t *testing.T) {
	for _, r := range shipped(t) {
		for _, p := range r.Spec.Properties {
			spec, p := r.Spec, p
			t.Run(p.Name, func(t *testing.T) {
				t.Parallel()
				res, err := VerifyVerdicts(spec, p, Bounds{})
				require.NoError(t, err)
				t.Logf("%s: proven=%v %v in %v", p.Name, res.Proven, res.Outcomes, res.Time)
				for _, c := range res.Counterexamples {
					if c != nil {
						t.Error("counterexample:\n" + c.String())
					}
				}
				assert.True(t, res.Proven, "%s is not proven", p.Name)
			})
		}
	}
}
