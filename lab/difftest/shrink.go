package difftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Repro is a reproduction of a mismatch: a snapshot and operations whose last one the engines disagree on.
type Repro struct {
	// Spec is the spec directory the replay needs.
	Spec     string
	Snapshot map[string][]json.RawMessage
	Ops      []Line
}

// Records counts the snapshot's records.
func (r *Repro) Records() int {
	n := 0
	for _, recs := range r.Snapshot {
		n += len(recs)
	}
	return n
}

// Command is the replay command of a reproduction written in dir.
func (r *Repro) Command(dir string, sat bool) string {
	cmd := fmt.Sprintf("go run ./cmd/pvsc replay --spec %s --snapshot %s --ops %s", r.Spec, filepath.Join(dir, "snapshot.json"), filepath.Join(dir, "ops.jsonl"))
	if sat {
		cmd += " --engine sat"
	}
	return cmd
}

// Write writes snapshot.json, ops.jsonl and README (the replay commands) to dir.
func (r *Repro) Write(dir string, m *Mismatch) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	snap, err := json.MarshalIndent(r.Snapshot, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "snapshot.json"), append(snap, '\n'), 0o644); err != nil {
		return err
	}
	var ops bytes.Buffer
	for _, l := range r.Ops {
		ops.WriteString(l.String())
		ops.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "ops.jsonl"), ops.Bytes(), 0o644); err != nil {
		return err
	}
	readme := fmt.Sprintf("%s\nThe engines disagree on the last operation. Replay it with each engine:\n\n  %s\n  %s\n", m.String(), r.Command(dir, false), r.Command(dir, true))
	return os.WriteFile(filepath.Join(dir, "README"), []byte(readme), 0o644)
}

// shrinkMismatch reduces a mismatch's operations and snapshot by delta
// debugging (ddmin): a candidate keeps failing when the engines still disagree
// on its last operation; the result is 1-minimal in operations, then records.
func shrinkMismatch(spec *Spec, cfg Config, m *Mismatch) error {
	p, err := newPair(spec.Res)
	if err != nil {
		return err
	}
	var snap map[string][]json.RawMessage
	if err := json.Unmarshal(m.snap, &snap); err != nil {
		return err
	}
	r := &Repro{Spec: spec.Dir, Snapshot: snap, Ops: m.lines}
	if m.broken {
		// The first operation after which an invariant is false is the culprit.
		if k := firstBroken(p, r); k >= 0 {
			r.Ops = r.Ops[:k+1]
			m.Index, m.Op = k, r.Ops[k].String()
		}
	}
	fails := func(c *Repro) bool { return reproFails(p, cfg, c, m.broken) }
	if !fails(r) {
		r.Ops = m.lines // not reproducible in isolation (should not happen): keep it whole
		m.Repro = r
		return m.write(cfg)
	}
	// Operations: the last one stays, the others are minimised.
	last := r.Ops[len(r.Ops)-1]
	prefix := ddmin(len(r.Ops)-1, func(keep []int) bool {
		c := &Repro{Spec: r.Spec, Snapshot: r.Snapshot, Ops: pick(r.Ops, keep)}
		c.Ops = append(c.Ops, last)
		return fails(c)
	})
	r.Ops = append(pick(r.Ops, prefix), last)
	// Snapshot records.
	type unit struct {
		coll string
		i    int
	}
	var units []unit
	colls := make([]string, 0, len(snap))
	for c := range snap {
		colls = append(colls, c)
	}
	sort.Strings(colls)
	for _, c := range colls {
		for i := range snap[c] {
			units = append(units, unit{c, i})
		}
	}
	build := func(keep []int) map[string][]json.RawMessage {
		out := map[string][]json.RawMessage{}
		for _, k := range keep {
			u := units[k]
			out[u.coll] = append(out[u.coll], snap[u.coll][u.i])
		}
		return out
	}
	kept := ddmin(len(units), func(keep []int) bool {
		return fails(&Repro{Spec: r.Spec, Snapshot: build(keep), Ops: r.Ops})
	})
	r.Snapshot = build(kept)
	m.Repro = r
	return m.write(cfg)
}

func (m *Mismatch) write(cfg Config) error {
	if cfg.ReproDir == "" {
		return nil
	}
	m.Dir = filepath.Join(cfg.ReproDir, fmt.Sprintf("seed%d-episode%d", m.Seed, m.Episode))
	return m.Repro.Write(m.Dir, m)
}

// reproFails replays a candidate: it fails when the engines disagree on its
// last operation, or (broken) when an invariant that held before the last
// operation is false after it.
func reproFails(p *pair, cfg Config, c *Repro, broken bool) bool {
	snap, err := json.Marshal(c.Snapshot)
	if err != nil || p.load(snap) != nil {
		return false
	}
	if bad, err := p.violations(); err != nil || bad != "" {
		return false // the snapshot must satisfy every invariant
	}
	s := &stream{p: p, cfg: cfg}
	for i, l := range c.Ops {
		last := i == len(c.Ops)-1
		if broken && last {
			if bad, err := p.violations(); err != nil || bad != "" {
				return false
			}
		}
		o, err := s.run(l)
		if err != nil {
			return false
		}
		if o.bad() {
			return last && !broken
		}
	}
	if broken {
		bad, err := p.violations()
		return err == nil && bad != ""
	}
	return false
}

// firstBroken replays the reproduction and finds the first operation after which an invariant is false, -1 if none.
func firstBroken(p *pair, r *Repro) int {
	snap, err := json.Marshal(r.Snapshot)
	if err != nil || p.load(snap) != nil {
		return -1
	}
	s := &stream{p: p}
	for i, l := range r.Ops {
		if _, err := s.run(l); err != nil {
			return -1
		}
		if bad, err := p.violations(); err == nil && bad != "" {
			return i
		}
	}
	return -1
}

func pick(ops []Line, keep []int) []Line {
	out := make([]Line, 0, len(keep))
	for _, k := range keep {
		out = append(out, ops[k])
	}
	return out
}

// ddmin is Zeller's delta debugging: a 1-minimal subset of 0..n-1 (in order) for which test holds; test(all) must hold.
func ddmin(n int, test func(keep []int) bool) []int {
	cur := make([]int, n)
	for i := range cur {
		cur[i] = i
	}
	if n == 0 || test(nil) {
		return nil
	}
	parts := 2
	for len(cur) >= 2 {
		size := (len(cur) + parts - 1) / parts
		reduced := false
		for start := 0; start < len(cur); start += size {
			end := min(start+size, len(cur))
			chunk := cur[start:end]
			if test(chunk) {
				cur, parts, reduced = append([]int(nil), chunk...), 2, true
				break
			}
			rest := append(append([]int(nil), cur[:start]...), cur[end:]...)
			if test(rest) {
				cur, parts, reduced = rest, max(parts-1, 2), true
				break
			}
		}
		if !reduced {
			if parts >= len(cur) {
				break
			}
			parts = min(2*parts, len(cur))
		}
	}
	if len(cur) == 1 && test(nil) {
		return nil
	}
	return cur
}
