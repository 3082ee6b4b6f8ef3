// Package decisionlog counts every decision and writes the critical ones, and the
// findings, as JSON lines off the decision path.
package decisionlog

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/natefinch/lumberjack.v2"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/findings"
)

// Config says where decision lines go.
type Config struct {
	// Path is the file ("-" for stdout, "" for no log); it rotates at MaxMB megabytes,
	// keeping Keep old files.
	Path  string
	MaxMB int
	Keep  int
	// Passes also logs decisions no property found critical (they are always counted).
	Passes bool
	// Buffer bounds the lines waiting for the writer; a full buffer drops (and counts) a
	// line rather than hold a decision.
	Buffer int
}

// Meta is what the caller knows of a decision beyond the engine.
type Meta struct {
	Source    string // api or proxy
	RequestID string
	User      string
	Project   string
	// Status is what the caller answered: the upstream's status for a forwarded call,
	// 403 for a denial; 0 for the decision API.
	Status int
}

// Log counts decisions in pvsc_decisions_total and writes lines asynchronously.
type Log struct {
	cfg       Config
	decisions *prometheus.CounterVec
	counters  [][]prometheus.Counter // source -> property*verdicts
	dropped   prometheus.Counter
	lines     chan []byte
	pool      sync.Pool
	w         io.WriteCloser
	done      chan struct{}
	closeOnce sync.Once

	// recent keeps the latest denials' lines for the dashboard, in reused buffers.
	recentMu sync.Mutex
	recent   [recentDenials][]byte
	next     int
}

// recentDenials is how many denials the dashboard shows.
const recentDenials = 50

var sources = []string{"api", "proxy"}

// New registers the counters and starts the writer when cfg.Path is set.
func New(cfg Config, e *runtime.Engine, reg prometheus.Registerer) (*Log, error) {
	l := &Log{cfg: cfg, done: make(chan struct{})}
	l.pool.New = func() any { return make([]byte, 0, 1024) }
	l.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pvsc_decisions_total",
		Help: "Property checks decided, by source (api: POST /v1/decide, proxy: a held critical call), property and verdict."},
		[]string{"source", "property", "verdict"})
	l.dropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "pvsc_decision_log_dropped_total",
		Help: "Decision log lines dropped because the writer fell behind."})
	for _, src := range sources {
		var row []prometheus.Counter
		for _, p := range e.Spec().Properties {
			for v := runtime.Pass; v <= runtime.Deny; v++ {
				row = append(row, l.decisions.WithLabelValues(src, p.Name, v.String()))
			}
		}
		l.counters = append(l.counters, row)
	}
	if reg != nil {
		if err := reg.Register(l.decisions); err != nil {
			return nil, err
		}
		if err := reg.Register(l.dropped); err != nil {
			return nil, err
		}
	}
	if cfg.Path == "" {
		close(l.done)
		return l, nil
	}
	switch cfg.Path {
	case "-":
		l.w = nopCloser{stdout}
	default:
		l.w = &lumberjack.Logger{Filename: cfg.Path, MaxSize: max(cfg.MaxMB, 1), MaxBackups: cfg.Keep}
	}
	l.lines = make(chan []byte, max(cfg.Buffer, 4096))
	go l.write()
	return l, nil
}

// Decision counts a decision and queues its line when it is critical (or passes are asked for).
func (l *Log) Decision(d *runtime.Decision, m Meta) {
	if l == nil {
		return
	}
	l.count(d, m)
	v := d.Verdict()
	deny := v == runtime.Deny // blocked, or would be without --dry-run
	if (l.lines == nil || v == runtime.Pass && !l.cfg.Passes) && !deny {
		return
	}
	b := l.pool.Get().([]byte)[:0]
	b = appendDecision(l.prefix(b, m), d)
	if deny {
		l.keep(b)
	}
	if l.lines == nil || v == runtime.Pass && !l.cfg.Passes {
		l.pool.Put(b[:0]) //nolint:staticcheck // a slice header: the pool keeps the array
		return
	}
	l.queue(b)
}

// appendDecision ends a line with the replay decision's fields after ours: its '{' dropped.
func appendDecision(b []byte, d *runtime.Decision) []byte {
	start := len(b)
	b = d.AppendJSON(b)
	b = append(b[:start], b[start+1:]...)
	return append(b, '\n')
}

func (l *Log) count(d *runtime.Decision, m Meta) {
	row := l.counters[sourceIndex(m.Source)]
	for i := 0; i < d.Len(); i++ {
		ch := d.At(i)
		if k := int(ch.Property)*int(runtime.Deny+1) + int(ch.Verdict); k < len(row) {
			row[k].Inc()
		}
	}
}

// Refusal counts a decision the properties allowed and a gate refused (MuSIC's admissible
// paths), and queues its line as a denial: the decision's fields after the gate's
// `"refused":{"kind":...,"message":...}`.
func (l *Log) Refusal(d *runtime.Decision, kind, message string, m Meta) {
	if l == nil {
		return
	}
	l.count(d, m)
	b := l.prefix(nil, m)
	b = append(b, `"refused":{"kind":`...)
	b = runtime.AppendJSONString(b, kind)
	b = append(b, `,"message":`...)
	b = runtime.AppendJSONString(b, message)
	b = appendDecision(append(b, "},"...), d)
	l.keep(b)
	if l.lines != nil {
		l.queue(b)
	}
}

// Finding queues a finding's line: kind "opened" or "resolved".
func (l *Log) Finding(f findings.Finding, kind string) {
	if l == nil || l.lines == nil {
		return
	}
	b, err := findingLine(f, kind)
	if err == nil {
		l.queue(b)
	}
}

// keep copies a denial's line into the ring (its buffer is reused once warm).
func (l *Log) keep(b []byte) {
	l.recentMu.Lock()
	l.recent[l.next] = append(l.recent[l.next][:0], b...)
	l.next = (l.next + 1) % recentDenials
	l.recentMu.Unlock()
}

// Recent returns the latest denials, newest first, as their decision-log lines.
func (l *Log) Recent() []json.RawMessage {
	if l == nil {
		return nil
	}
	l.recentMu.Lock()
	defer l.recentMu.Unlock()
	var out []json.RawMessage
	for i := 1; i <= recentDenials; i++ {
		if b := l.recent[(l.next-i+recentDenials)%recentDenials]; len(b) > 0 {
			out = append(out, json.RawMessage(bytes.TrimSpace(slices.Clone(b))))
		}
	}
	return out
}

func (l *Log) prefix(b []byte, m Meta) []byte {
	b = append(b, `{"time":"`...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","source":`...)
	b = runtime.AppendJSONString(b, m.Source)
	for _, kv := range [][2]string{{"request_id", m.RequestID}, {"user_id", m.User}, {"project_id", m.Project}} {
		if kv[1] != "" {
			b = append(b, `,"`+kv[0]+`":`...)
			b = runtime.AppendJSONString(b, kv[1])
		}
	}
	if m.Status != 0 {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(m.Status), 10)
	}
	return append(b, ',')
}

func (l *Log) queue(b []byte) {
	select {
	case l.lines <- b:
	default:
		l.dropped.Inc()
	}
}

func (l *Log) write() {
	defer close(l.done)
	for b := range l.lines {
		_, _ = l.w.Write(b)
		if cap(b) <= 64<<10 {
			l.pool.Put(b[:0]) //nolint:staticcheck // a slice header: the pool keeps the array
		}
	}
	_ = l.w.Close()
}

// Close writes what is queued and closes the file.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.closeOnce.Do(func() {
		if l.lines != nil {
			close(l.lines)
		}
	})
	<-l.done
	return nil
}

func sourceIndex(s string) int {
	for i, x := range sources {
		if x == s {
			return i
		}
	}
	return 0
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
