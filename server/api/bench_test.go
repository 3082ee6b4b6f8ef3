package api

import (
	"bytes"
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

// BenchmarkDecideHandler is POST /v1/decide without the network: decode, decide, render.
func BenchmarkDecideHandler(b *testing.B) {
	w := cloudgen.OpenStackWorkload(cloudgen.WorkloadConfig{Seed: 1, Tenants: 1000, PortsPerTenant: 10, Ops: 2000, AttackRate: 0.3})
	var snap bytes.Buffer
	require.NoError(b, w.WriteSnapshot(&snap))
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(b, err)
	_, err = feed.New(feed.Config{Engine: e}).Load("s", snap.Bytes())
	require.NoError(b, err)
	srv, err := New(Config{Engine: e, Auth: func(h http.Handler) http.Handler { return h }})
	require.NoError(b, err)
	h := srv.Handler()
	goruntime.GC()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body := w.Ops[i%len(w.Ops)]
		i++
		req := httptest.NewRequest("POST", "/v1/decide", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body.String())
		}
	}
}
