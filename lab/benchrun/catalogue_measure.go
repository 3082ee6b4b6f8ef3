package benchrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/specs/openstack"
)

// catalogueStream is the mixed stream every engine of a dataset replays: a
// tenth critical (for the properties the generator draws critical operations
// for), a tenth of those violating; the others' events occur as the stream
// makes VMs, ports and grants.
func catalogueStream(c *cloudgen.OpenStack, seed uint64, n int) ([][]byte, error) {
	s, err := c.NewStream(seed^0xca7, cloudgen.StreamConfig{Critical: 0.1, Violating: 0.1})
	if err != nil {
		return nil, err
	}
	return neutralLines(s.Lines(n))
}

// decisionOps are critical operations of both generated properties, allowed and denied.
func decisionOps(c *cloudgen.OpenStack, seed uint64, n int) ([]critOp, error) {
	var out []critOp
	for _, p := range cloudgen.StreamProperties {
		ops, err := criticalOps(c, seed*1000, p, n)
		if err != nil {
			return nil, err
		}
		out = append(out, ops...)
	}
	return out, nil
}

// allEngine is an engine running every shipped OpenStack property.
func allEngine(props []string, timing bool) (*runtime.Engine, error) {
	return runtime.New(openstack.Spec, nil, runtime.Options{Properties: props, Timing: timing})
}

// decideAll loads the snapshot with every property on, writes the checkpoint
// the other measurements start from, and times critical decisions; it also
// counts their allocations.
func decideAll(snap, ckpt string, crit []critOp, n int) (Dist, float64, error) {
	defer release()
	e, err := allEngine(nil, false)
	if err != nil {
		return Dist{}, 0, err
	}
	if _, err := e.LoadSnapshotFile(snap); err != nil {
		return Dist{}, 0, err
	}
	if err := writeCheckpointFile(e, ckpt); err != nil {
		return Dist{}, 0, err
	}
	in := intercept.New(e)
	ops := make([]runtime.Op, 0, len(crit))
	for _, c := range crit {
		bound, err := in.Neutral(c.data)
		if err != nil || len(bound) == 0 {
			return Dist{}, 0, fmt.Errorf("%s: %v", c.line.Op, err)
		}
		ops = append(ops, bound[0])
	}
	for i := range ops { // warm up
		e.Decide(&ops[i])
	}
	samples := make([]time.Duration, n)
	var m0, m1 goruntime.MemStats
	goruntime.ReadMemStats(&m0)
	for i := range samples {
		op := &ops[i%len(ops)]
		t := time.Now()
		e.Decide(op)
		samples[i] = time.Since(t)
	}
	goruntime.ReadMemStats(&m1)
	return Summarise(samples), decisionAllocs(m1.Mallocs-m0.Mallocs, n), nil
}

// decisionAllocs is allocations per decision. The counter is the process's: fewer than
// one allocation per hundred decisions is not the decision path's (an allocating path
// allocates on every decision of its kind) but another goroutine's, and reads 0.
func decisionAllocs(mallocs uint64, n int) float64 {
	per := float64(mallocs) / float64(n)
	if per < 0.01 {
		return 0
	}
	return per
}

func writeCheckpointFile(e *runtime.Engine, path string) error {
	var b bytes.Buffer
	if err := e.WriteCheckpoint(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// streams replays the stream through fresh engines from the checkpoint: every
// property untimed (wall) and timed (phases), no_bypass alone, each property alone.
func streams(cfg CatalogueConfig, d *CatDataset, ckpt string, lines [][]byte) error {
	var err error
	var rare []runtime.RareStat
	if d.All, rare, err = replayFrom(ckpt, nil, lines, false); err != nil {
		return err
	}
	d.Rare = rare
	phases, _, err := replayFrom(ckpt, nil, lines, true)
	if err != nil {
		return err
	}
	d.All.Decode, d.All.NStep, d.All.Watchlist, d.All.Detect = phases.Decode, phases.NStep, phases.Watchlist, phases.Detect
	if d.NoBypass, _, err = replayFrom(ckpt, []string{cloudgen.NoBypass}, lines, false); err != nil {
		return err
	}
	for _, p := range openstack.Spec.Properties {
		r, _, err := replayFrom(ckpt, []string{p.Name}, lines, false)
		if err != nil {
			return fmt.Errorf("%s alone: %w", p.Name, err)
		}
		d.Properties = append(d.Properties, PropOps{Property: p.Name, Ops: r})
	}
	cfg.logf("%s: per operation %v median, %v p99 (all properties); %v (no_bypass alone)", d.Name, d.All.Wall.Median, d.All.Wall.P99, d.NoBypass.Wall.Median)
	return nil
}

// replayFrom replays lines through an engine of props (nil: all) loaded from the checkpoint.
func replayFrom(ckpt string, props []string, lines [][]byte, timing bool) (OpResult, []runtime.RareStat, error) {
	defer release()
	var r OpResult
	e, err := allEngine(props, timing)
	if err != nil {
		return r, nil, err
	}
	if _, err := e.LoadSnapshotFile(ckpt); err != nil {
		return r, nil, err
	}
	release()
	dec := intercept.New(e).NewDecoder()
	wall := make([]time.Duration, 0, len(lines))
	var decode, nstep, wl, detect []time.Duration
	start := time.Now()
	for _, l := range lines {
		t := time.Now()
		d, err := dec.Decode(l)
		t1 := time.Now()
		s0 := e.Stats().Phases
		r.Ops++
		if err != nil {
			r.Errors++
		}
		for i := range d.Ops {
			if pd := e.Process(&d.Ops[i]); pd.Len() > 0 {
				r.Concerned++
			}
		}
		wall = append(wall, time.Since(t))
		if timing {
			s1 := e.Stats().Phases
			decode = append(decode, t1.Sub(t))
			nstep = append(nstep, s1[runtime.PhaseNStep]-s0[runtime.PhaseNStep])
			wl = append(wl, s1[runtime.PhaseWatchlist]-s0[runtime.PhaseWatchlist])
			detect = append(detect, s1[runtime.PhaseDetect]-s0[runtime.PhaseDetect])
		}
	}
	took := time.Since(start)
	r.Wall = Summarise(wall)
	r.PerSecond = float64(r.Ops) / took.Seconds()
	r.Decode, r.NStep, r.Watchlist, r.Detect = Summarise(decode), Summarise(nstep), Summarise(wl), Summarise(detect)
	return r, e.RareStats(), nil
}

// DecodeResult is decode + match of one source's real message, as testing.Benchmark measures it.
type DecodeResult struct {
	Source      string  `json:"source"`
	NsPerOp     float64 `json:"ns_per_op"`
	AllocsPerOp int64   `json:"allocs_per_op"`
	BytesPerOp  int64   `json:"bytes_per_op"`
}

// measureDecode times decode + match of real messages of the captured corpus
// with every property on and the captured snapshot loaded (so their ids are known).
func measureDecode(captured string) ([]DecodeResult, error) {
	if captured == "" {
		return nil, nil
	}
	e, err := allEngine(nil, false)
	if err != nil {
		return nil, err
	}
	if _, err := e.LoadSnapshotFile(filepath.Join(captured, "pvsc-snapshot.json")); err != nil {
		return nil, err
	}
	in := intercept.New(e)
	dec := in.NewDecoder()
	srcs, err := decodeSources(captured)
	if err != nil {
		return nil, err
	}
	var out []DecodeResult
	for _, s := range []struct {
		name string
		run  func() error
	}{
		{"neutral form", func() error { _, err := dec.Decode(srcs.neutral); return err }},
		{"Neutron REST request (PUT port)", func() error {
			_, err := in.Request(intercept.Request{Method: "PUT", Path: srcs.restPath, Body: srcs.restBody})
			return err
		}},
		{"Neutron notification (bare message)", func() error { _, err := in.Notification(srcs.bare); return err }},
		{"Neutron notification (oslo envelope)", func() error { _, err := in.Notification(srcs.neutron); return err }},
		{"Nova versioned notification (oslo envelope)", func() error { _, err := in.Notification(srcs.nova); return err }},
	} {
		if err := s.run(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		r := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = s.run()
			}
		})
		out = append(out, DecodeResult{Source: s.name, NsPerOp: float64(r.NsPerOp()), AllocsPerOp: r.AllocsPerOp(), BytesPerOp: r.AllocedBytesPerOp()})
	}
	return out, nil
}

// decoded are the real messages decode + match is measured on.
type decoded struct {
	neutral, bare, neutron, nova, restBody []byte
	restPath                               string
}

func decodeSources(dir string) (decoded, error) {
	var d decoded
	d.neutral = []byte(`{"op":"update_port","params":{"port_id":"p1","device_owner":"network:dhcp","device_id":""}}`)
	var err error
	find := func(file string, needles ...string) []byte {
		if err != nil {
			return nil
		}
		var line []byte
		line, err = firstLine(filepath.Join(dir, file), needles...)
		return line
	}
	body := func(line []byte) []byte {
		var m struct{ Body string }
		if err == nil {
			err = json.Unmarshal(line, &m)
		}
		return []byte(m.Body)
	}
	d.bare = find("notifications-neutron.jsonl", "port.update.end")
	d.neutron = body(find("amqp-neutron.jsonl", "port.update.end"))
	d.nova = body(find("amqp-nova.jsonl", "instance.live_migration_post_dest.end"))
	rest := find("rest-neutron.jsonl", `"PUT"`, "/v2.0/ports/")
	var r struct {
		Path string
		Body json.RawMessage
	}
	if err == nil {
		err = json.Unmarshal(rest, &r)
	}
	d.restPath, d.restBody = r.Path, r.Body
	return d, err
}

func firstLine(path string, needles ...string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
next:
	for _, l := range bytes.Split(data, []byte("\n")) {
		for _, n := range needles {
			if !strings.Contains(string(l), n) {
				continue next
			}
		}
		return l, nil
	}
	return nil, fmt.Errorf("%s: no line holds %v", path, needles)
}
