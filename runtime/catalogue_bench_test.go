package runtime_test

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/specs/openstack"
)

// The catalogue benchmarks run every shipped OpenStack property together on the
// paper's first dataset (10,000 ports, 1,000 tenants); pvsc bench --catalogue
// measures the larger ones.

var (
	catOnce        sync.Once
	catSnap, catCk []byte
	catLines       [][]byte
)

func catalogue(b *testing.B) {
	b.Helper()
	catOnce.Do(func() {
		c := cloudgen.NewOpenStack(1, cloudgen.Dataset(1))
		var snap bytes.Buffer
		require.NoError(b, c.WriteSnapshot(&snap, nil))
		catSnap = snap.Bytes()
		e := allProps(b)
		_, err := e.LoadSnapshot(bytes.NewReader(catSnap), "d1")
		require.NoError(b, err)
		var ck bytes.Buffer
		require.NoError(b, e.WriteCheckpoint(&ck))
		catCk = ck.Bytes()
		s, err := c.NewStream(7, cloudgen.StreamConfig{Critical: 0.1, Violating: 0.1})
		require.NoError(b, err)
		for _, l := range s.Lines(20000) {
			data, err := json.Marshal(struct {
				Op     string         `json:"op"`
				Params map[string]any `json:"params"`
			}{l.Op, l.Params})
			require.NoError(b, err)
			catLines = append(catLines, data)
		}
	})
}

func allProps(b *testing.B) *runtime.Engine {
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(b, err)
	return e
}

func BenchmarkStartupJSON(b *testing.B)       { benchStartup(b, func() []byte { return catSnap }) }
func BenchmarkStartupCheckpoint(b *testing.B) { benchStartup(b, func() []byte { return catCk }) }

func benchStartup(b *testing.B, data func() []byte) {
	catalogue(b)
	b.ReportAllocs()
	for b.Loop() {
		e := allProps(b)
		if _, err := e.LoadSnapshot(bytes.NewReader(data()), "d1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMixedOperation decodes, decides and applies one operation of a
// mixed stream with every property on (a fresh context every 20,000).
func BenchmarkMixedOperation(b *testing.B) {
	catalogue(b)
	for _, props := range []struct {
		name string
		list []string
	}{{"all", nil}, {"no_bypass", []string{"no_bypass"}}} {
		b.Run(props.name, func(b *testing.B) {
			var e *runtime.Engine
			var dec *intercept.Decoder
			fresh := func() {
				var err error
				e, err = runtime.New(openstack.Spec, nil, runtime.Options{Properties: props.list})
				require.NoError(b, err)
				_, err = e.LoadSnapshot(bytes.NewReader(catCk), "d1")
				require.NoError(b, err)
				dec = intercept.New(e).NewDecoder()
			}
			fresh()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == len(catLines) {
					b.StopTimer()
					fresh()
					i = 0
					b.StartTimer()
				}
				d, _ := dec.Decode(catLines[i])
				for k := range d.Ops {
					e.Process(&d.Ops[k])
				}
				i++
			}
		})
	}
}

// BenchmarkCatalogueDecision decides critical operations of no_bypass and
// common_ownership, allowed and denied, with every property on: what each
// operation concerns in the other properties is decided too.
func BenchmarkCatalogueDecision(b *testing.B) {
	catalogue(b)
	e := allProps(b)
	_, err := e.LoadSnapshot(bytes.NewReader(catCk), "d1")
	require.NoError(b, err)
	c := cloudgen.NewOpenStack(1, cloudgen.Dataset(1))
	var batch []runtime.Op
	for j := uint64(0); len(batch) < 256; j++ {
		s, err := c.NewStream(j, cloudgen.StreamConfig{})
		require.NoError(b, err)
		l, ok := s.Critical(cloudgen.StreamProperties[j%2], j%4 >= 2)
		if !ok {
			continue
		}
		op, err := e.NewOp(l.Op, l.Params)
		require.NoError(b, err)
		batch = append(batch, op)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if d := e.Decide(&batch[i&255]); d.Len() == 0 {
			b.Fatal("no check")
		}
		i++
	}
}
