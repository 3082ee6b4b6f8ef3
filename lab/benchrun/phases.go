package benchrun

import (
	"encoding/json"
	"os"
	"time"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/tables"
)

// phaseStream is the mixed stream replayed for Fig. 9: a tenth of it critical
// for the property (when the generator makes its critical operations), a
// tenth of those violating.
func phaseStream(c *cloudgen.OpenStack, seed uint64, prop string, n int) ([][]byte, error) {
	cfg := cloudgen.StreamConfig{Critical: 0.1, Violating: 0.1, Properties: []string{}}
	if generated(prop) {
		cfg.Properties = []string{prop}
	}
	s, err := c.NewStream(seed^0xf19, cfg)
	if err != nil {
		return nil, err
	}
	return neutralLines(s.Lines(n))
}

// neutralLines writes stream lines in the neutral form {"op": ..., "params": {...}}.
func neutralLines(lines []cloudgen.Line) ([][]byte, error) {
	out := make([][]byte, 0, len(lines))
	for _, l := range lines {
		b, err := json.Marshal(struct {
			Op     string         `json:"op"`
			Params map[string]any `json:"params"`
		}{l.Op, l.Params})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// workDir is dir, made if needed, or a temporary folder (prefix) that done removes.
func workDir(dir, prefix string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}

// measurePhases replays a mixed stream through a timing engine (Fig. 9):
// interception is the interceptor's decoding and matching of each operation;
// N-step evaluation, watchlist update and violation detection are the
// engine's phase times (Stats().Phases), taken per operation.
func (r *runner) measurePhases(c *cloudgen.OpenStack, snap, prop string) (PhaseResult, error) {
	var pr PhaseResult
	lines, err := phaseStream(c, r.cfg.Seed, prop, r.cfg.StreamOps)
	if err != nil {
		return pr, err
	}
	e, _, err := loadProactive(prop, snap, true)
	if err != nil {
		return pr, err
	}
	spec := e.Spec()
	model := spec.Property(prop).Model
	in := intercept.New(e)
	var icpt, nstep, wl, detect []time.Duration
	for _, data := range lines {
		t := time.Now()
		ops, err := in.Neutral(data)
		icpt = append(icpt, time.Since(t))
		pr.Ops++
		if err != nil {
			pr.Errors++
			continue
		}
		for i := range ops {
			if ops[i].Model != model {
				continue
			}
			s0 := e.Stats().Phases
			d := e.Process(&ops[i])
			s1 := e.Stats().Phases
			if d.Err != nil {
				pr.Errors++
			}
			ch, ok := check(spec, &d, prop)
			if !ok {
				continue
			}
			pr.Concerned++
			nstep = append(nstep, s1[runtime.PhaseNStep]-s0[runtime.PhaseNStep])
			wl = append(wl, s1[runtime.PhaseWatchlist]-s0[runtime.PhaseWatchlist])
			if ch.Kind == tables.CE {
				pr.Critical++
				detect = append(detect, s1[runtime.PhaseDetect]-s0[runtime.PhaseDetect])
			}
		}
	}
	pr.Interception, pr.NStep, pr.Watchlist, pr.Detect = Summarise(icpt), Summarise(nstep), Summarise(wl), Summarise(detect)
	return pr, nil
}
