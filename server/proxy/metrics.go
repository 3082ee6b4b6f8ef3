package proxy

import (
	"github.com/prometheus/client_golang/prometheus"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/tables"
)

type metrics struct {
	requests  *prometheus.CounterVec
	overhead  *prometheus.HistogramVec
	applied   *prometheus.CounterVec
	unmapped  *prometheus.CounterVec
	decisions [][]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, spec *tables.Spec) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pvsc_proxy_requests_total",
			Help: "Proxied calls by upstream and outcome: passed (no row maps it), forwarded (mapped, not critical), allowed, denied, refused (token), malformed, upstream_error."},
			[]string{"upstream", "outcome"}),
		overhead: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pvsc_proxy_added_seconds",
			Help:    "Latency the proxy adds to a call (its own work before forwarding and while applying the response), by outcome.",
			Buckets: []float64{1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.025}}, []string{"outcome"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pvsc_proxy_applied_total",
			Help: "Successful mapped calls applied from the upstream's response, by result."}, []string{"result"}),
		unmapped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pvsc_proxy_unmapped_total",
			Help: "State-changing calls on a modelled resource that no row maps, by pattern and outcome (refused by a fail-closed property, or forwarded)."},
			[]string{"pattern", "outcome"}),
	}
	dec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pvsc_proxy_decisions_total",
		Help: "Property checks of critical calls held by the proxy, by property and verdict."}, []string{"property", "verdict"})
	for _, p := range spec.Properties {
		row := make([]prometheus.Counter, runtime.Deny+1)
		for v := runtime.Pass; v <= runtime.Deny; v++ {
			row[v] = dec.WithLabelValues(p.Name, v.String())
		}
		m.decisions = append(m.decisions, row)
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.overhead, m.applied, m.unmapped, dec)
	}
	return m
}

func (m *metrics) count(d *runtime.Decision) {
	for i := 0; i < d.Len(); i++ {
		ch := d.At(i)
		if int(ch.Property) < len(m.decisions) {
			m.decisions[ch.Property][ch.Verdict].Inc()
		}
	}
}
