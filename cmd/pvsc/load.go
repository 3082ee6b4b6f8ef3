package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"pvsc.dev/pvsc/lab/loadgen"
)

func init() {
	register(&command{
		name:    "load",
		summary: "drive POST /v1/decide at fixed rates (open loop, bounded) and report p50/p99 latency and errors per rate",
		usage:   "--url URL --bodies FILE.jsonl [--rates 5000,10000,20000] [--duration 60s] [--bearer-token-file F | --token T] [--json]",
		run:     runLoad,
	})
}

type loadFlags struct {
	cfg                             loadgen.Config
	bodies, rates, tokenFile, xauth string
	asJSON                          bool
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
	results, err := loadgen.Sweep(ctx, l.cfg, rates, l.pause, stderr)
	if err != nil {
		return err
	}
	if l.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	return loadgen.WriteTable(stdout, results)
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
