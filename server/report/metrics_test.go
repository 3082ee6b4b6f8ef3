package report

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The lag histogram is read from the exposition the Prometheus client writes for
// /metrics (the same collector options as server/feed's), and the operator report draws it.
func TestLagFromAMetricsScrape(t *testing.T) {
	reg := prometheus.NewRegistry()
	lag := prometheus.NewHistogram(prometheus.HistogramOpts{Name: LagMetric, Help: "Queue lag.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)})
	reg.MustRegister(lag, prometheus.NewCounter(prometheus.CounterOpts{Name: "pvsc_events_total", Help: "x"}))
	for _, v := range []float64{0.0005, 0.002, 0.002, 0.03, 2} {
		lag.Observe(v)
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)

	h, err := readHistogram("scrape", strings.NewReader(string(body)), LagMetric)
	require.NoError(t, err)
	assert.Equal(t, 5.0, h.Count)
	assert.InDelta(t, 2.0345, h.Sum, 1e-9)
	require.Len(t, h.Buckets, 11, "ten bounds and +Inf")
	assert.Equal(t, Bucket{LE: 0.001, Count: 1}, h.Buckets[0])
	assert.Equal(t, Bucket{LE: 0.004, Count: 3}, h.Buckets[1])

	d, err := Operator(&Input{Name: "scrape", Lag: h})
	require.NoError(t, err)
	var md strings.Builder
	require.NoError(t, d.Markdown(&md))
	assert.Contains(t, md.String(), "5 notifications handled, mean lag 0.407 s.")
	assert.Contains(t, md.String(), "![event lag](operator-1.svg)")

	_, err = readHistogram("scrape", strings.NewReader("pvsc_events_total 3\n"), LagMetric)
	assert.EqualError(t, err, "scrape: no pvsc_event_lag_seconds histogram (want a scrape of pvsc serve's /metrics)")
}
