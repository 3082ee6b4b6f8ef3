package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"text/tabwriter"
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

func runLoad(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["load"], stderr)
	target := fs.String("url", "http://127.0.0.1:9797/v1/decide", "endpoint (loopback, plain HTTP)")
	bodiesPath := fs.String("bodies", "", "request bodies, one JSON document a line, sent in turn (e.g. pvsc workload --ops)")
	rates := fs.String("rates", "5000,10000,20000", "requests per second, one run each (comma-separated)")
	duration := fs.Duration("duration", 60*time.Second, "length of each run")
	maxReq := fs.Int("max-requests", 0, "cap on the requests of one run (0: rate x duration)")
	workers := fs.Int("workers", 32, "connections")
	tokenFile := fs.String("bearer-token-file", "", "send Authorization: Bearer with this file's token")
	xauth := fs.String("token", "", "send this X-Auth-Token")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	pause := fs.Duration("pause", 2*time.Second, "rest between runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bodiesPath == "" {
		fs.Usage()
		return errors.New("--bodies is required")
	}
	bodies, err := readLines(*bodiesPath)
	if err != nil {
		return err
	}
	hdr := map[string]string{}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return err
		}
		hdr["Authorization"] = "Bearer " + strings.TrimSpace(string(b))
	}
	if *xauth != "" {
		hdr["X-Auth-Token"] = *xauth
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var results []loadgen.Result
	for i, rs := range strings.Split(*rates, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(rs))
		if err != nil {
			return fmt.Errorf("--rates %q: %v", rs, err)
		}
		if i > 0 {
			time.Sleep(*pause)
		}
		fmt.Fprintf(stderr, "load: %d/s for %v...\n", rate, *duration)
		res, err := loadgen.Run(ctx, loadgen.Config{URL: *target, Header: hdr, Bodies: bodies, Rate: rate,
			Duration: *duration, MaxRequests: *maxReq, Workers: *workers})
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	return writeLoadTable(stdout, results)
}

func writeLoadTable(w io.Writer, results []loadgen.Result) error {
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

func readLines(path string) ([][]byte, error) {
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
