package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"pvsc.dev/pvsc/runtime"
)

// OPAResult is what the OPA peer's command (lab/opa/cmd/pvsc-opa) prints.
type OPAResult struct {
	Property  string     `json:"property"`
	LoadNS    int64      `json:"load_ns"`
	PrepareNS int64      `json:"prepare_ns"`
	HeapBytes uint64     `json:"heap_bytes"`
	Ops       []OPAOpRun `json:"ops"`
}

// OPAOpRun is one operation's OPA verdict and timed decisions.
type OPAOpRun struct {
	Op      string  `json:"op"`
	Verdict string  `json:"verdict"`
	NS      []int64 `json:"ns"`
}

// OPARunner measures the OPA peer on a snapshot and a file of operations (neutral JSON lines).
type OPARunner interface {
	Measure(ctx context.Context, property, snapshot, ops string, repeat, warmup int) (*OPAResult, error)
	String() string
}

// OPACommand runs the pvsc-opa binary at Path, in its own process: OPA's
// dependencies stay out of pvsc's module, and its heap out of pvsc's.
type OPACommand struct{ Path string }

func (c OPACommand) String() string { return c.Path }

// Measure runs pvsc-opa and decodes what it prints.
func (c OPACommand) Measure(ctx context.Context, property, snapshot, ops string, repeat, warmup int) (*OPAResult, error) {
	cmd := exec.CommandContext(ctx, c.Path, "-property", property, "-snapshot", snapshot, "-ops", ops,
		"-repeat", strconv.Itoa(repeat), "-warmup", strconv.Itoa(warmup))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", c.Path, err, strings.TrimSpace(errb.String()))
	}
	var res OPAResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("%s printed no result: %w", c.Path, err)
	}
	return &res, nil
}

// FindOPA looks for the pvsc-opa binary: bin/pvsc-opa under the current
// folder (where `make bench-quick` builds it), then PATH; "" when neither has it.
func FindOPA() string {
	if st, err := os.Stat(filepath.Join("bin", "pvsc-opa")); err == nil && !st.IsDir() {
		p, _ := filepath.Abs(filepath.Join("bin", "pvsc-opa"))
		return p
	}
	if p, err := exec.LookPath("pvsc-opa"); err == nil {
		return p
	}
	return ""
}

// measureOPA writes the operations to a file and has the OPA peer decide each Repeat times.
func (r *runner) measureOPA(ctx context.Context, snap, prop string, ops []critOp) EngineResult {
	res := EngineResult{Engine: OPA}
	if r.cfg.OPA == nil {
		res.Skipped = "no pvsc-opa binary (build it: cd lab/opa && go build -o ../../bin/pvsc-opa ./cmd/pvsc-opa)"
		return res
	}
	path := filepath.Join(r.dir, "ops-"+prop+".jsonl")
	var b bytes.Buffer
	for _, o := range ops {
		b.Write(o.data)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		res.Skipped = err.Error()
		return res
	}
	defer os.Remove(path)
	out, err := r.cfg.OPA.Measure(ctx, prop, snap, path, r.cfg.Repeat, r.cfg.Warmup)
	if err != nil {
		res.Skipped = err.Error()
		return res
	}
	if len(out.Ops) != len(ops) {
		res.Skipped = fmt.Sprintf("OPA decided %d operations of %d", len(out.Ops), len(ops))
		return res
	}
	res.Load = time.Duration(out.LoadNS + out.PrepareNS)
	res.HeapBytes = int64(out.HeapBytes)
	var s samples
	for i, run := range out.Ops {
		o := &ops[i]
		for _, ns := range run.NS {
			s.add(time.Duration(ns), o.expected == runtime.Deny)
		}
		o.verdict(OPA, run.Verdict)
		if run.Verdict == o.expected.String() {
			res.Agree++
		} else {
			res.Disagree++
		}
	}
	res.Timings = s.timings()
	return res
}
