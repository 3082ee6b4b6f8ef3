package api

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
)

// metrics are the API's collectors. Decision counters are resolved once per (property,
// verdict) so that counting a decision is an atomic add, not a label lookup.
type metrics struct {
	phases   [3]prometheus.Observer // decode, decide, render
	total    prometheus.Observer
	requests struct{ bad prometheus.Counter }
}

var verdicts = []runtime.Verdict{runtime.Pass, runtime.Allow, runtime.Log, runtime.Alert, runtime.Deny}

func newMetrics(reg *prometheus.Registry, e *runtime.Engine, in *intercept.Interceptor) *metrics {
	m := &metrics{}
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pvsc_decide_phase_seconds",
		Help:    "Time of POST /v1/decide by phase: decode (interception and matching), decide (the engine), render (reasons and JSON), total.",
		Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.025, 0.1}}, []string{"phase"})
	for i, ph := range []string{"decode", "decide", "render"} {
		m.phases[i] = lat.WithLabelValues(ph)
	}
	m.total = lat.WithLabelValues("total")
	bad := prometheus.NewCounter(prometheus.CounterOpts{Name: "pvsc_decide_bad_requests_total",
		Help: "POST /v1/decide requests refused as malformed."})
	m.requests.bad = bad
	reg.MustRegister(lat, bad, &engineCollector{e: e, in: in},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(t0, t1, t2, t3 time.Time) {
	m.phases[0].Observe(t1.Sub(t0).Seconds())
	m.phases[1].Observe(t2.Sub(t1).Seconds())
	m.phases[2].Observe(t3.Sub(t2).Seconds())
	m.total.Observe(t3.Sub(t0).Seconds())
}

// engineCollector reads the engine's and the interceptor's counters at scrape time.
type engineCollector struct {
	e  *runtime.Engine
	in *intercept.Interceptor
}

var (
	descEngine = prometheus.NewDesc("pvsc_engine_total", "Engine counters: slow paths, watchlist rebuilds, drops, adds, removes, malformed operations.", []string{"what"}, nil)
	descPhase  = prometheus.NewDesc("pvsc_engine_phase_seconds_total", "Engine time per phase (n-step evaluation, watchlist update, violation detection); only with --engine-timing.", []string{"phase"}, nil)
	descOps    = prometheus.NewDesc("pvsc_operations_total", "Operations the API decoded: known (mapped to a model event), unknown (passed), malformed (refused).", []string{"kind"}, nil)
	descWL     = prometheus.NewDesc("pvsc_watchlists", "Scopes with a watchlist, over every property.", nil, nil)
)

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descEngine
	ch <- descPhase
	ch <- descOps
	ch <- descWL
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.e.Stats()
	for what, v := range map[string]int64{"slow_paths": st.SlowPaths, "rebuilds": st.Rebuilds, "drops": st.Drops,
		"adds": st.Adds, "removes": st.Removes, "malformed": st.Malformed} {
		ch <- prometheus.MustNewConstMetric(descEngine, prometheus.CounterValue, float64(v), what)
	}
	for i, d := range st.Phases {
		ch <- prometheus.MustNewConstMetric(descPhase, prometheus.CounterValue, d.Seconds(), runtime.Phase(i).String())
	}
	n := c.in.Counts()
	ch <- prometheus.MustNewConstMetric(descOps, prometheus.CounterValue, float64(n.Known), "known")
	ch <- prometheus.MustNewConstMetric(descOps, prometheus.CounterValue, float64(n.Unknown), "unknown")
	ch <- prometheus.MustNewConstMetric(descOps, prometheus.CounterValue, float64(n.Malformed), "malformed")
	scopes, _ := c.e.WatchlistSize()
	ch <- prometheus.MustNewConstMetric(descWL, prometheus.GaugeValue, float64(scopes))
}
