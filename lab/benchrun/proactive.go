package benchrun

import (
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"time"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/specs/openstack"
)

// heap collects garbage and returns the live heap.
func heap() int64 {
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// release hands freed memory back to the OS between engines.
func release() { debug.FreeOSMemory() }

// loadProactive builds a proactive engine of one property and loads the snapshot into it.
func loadProactive(prop, snap string, timing bool) (*runtime.Engine, LoadResult, error) {
	h0 := heap()
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{Properties: []string{prop}, Timing: timing})
	if err != nil {
		return nil, LoadResult{}, err
	}
	t := time.Now()
	st, err := e.LoadSnapshotFile(snap)
	if err != nil {
		return nil, LoadResult{}, err
	}
	lr := LoadResult{Time: time.Since(t), Records: st.Records}
	lr.HeapBytes = heap() - h0
	return e, lr, nil
}

// measureProactive fills the property's load, watchlist (Fig. 10) and
// proactive response (Table 2) results on a fresh engine; for properties the
// generator makes no critical operations of, it samples them first.
func (r *runner) measureProactive(c *cloudgen.OpenStack, snap string, pr *PropertyResult, ops *[]critOp) error {
	e, lr, err := loadProactive(pr.Property, snap, false)
	if err != nil {
		return err
	}
	pr.Load = lr
	if *ops == nil {
		if *ops, err = sampledOps(e, c, r.cfg.Seed, pr.Property, r.cfg.Ops); err != nil {
			return err
		}
		pr.Notes = append(pr.Notes, "critical operations sampled from a mixed stream; expected verdicts are the proactive engine's")
	}
	pr.Watchlists = r.watchlists(e)
	res, err := r.proactiveResponse(e, pr.Property, *ops)
	if err != nil {
		return err
	}
	pr.Response = append(pr.Response, res...)
	return nil
}

// watchlists times InitWatchlists and measures the heap the watchlists take (Fig. 10).
func (r *runner) watchlists(e *runtime.Engine) WatchlistResult {
	var w WatchlistResult
	var times []time.Duration
	for range r.cfg.InitRuns {
		e.DropWatchlists()
		h0 := heap()
		t := time.Now()
		e.InitWatchlists()
		times = append(times, time.Since(t))
		w.MemBytes = heap() - h0
	}
	w.Init = Summarise(times)
	w.Scopes, w.Elements = e.WatchlistSize()
	return w
}

// proactiveResponse times Decide on each critical operation (and, apart, the
// interceptor's decoding and matching followed by Decide).
func (r *runner) proactiveResponse(e *runtime.Engine, prop string, ops []critOp) ([]EngineResult, error) {
	spec := e.Spec()
	in := intercept.New(e)
	dec, resp := EngineResult{Engine: Proactive}, EngineResult{Engine: ProactiveResponse}
	var ds, rs samples
	goruntime.GC()
	for i := range ops {
		o := &ops[i]
		op, err := bind(in, o.data, spec, prop)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.line.Op, err)
		}
		var v runtime.Verdict
		for k := range r.cfg.Warmup + r.cfg.Repeat {
			t := time.Now()
			d := e.Decide(&op)
			el := time.Since(t)
			v = verdictOf(spec, &d, prop)
			if k >= r.cfg.Warmup {
				ds.add(el, o.expected == runtime.Deny)
			}
		}
		o.verdict(Proactive, v.String())
		tally(&dec, v, o.expected)
		for k := range r.cfg.Warmup + r.cfg.Repeat {
			t := time.Now()
			bound, err := bind(in, o.data, spec, prop)
			d := e.Decide(&bound)
			el := time.Since(t)
			if err != nil {
				return nil, err
			}
			v = verdictOf(spec, &d, prop)
			if k >= r.cfg.Warmup {
				rs.add(el, o.expected == runtime.Deny)
			}
		}
		tally(&resp, v, o.expected)
	}
	dec.Timings, resp.Timings = ds.timings(), rs.timings()
	return []EngineResult{dec, resp}, nil
}

// tally counts a verdict against the expected one.
func tally(er *EngineResult, got, want runtime.Verdict) {
	if got == want {
		er.Agree++
	} else {
		er.Disagree++
	}
}

func (o *critOp) verdict(engine, v string) {
	if o.verdicts == nil {
		o.verdicts = map[string]string{}
	}
	o.verdicts[engine] = v
}
