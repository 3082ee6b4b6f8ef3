package benchrun

import (
	"slices"
	"time"
)

// Dist summarises repeated timings: their count, median, 99th percentile, mean and maximum.
type Dist struct {
	N      int           `json:"n"`
	Median time.Duration `json:"median_ns"`
	P99    time.Duration `json:"p99_ns"`
	Mean   time.Duration `json:"mean_ns"`
	Max    time.Duration `json:"max_ns"`
}

// Summarise is the distribution of the samples (nearest-rank percentiles); the samples are sorted in place.
func Summarise(samples []time.Duration) Dist {
	if len(samples) == 0 {
		return Dist{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	n := len(samples)
	return Dist{N: n, Median: rank(samples, 0.5), P99: rank(samples, 0.99), Mean: sum / time.Duration(n), Max: samples[n-1]}
}

// rank is the nearest-rank q-quantile of sorted samples; the median of an even count is the mean of the middle two.
func rank(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if q == 0.5 && n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	i := int(q*float64(n)+0.999999999) - 1
	return sorted[min(max(i, 0), n-1)]
}

// samples collects timings, by class.
type samples struct {
	all, allowed, denied []time.Duration
}

func (s *samples) add(d time.Duration, deny bool) {
	s.all = append(s.all, d)
	if deny {
		s.denied = append(s.denied, d)
	} else {
		s.allowed = append(s.allowed, d)
	}
}

// Timings are one engine's response times: every run, the allowed operations' and the denied ones'.
type Timings struct {
	All     Dist `json:"all"`
	Allowed Dist `json:"allowed"`
	Denied  Dist `json:"denied"`
}

func (s *samples) timings() Timings {
	return Timings{All: Summarise(s.all), Allowed: Summarise(s.allowed), Denied: Summarise(s.denied)}
}
