package exchange

import (
	"github.com/prometheus/client_golang/prometheus"
)

// register exposes the receiver's counts and the publisher's queue on the node's /metrics,
// read at each scrape from what they count already.
func register(reg prometheus.Registerer, r *Receiver, p *Publisher) error {
	var cs []prometheus.Collector
	if r != nil {
		cs = append(cs, r.collectors()...)
	}
	if p != nil {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pvsc_alerts_out_pending",
			Help: "Alerts waiting for the broker to confirm them."}, func() float64 { return float64(p.pendingNow()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pvsc_alerts_out_published_total",
				Help: "Alerts the broker confirmed."}, func() float64 { return float64(p.publishedNow()) }))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (r *Receiver) collectors() []prometheus.Collector {
	outcome := func(name string, f func(Stats) int) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pvsc_alerts_in_total",
			Help:        "Alerts received from other clouds, by what became of them.",
			ConstLabels: prometheus.Labels{"outcome": name}}, func() float64 { return float64(f(r.Stats())) })
	}
	return []prometheus.Collector{
		outcome("rated", func(s Stats) int { return s.Ratings }),
		outcome("duplicate", func(s Stats) int { return s.Duplicates }),
		outcome("ignored", func(s Stats) int { return s.Ignored }),
		outcome("malformed", func(s Stats) int { return s.Malformed }),
		outcome("refused", func(s Stats) int { return s.Refused }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pvsc_alerts_trust_changes_total",
			Help: "Trust level changes the received alerts caused."}, func() float64 { return float64(r.Stats().Changes) }),
	}
}
