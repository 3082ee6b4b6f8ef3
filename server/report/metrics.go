package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// LagMetric is the notification pipeline's queue lag histogram (server/feed): time from a
// notification's timestamp to its handling. Decision lines carry no event time, so the
// operator's event lag is read from a scrape of pvsc serve's /metrics.
const LagMetric = "pvsc_event_lag_seconds"

// Histogram is a Prometheus histogram: cumulative counts per upper bound.
type Histogram struct {
	Name    string
	Buckets []Bucket
	Sum     float64
	Count   float64
}

// Bucket is the count of observations at or below LE.
type Bucket struct {
	LE    float64
	Count float64
}

// ReadLag reads the event lag histogram from a Prometheus text exposition (curl /metrics).
func ReadLag(path string) (*Histogram, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readHistogram(path, f, LagMetric)
}

func readHistogram(file string, r io.Reader, name string) (*Histogram, error) {
	h := &Histogram{Name: name}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, name+"_") {
			continue
		}
		if err := h.add(line); err != nil {
			return nil, &LineError{File: file, Line: n, Err: err}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(h.Buckets) == 0 {
		return nil, fmt.Errorf("%s: no %s histogram (want a scrape of pvsc serve's /metrics)", file, name)
	}
	return h, nil
}

// add reads one sample line: NAME_bucket{le="0.1"} 3, NAME_sum 1.5 or NAME_count 4.
func (h *Histogram) add(line string) error {
	series, value, ok := strings.Cut(line, " ")
	if !ok {
		return fmt.Errorf("sample without a value: %q", line)
	}
	v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
	if err != nil {
		return fmt.Errorf("sample value %q: %w", value, err)
	}
	switch {
	case strings.HasPrefix(series, h.Name+"_bucket{"):
		return h.bucket(series, v)
	case series == h.Name+"_sum":
		h.Sum = v
	case series == h.Name+"_count":
		h.Count = v
	}
	return nil
}

func (h *Histogram) bucket(series string, v float64) error {
	_, le, ok := strings.Cut(series, `le="`)
	le, _, _ = strings.Cut(le, `"`)
	if !ok {
		return fmt.Errorf("bucket without le: %q", series)
	}
	bound := math.Inf(1)
	if le != "+Inf" {
		b, err := strconv.ParseFloat(le, 64)
		if err != nil {
			return fmt.Errorf("bucket bound %q: %w", le, err)
		}
		bound = b
	}
	h.Buckets = append(h.Buckets, Bucket{LE: bound, Count: v})
	return nil
}
