package exchange

import (
	"cmp"
	"slices"
	"time"
)

// Incident is the alerts of all clouds about one data object at one provider (or about the
// provider alone): the correlation of what several clouds saw.
type Incident struct {
	Provider   string    `json:"provider"`
	Data       string    `json:"data,omitempty"`
	Clouds     []string  `json:"clouds"` // the clouds that reported it, sorted
	Properties []string  `json:"properties"`
	Alerts     int       `json:"alerts"`
	First      time.Time `json:"first"`
	Last       time.Time `json:"last"`
}

// Rating is a reporting cloud's rating of a provider, the reputation input it is worth.
type Rating struct {
	Provider string
	Rater    string
	Score    int64
}

// Correlator deduplicates received alerts and correlates them into incidents. A cloud's
// rating of a provider is the worst score among its reports about the provider within the
// window: a violation and the trust drop it caused are one incident of that cloud, and its
// later "trust rose" does not erase the violation before the window has passed. It is not
// safe for concurrent use.
type Correlator struct {
	Window    time.Duration
	incidents map[[2]string]*Incident
	reports   map[[2]string][]Report // (provider, rater) → reports in the window, oldest first
	rated     map[[2]string]int64    // the rating last given
	seen      map[[2]string]bool     // (origin, message id)
}

// maxSeen bounds the message ids kept for deduplication; past it the oldest half is forgotten
// (the journal still knows the ratings they gave).
const maxSeen = 100000

// NewCorrelator makes a correlator with the window (0: one hour).
func NewCorrelator(window time.Duration) *Correlator {
	if window <= 0 {
		window = time.Hour
	}
	return &Correlator{Window: window, incidents: map[[2]string]*Incident{}, reports: map[[2]string][]Report{},
		rated: map[[2]string]int64{}, seen: map[[2]string]bool{}}
}

// Add reads one report. dup says the same cloud sent this alert before (another link, a
// redelivery): nothing changes. rating is the reporting cloud's new rating of the provider,
// nil when it is the one it already gave.
func (c *Correlator) Add(r Report) (inc Incident, rating *Rating, dup bool) {
	id := [2]string{r.Origin, r.ID}
	if c.seen[id] {
		return Incident{}, nil, true
	}
	c.remember(id)
	inc = c.join(r)
	pr := [2]string{r.Provider, r.Origin}
	c.reports[pr] = append(c.window(c.reports[pr], r.Time), r)
	score := worst(c.reports[pr])
	if old, ok := c.rated[pr]; ok && old == score {
		return inc, nil, false
	}
	c.rated[pr] = score
	return inc, &Rating{Provider: r.Provider, Rater: r.Origin, Score: score}, false
}

// Forget takes back what Add did with a report that could not be acted on (the journal or the
// model refused its rating), so that the same report, or the next of its cloud, rates again;
// the incident keeps counting it.
func (c *Correlator) Forget(r Report) {
	delete(c.seen, [2]string{r.Origin, r.ID})
	delete(c.rated, [2]string{r.Provider, r.Origin})
}

func (c *Correlator) remember(id [2]string) {
	if len(c.seen) >= maxSeen {
		n := 0
		for k := range c.seen {
			if n++; n > maxSeen/2 {
				break
			}
			delete(c.seen, k)
		}
	}
	c.seen[id] = true
}

// join adds a report to the incident of its provider and data object.
func (c *Correlator) join(r Report) Incident {
	k := [2]string{r.Provider, r.Data}
	inc := c.incidents[k]
	if inc == nil {
		inc = &Incident{Provider: r.Provider, Data: r.Data, First: r.Time}
		c.incidents[k] = inc
	}
	inc.Alerts++
	inc.Last = maxTime(inc.Last, r.Time)
	inc.First = minTime(inc.First, r.Time)
	inc.Clouds = insertSorted(inc.Clouds, r.Origin)
	inc.Properties = insertSorted(inc.Properties, r.Property)
	out := *inc
	out.Clouds, out.Properties = slices.Clone(inc.Clouds), slices.Clone(inc.Properties)
	return out
}

// window drops the reports older than the window before now.
func (c *Correlator) window(rs []Report, now time.Time) []Report {
	out := rs[:0]
	for _, r := range rs {
		if now.Sub(r.Time) <= c.Window {
			out = append(out, r)
		}
	}
	return out
}

// Incidents lists the incidents, the ones reported by the most clouds first.
func (c *Correlator) Incidents() []Incident {
	out := make([]Incident, 0, len(c.incidents))
	for _, inc := range c.incidents {
		out = append(out, *inc)
	}
	slices.SortFunc(out, func(a, b Incident) int {
		return cmp.Or(cmp.Compare(len(b.Clouds), len(a.Clouds)), cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Data, b.Data))
	})
	return out
}

func worst(rs []Report) int64 {
	s := rs[0].Score
	for _, r := range rs[1:] {
		s = min(s, r.Score)
	}
	return s
}

func insertSorted(xs []string, x string) []string {
	i, found := slices.BinarySearch(xs, x)
	if found {
		return xs
	}
	return slices.Insert(xs, i, x)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
