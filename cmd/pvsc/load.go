package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"pvsc.dev/pvsc/lab/loadgen"
)

func init() {
	register(&command{
		name:    "load",
		summary: "drive POST /v1/decide at fixed rates (open loop, bounded) and report p50/p99 latency and errors per rate",
		usage:   "--url URL --bodies FILE.jsonl [--rates 5000,10000,20000] [--duration 60s] [--bearer-token-file F | --token T] [--vs URL] [--json]",
		run:     runLoad,
	})
}

type loadFlags struct {
	cfg                             loadgen.Config
	bodies, rates, tokenFile, xauth string
	vs, vsName                      string
	asJSON, wrapInput               bool
	pause                           time.Duration
}

func (l *loadFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.cfg.URL, "url", "http://127.0.0.1:9797/v1/decide", "endpoint (loopback, plain HTTP)")
	fs.StringVar(&l.bodies, "bodies", "", "request bodies, one JSON document a line, sent in turn (e.g. pvsc gen-cloud -per-tenant -ops-out)")
	fs.StringVar(&l.rates, "rates", "5000,10000,20000", "requests per second, one run each (comma-separated)")
	fs.DurationVar(&l.cfg.Duration, "duration", 60*time.Second, "length of each run")
	fs.IntVar(&l.cfg.MaxRequests, "max-requests", 0, "cap on the requests of one run (0: rate x duration)")
	fs.IntVar(&l.cfg.Workers, "workers", 32, "connections")
	fs.StringVar(&l.tokenFile, "bearer-token-file", "", "send Authorization: Bearer with this file's token")
	fs.StringVar(&l.xauth, "token", "", "send this X-Auth-Token")
	fs.BoolVar(&l.asJSON, "json", false, "print the results as JSON")
	fs.DurationVar(&l.pause, "pause", 2*time.Second, "rest between runs")
	fs.BoolVar(&l.wrapInput, "wrap-input", false, `send each body as {"input": body} (OPA's data API)`)
	fs.StringVar(&l.vs, "vs", "", `a second endpoint run at each rate right after --url, with the same bodies as {"input": body} (OPA's data API, e.g. http://127.0.0.1:8181/v1/data/pvsc/no_bypass/decision); prints url : vs at p50 and p99`)
	fs.StringVar(&l.vsName, "vs-name", "opa", "the second endpoint's name in the comparison")
}

func runLoad(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["load"], stderr)
	var l loadFlags
	l.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if l.bodies == "" {
		fs.Usage()
		return errors.New("--bodies is required")
	}
	return l.run(stdout, stderr)
}

func (l *loadFlags) run(stdout, stderr io.Writer) error {
	var err error
	if l.cfg.Bodies, err = loadgen.ReadBodies(l.bodies); err != nil {
		return err
	}
	if l.wrapInput {
		for i, b := range l.cfg.Bodies {
			l.cfg.Bodies[i] = slices.Concat([]byte(`{"input":`), b, []byte("}"))
		}
	}
	if l.cfg.Header, err = l.header(); err != nil {
		return err
	}
	var rates []int
	for _, rs := range strings.Split(l.rates, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(rs))
		if err != nil {
			return fmt.Errorf("--rates %q: %v", rs, err)
		}
		rates = append(rates, rate)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if l.vs != "" {
		return l.compare(ctx, rates, stdout, stderr)
	}
	results, err := loadgen.Sweep(ctx, l.cfg, rates, l.pause, stderr)
	if err != nil {
		return err
	}
	if l.asJSON {
		return writeJSON(stdout, results)
	}
	return loadgen.WriteTable(stdout, results)
}

// compare runs --url and --vs at each rate; the second endpoint gets the bodies wrapped
// as OPA's data API reads them and no credentials.
func (l *loadFlags) compare(ctx context.Context, rates []int, stdout, stderr io.Writer) error {
	vs := l.cfg
	vs.URL, vs.Header = l.vs, nil
	vs.Bodies = make([][]byte, len(l.cfg.Bodies))
	for i, b := range l.cfg.Bodies {
		vs.Bodies[i] = slices.Concat([]byte(`{"input":`), b, []byte("}"))
	}
	pairs, err := loadgen.Compare(ctx, l.cfg, vs, rates, l.pause, stderr)
	if err != nil {
		return err
	}
	if l.asJSON {
		return writeJSON(stdout, pairs)
	}
	return loadgen.WriteComparison(stdout, "pvsc", l.vsName, pairs)
}

func (l *loadFlags) header() (map[string]string, error) {
	hdr := map[string]string{}
	if l.tokenFile != "" {
		b, err := os.ReadFile(l.tokenFile)
		if err != nil {
			return nil, err
		}
		hdr["Authorization"] = "Bearer " + strings.TrimSpace(string(b))
	}
	if l.xauth != "" {
		hdr["X-Auth-Token"] = l.xauth
	}
	return hdr, nil
}
