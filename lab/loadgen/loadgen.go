// Package loadgen drives an HTTP endpoint at a fixed request rate (open loop, bounded in time and count) and reports latency percentiles and errors.
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Config is one run at one rate.
type Config struct {
	URL    string            // http://host:port/path (loopback; plain HTTP/1.1)
	Header map[string]string // extra request headers, e.g. Authorization
	Bodies [][]byte          // POST bodies, used in turn; none sends GET
	Rate   int               // requests per second
	// Duration and MaxRequests bound the run: it sends Rate*Duration requests, at most MaxRequests.
	Duration    time.Duration
	MaxRequests int
	Workers     int           // connections, each one request at a time; default 32
	Timeout     time.Duration // per request; default 2 s
	WantStatus  int           // default 200
}

// Result is what one run measured. Latency runs from the moment a request was due, not when
// a worker got to send it, so a server that falls behind shows it (no coordinated omission).
type Result struct {
	Rate              int            `json:"rate"`
	Duration          time.Duration  `json:"duration_ns"`
	Sent              int            `json:"sent"`
	Errors            int            `json:"errors"`
	ErrorKinds        map[string]int `json:"error_kinds,omitempty"`
	Achieved          float64        `json:"achieved_per_s"`
	P50, P90, P99     time.Duration
	P999, Max         time.Duration
	ServiceP50        time.Duration `json:"service_p50_ns"`
	ServiceP99        time.Duration `json:"service_p99_ns"`
	MaxSchedulerSlack time.Duration `json:"max_scheduler_slack_ns"`
}

func (c *Config) defaults() error {
	if c.Rate <= 0 || c.Duration <= 0 {
		return errors.New("loadgen: rate and duration must be positive")
	}
	if c.Workers <= 0 {
		c.Workers = 32
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	if c.WantStatus == 0 {
		c.WantStatus = 200
	}
	return nil
}

// Run sends the requests and measures them.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return Result{}, fmt.Errorf("loadgen: %q: want an http:// URL", cfg.URL)
	}
	reqs := buildRequests(u, cfg)
	n := int(float64(cfg.Rate) * cfg.Duration.Seconds())
	if cfg.MaxRequests > 0 {
		n = min(n, cfg.MaxRequests)
	}
	r := &run{cfg: cfg, host: u.Host, reqs: reqs, lat: make([]time.Duration, n), svc: make([]time.Duration, n),
		errs: map[string]int{}, due: make(chan job, 4096)}
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() { defer wg.Done(); r.worker(ctx) }()
	}
	r.schedule(ctx, start, n)
	wg.Wait()
	return r.result(time.Since(start)), ctx.Err()
}

type job struct {
	i   int
	due time.Time
}

type run struct {
	cfg      Config
	host     string
	reqs     [][]byte
	lat, svc []time.Duration
	sent     atomic.Int64
	slack    time.Duration
	mu       sync.Mutex
	errs     map[string]int
	due      chan job
}

// schedule hands out request i at start + i/rate, releasing every request due at each
// wake-up. It sleeps on its own thread with a fine timer (see finesleep): Go's timers wake
// about every millisecond here, which would send 20 requests at once at 20,000/s and measure
// the bursts rather than the server.
func (r *run) schedule(ctx context.Context, start time.Time, n int) {
	defer close(r.due)
	lockThread()
	defer unlockThread()
	interval := time.Second / time.Duration(r.cfg.Rate)
	for i := 0; i < n; {
		now := time.Now()
		for ; i < n; i++ {
			due := start.Add(time.Duration(i) * interval)
			if due.After(now) {
				break
			}
			r.slack = max(r.slack, now.Sub(due))
			select {
			case r.due <- job{i, due}:
			case <-ctx.Done():
				return
			}
		}
		if i < n {
			fineSleep(min(time.Until(start.Add(time.Duration(i)*interval)), time.Millisecond))
		}
	}
}

func (r *run) worker(ctx context.Context) {
	var c *conn
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for j := range r.due {
		if ctx.Err() != nil {
			r.fail(j.i, "cancelled")
			continue
		}
		var err error
		if c == nil {
			if c, err = dial(r.host, r.cfg.Timeout); err != nil {
				r.fail(j.i, "connect")
				continue
			}
		}
		sent := time.Now()
		status, err := c.roundTrip(r.reqs[j.i%len(r.reqs)], r.cfg.Timeout)
		done := time.Now()
		r.lat[j.i], r.svc[j.i] = done.Sub(j.due), done.Sub(sent)
		r.sent.Add(1)
		switch {
		case err != nil:
			c.Close()
			c = nil
			r.fail(j.i, "transport")
		case status != r.cfg.WantStatus:
			r.fail(j.i, "HTTP "+strconv.Itoa(status))
		}
	}
}

func (r *run) fail(i int, kind string) {
	r.mu.Lock()
	r.errs[kind]++
	r.mu.Unlock()
}

func (r *run) result(elapsed time.Duration) Result {
	sent := int(r.sent.Load())
	lat, svc := r.lat[:0], r.svc[:0]
	for i := range r.lat {
		if r.lat[i] > 0 {
			lat, svc = append(lat, r.lat[i]), append(svc, r.svc[i])
		}
	}
	slices.Sort(lat)
	slices.Sort(svc)
	res := Result{Rate: r.cfg.Rate, Duration: elapsed, Sent: sent, ErrorKinds: r.errs, MaxSchedulerSlack: r.slack,
		P50: pct(lat, 50), P90: pct(lat, 90), P99: pct(lat, 99), P999: pct(lat, 99.9),
		ServiceP50: pct(svc, 50), ServiceP99: pct(svc, 99)}
	if len(lat) > 0 {
		res.Max = lat[len(lat)-1]
	}
	for _, n := range r.errs {
		res.Errors += n
	}
	if elapsed > 0 {
		res.Achieved = float64(sent) / elapsed.Seconds()
	}
	return res
}

func pct(xs []time.Duration, p float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	return xs[min(len(xs)-1, int(float64(len(xs))*p/100))]
}

// buildRequests writes every request once, so that sending one is a single write.
func buildRequests(u *url.URL, cfg Config) [][]byte {
	path := u.RequestURI()
	head := func(method string, n int) *bytes.Buffer {
		var b bytes.Buffer
		fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, u.Host)
		for k, v := range cfg.Header {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
		if method == "POST" {
			fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", n)
		}
		b.WriteString("\r\n")
		return &b
	}
	if len(cfg.Bodies) == 0 {
		return [][]byte{head("GET", 0).Bytes()}
	}
	out := make([][]byte, len(cfg.Bodies))
	for i, body := range cfg.Bodies {
		b := head("POST", len(body))
		b.Write(body)
		out[i] = b.Bytes()
	}
	return out
}

// conn is a minimal HTTP/1.1 keep-alive client: a request is one write, a response is a
// status line, headers and a Content-Length body. It keeps the generator's own CPU small on a
// machine it shares with the server.
type conn struct {
	c net.Conn
	r *bufio.Reader
}

func dial(host string, timeout time.Duration) (*conn, error) {
	c, err := net.DialTimeout("tcp", host, timeout)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, 16<<10)}, nil
}

func (c *conn) Close() { _ = c.c.Close() }

func (c *conn) roundTrip(req []byte, timeout time.Duration) (int, error) {
	_ = c.c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.c.Write(req); err != nil {
		return 0, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, err
	}
	length := -1
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if length < 0 {
		return 0, errors.New("response without Content-Length")
	}
	_, err = c.r.Discard(length)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return status, err
}

// Sweep runs base once per rate, resting pause between runs, and logs each start to log.
func Sweep(ctx context.Context, base Config, rates []int, pause time.Duration, log io.Writer) ([]Result, error) {
	var out []Result
	for i, rate := range rates {
		if i > 0 {
			time.Sleep(pause)
		}
		fmt.Fprintf(log, "load: %d/s for %v...\n", rate, base.Duration)
		cfg := base
		cfg.Rate = rate
		res, err := Run(ctx, cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// WriteTable prints one line per run: rate, sent, achieved, latency percentiles, errors.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RATE/s\tSENT\tACHIEVED/s\tP50\tP90\tP99\tP99.9\tMAX\tERRORS")
	us := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 0, 64) + "µs" }
	for _, r := range results {
		errs := strconv.Itoa(r.Errors)
		if r.Errors > 0 {
			errs += fmt.Sprint(" ", r.ErrorKinds)
		}
		fmt.Fprintf(tw, "%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Rate, r.Sent, r.Achieved, us(r.P50), us(r.P90), us(r.P99), us(r.P999), us(r.Max), errs)
	}
	return tw.Flush()
}

// ReadBodies reads request bodies, one JSON document a line; blank lines are skipped.
func ReadBodies(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			out = append(out, append([]byte(nil), line...))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no bodies", path)
	}
	return out, nil
}

// Pair is one rate run against two endpoints, one after the other.
type Pair struct {
	A, B Result
}

// Compare runs a and b at each rate in turn (a, then b, resting pause between runs), so
// that both see the same machine at about the same time: on a noisy host only figures
// from one run compare.
func Compare(ctx context.Context, a, b Config, rates []int, pause time.Duration, log io.Writer) ([]Pair, error) {
	var out []Pair
	for _, rate := range rates {
		ra, err := Sweep(ctx, a, []int{rate}, 0, log)
		if err != nil {
			return nil, err
		}
		time.Sleep(pause)
		rb, err := Sweep(ctx, b, []int{rate}, 0, log)
		if err != nil {
			return nil, err
		}
		time.Sleep(pause)
		out = append(out, Pair{A: ra[0], B: rb[0]})
	}
	return out, nil
}

// WriteComparison prints both endpoints' runs and, per rate, a : b at p50 and p99
// (below 1: a is faster).
func WriteComparison(w io.Writer, nameA, nameB string, pairs []Pair) error {
	var as, bs []Result
	for _, p := range pairs {
		as, bs = append(as, p.A), append(bs, p.B)
	}
	for _, side := range []struct {
		name string
		rs   []Result
	}{{nameA, as}, {nameB, bs}} {
		fmt.Fprintf(w, "%s\n", side.name)
		if err := WriteTable(w, side.rs); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "RATE/s\t%[1]s:%[2]s P50\t%[1]s:%[2]s P99\t%[1]s ACHIEVED/s\t%[2]s ACHIEVED/s\n", nameA, nameB)
	for _, p := range pairs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.0f\t%.0f\n", p.A.Rate, ratio(p.A.P50, p.B.P50), ratio(p.A.P99, p.B.P99), p.A.Achieved, p.B.Achieved)
	}
	return tw.Flush()
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(a)/float64(b), 'g', 3, 64)
}
