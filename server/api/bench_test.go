package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/specs/openstack"
)

// BenchmarkDecideHandler is POST /v1/decide without the network: decode, decide, render;
// no_bypass alone (what make bench-http serves) and every shipped property.
func BenchmarkDecideHandler(b *testing.B) {
	w := cloudgen.OpenStackWorkload(cloudgen.WorkloadConfig{Seed: 1, Tenants: 1000, PortsPerTenant: 10, Ops: 2000, AttackRate: 0.3})
	var snap bytes.Buffer
	require.NoError(b, w.WriteSnapshot(&snap))
	for _, c := range []struct {
		name  string
		props []string
	}{{"no_bypass", []string{"no_bypass"}}, {"all", nil}} {
		b.Run(c.name, func(b *testing.B) {
			e, err := runtime.New(openstack.Spec, nil, runtime.Options{Properties: c.props})
			require.NoError(b, err)
			_, err = feed.New(feed.Config{Engine: e}).Load("s", snap.Bytes())
			require.NoError(b, err)
			srv, err := New(Config{Engine: e, Auth: func(h http.Handler) http.Handler { return h }})
			require.NoError(b, err)
			benchHandler(b, srv.Handler(), w.Ops)
		})
	}
}

func benchHandler(b *testing.B, h http.Handler, ops []json.RawMessage) {
	goruntime.GC()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body := ops[i%len(ops)]
		i++
		req := httptest.NewRequest("POST", "/v1/decide", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body.String())
		}
	}
}
