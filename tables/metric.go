package tables

// Direction says which side of its target a metric's measurement must stay on.
type Direction uint8

// Metric directions.
const (
	// AtMost: a value above the target misses it (patch latency, open incidents).
	AtMost Direction = iota + 1
	// AtLeast: a value below the target misses it (availability).
	AtLeast
)

func (d Direction) String() string {
	switch d {
	case AtMost:
		return "at most"
	case AtLeast:
		return "at least"
	}
	return "no direction"
}

// Metric is a security metric's definition (MuSIC: security metrics with measurement points
// and target values): what a measurement of it must meet, which model event a measurement
// point reports it with, and how many levels of trust a miss costs the provider measured.
type Metric struct {
	Name      string
	Model     int32
	Doc       string
	Unit      string
	Direction Direction
	Target    int64
	// Event is the model event a measurement arrives as; Point names the measurement point
	// that reports it ("" when the spec names none).
	Event int32
	Point string
	// Penalty is the levels of trust a measurement missing the target costs, until a
	// measurement meets it again.
	Penalty int32
}

// Missed reports whether a measured value misses the metric's target.
func (m Metric) Missed(value int64) bool {
	if m.Direction == AtLeast {
		return value < m.Target
	}
	return value > m.Target
}

// Metric is the spec's metric of that name, nil when there is none.
func (s *Spec) Metric(name string) *Metric {
	for i := range s.Metrics {
		if s.Metrics[i].Name == name {
			return &s.Metrics[i]
		}
	}
	return nil
}
