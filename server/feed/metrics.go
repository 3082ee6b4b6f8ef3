package feed

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the pipeline's Prometheus collectors.
type Metrics struct {
	events    *prometheus.CounterVec
	rejected  *prometheus.CounterVec
	resyncs   *prometheus.CounterVec
	lag       prometheus.Histogram
	lastEvent prometheus.Gauge
	position  prometheus.Gauge
	journal   prometheus.Gauge
	doubt     prometheus.Gauge
	connected prometheus.Gauge
}

// NewMetrics makes the collectors and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pvsc_events_total",
			Help: "Events from the message bus by outcome: applied, duplicate (same message_id), ignored (no row maps it)."}, []string{"outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pvsc_events_rejected_total",
			Help: "Events dead-lettered as malformed, by what failed: envelope, decode or operation."}, []string{"reason"}),
		resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pvsc_resyncs_total",
			Help: "Rebuilds of the context from a live snapshot, by reason and result."}, []string{"reason", "result"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pvsc_event_lag_seconds",
			Help:    "Queue lag: time from a notification's timestamp to its handling.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}),
		lastEvent: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pvsc_last_event_timestamp_seconds",
			Help: "Timestamp of the last applied notification."}),
		position: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pvsc_stream_position",
			Help: "Sequence number of the last journaled event."}),
		journal: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pvsc_journal_entries",
			Help: "Journal entries since the base snapshot (what a restart replays)."}),
		doubt: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pvsc_context_in_doubt",
			Help: "1 while events may have been missed: critical operations get their property's fail mode."}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pvsc_amqp_connected",
			Help: "1 while consuming from the message bus."}),
	}
	for _, r := range []string{"envelope", "decode", "operation"} {
		m.rejected.WithLabelValues(r) // exported from zero, so that rate() sees the first rejection
	}
	if reg != nil {
		reg.MustRegister(m.events, m.rejected, m.resyncs, m.lag, m.lastEvent, m.position, m.journal, m.doubt, m.connected)
	}
	return m
}
