package runtime_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/tables"
)

// BenchmarkDerivedPlan runs every shipped OpenStack property derive can plan twice in the
// same run, with its hand-written plan and with the derived one, on the catalogue cloud
// (10,000 ports) and its mixed stream: the critical decisions of the stream, and every
// operation decided and applied (the hand-written plan's watchlist upkeep included). It
// reports both costs per operation and derived:hand (target ≤ 1.5).
func BenchmarkDerivedPlan(b *testing.B) {
	catalogue(b)
	hand := compiled(b, "../specs/openstack")
	derived, err := compiler.CompileDirDerived("../specs/openstack")
	require.NoError(b, err)
	for _, p := range derived.Spec.Properties {
		if derived.Derived[p.Name] == nil || hand.Derived[p.Name] != nil {
			continue // no derived plan, or no hand-written one to compare with
		}
		b.Run(p.Name+"/decide", func(b *testing.B) {
			h, d := planPair(b, hand, derived, p.Name)
			hOps, dOps := criticalOps(b, h, p.Name), criticalOps(b, d, p.Name)
			require.NotEmpty(b, hOps)
			interleave(b, len(hOps), func(i int) { h.e.Decide(&hOps[i]) }, func(i int) { d.e.Decide(&dOps[i]) })
		})
		b.Run(p.Name+"/process", func(b *testing.B) {
			h, d := planPair(b, hand, derived, p.Name)
			// The stream repeats on the same context in both (a create seen again is an
			// update of the record): the same work for both plans.
			step := func(x *planEngine) func(int) {
				return func(i int) {
					o, _ := x.dec.Decode(catLines[i])
					for k := range o.Ops {
						x.e.Process(&o.Ops[k])
					}
				}
			}
			interleave(b, len(catLines), step(h), step(d))
		})
	}
}

type planEngine struct {
	r    *compiler.Result
	prop string
	e    *runtime.Engine
	dec  *intercept.Decoder
}

func (x *planEngine) reload(b *testing.B) {
	var err error
	x.e, err = runtime.New(x.r.Spec, x.r.Envs, runtime.Options{Properties: []string{x.prop}})
	require.NoError(b, err)
	_, err = x.e.LoadSnapshot(bytes.NewReader(catSnap), "d1")
	require.NoError(b, err)
	x.dec = intercept.New(x.e).NewDecoder()
}

func planPair(b *testing.B, hand, derived *compiler.Result, prop string) (*planEngine, *planEngine) {
	h, d := &planEngine{r: hand, prop: prop}, &planEngine{r: derived, prop: prop}
	h.reload(b)
	d.reload(b)
	return h, d
}

// criticalOps binds the stream's operations that are critical for the property in either
// plan, on this engine.
func criticalOps(b *testing.B, x *planEngine, prop string) []runtime.Op {
	var out []runtime.Op
	for _, l := range catLines {
		o, err := x.dec.Decode(l)
		require.NoError(b, err)
		for _, op := range o.Ops {
			if critical(x.r, prop, op.Event) {
				out = append(out, op)
			}
		}
	}
	return out
}

func critical(r *compiler.Result, prop string, ev int32) bool {
	p := r.Spec.Property(prop)
	return int(ev) < len(p.EventKinds) && p.EventKinds[ev] == tables.CE
}

// interleave times n-long passes of a and b in alternating batches (so drift on a noisy
// machine falls on both), and reports each one's time per call and their ratio.
func interleave(b *testing.B, n int, hand, derived func(int)) {
	const batch = 256
	var th, td time.Duration
	calls, i := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		start := i
		t0 := time.Now()
		for k := 0; k < batch; k++ {
			hand((start + k) % n)
		}
		t1 := time.Now()
		for k := 0; k < batch; k++ {
			derived((start + k) % n)
		}
		td += time.Since(t1)
		th += t1.Sub(t0)
		i = (start + batch) % n
		calls += batch
	}
	b.ReportMetric(float64(th.Nanoseconds())/float64(calls), "hand-ns/op")
	b.ReportMetric(float64(td.Nanoseconds())/float64(calls), "derived-ns/op")
	b.ReportMetric(float64(td)/float64(th), "derived:hand")
}
