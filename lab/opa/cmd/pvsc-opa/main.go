// Command pvsc-opa times the OPA peer for pvsc bench: it loads a snapshot, prepares a property's Rego once and decides each operation of a file repeatedly, printing the timings as JSON.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"pvsc.dev/pvsc/lab/opa"
)

// Result is what pvsc-opa prints; pvsc bench reads it.
type Result struct {
	Property  string  `json:"property"`
	LoadNS    int64   `json:"load_ns"`    // read the snapshot and key it by id
	PrepareNS int64   `json:"prepare_ns"` // fill the store and prepare the query
	HeapBytes uint64  `json:"heap_bytes"` // live heap with the data loaded
	Ops       []OpRun `json:"ops"`
}

// OpRun is one operation's verdict and the duration of each timed decision.
type OpRun struct {
	Op      string  `json:"op"`
	Verdict string  `json:"verdict"`
	NS      []int64 `json:"ns"`
}

type line struct {
	Op     string         `json:"op"`
	Params map[string]any `json:"params"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pvsc-opa:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pvsc-opa", flag.ContinueOnError)
	prop := fs.String("property", "no_bypass", "property: no_bypass or common_ownership")
	snap := fs.String("snapshot", "", "OpenStack snapshot file")
	opsFile := fs.String("ops", "", "operations to decide, JSON lines in the neutral form")
	repeat := fs.Int("repeat", 100, "timed decisions per operation")
	warmup := fs.Int("warmup", 10, "untimed decisions per operation first")
	dataOut := fs.String("write-data", "", "write the snapshot as OPA's data document (data.json for opa run --server) and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *snap != "" && *dataOut != "" {
		return writeData(*snap, *dataOut)
	}
	if *snap == "" || *opsFile == "" {
		return fmt.Errorf("-snapshot and -ops are required")
	}
	ops, err := readOps(*opsFile)
	if err != nil {
		return err
	}
	res, err := measure(context.Background(), *prop, *snap, ops, *repeat, *warmup)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// writeData writes the data document the peer decides on, so that OPA's own server
// (opa run --server) answers from exactly the data pvsc-opa and pvsc load.
func writeData(snap, out string) error {
	f, err := os.Open(snap)
	if err != nil {
		return err
	}
	data, err := opa.Data(bufio.NewReaderSize(f, 1<<20))
	f.Close()
	if err != nil {
		return err
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

func readOps(path string) ([]line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []line
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, len(out)+1, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

func measure(ctx context.Context, prop, snap string, ops []line, repeat, warmup int) (*Result, error) {
	res := &Result{Property: prop}
	t0 := time.Now()
	f, err := os.Open(snap)
	if err != nil {
		return nil, err
	}
	data, err := opa.Data(bufio.NewReaderSize(f, 1<<20))
	f.Close()
	if err != nil {
		return nil, err
	}
	res.LoadNS = time.Since(t0).Nanoseconds()
	t0 = time.Now()
	peer, err := opa.New(ctx, prop, data)
	if err != nil {
		return nil, err
	}
	res.PrepareNS = time.Since(t0).Nanoseconds()
	data = nil
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapBytes = ms.HeapAlloc
	for _, l := range ops {
		run := OpRun{Op: l.Op, NS: make([]int64, 0, repeat)}
		for i := range warmup + repeat {
			t := time.Now()
			v, err := peer.Decide(ctx, l.Op, l.Params)
			d := time.Since(t)
			if err != nil {
				return nil, err
			}
			run.Verdict = v
			if i >= warmup {
				run.NS = append(run.NS, d.Nanoseconds())
			}
		}
		res.Ops = append(res.Ops, run)
	}
	return res, nil
}
