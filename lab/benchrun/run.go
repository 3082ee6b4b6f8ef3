package benchrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/solver/satengine"
	"pvsc.dev/pvsc/specs/openstack"
)

type runner struct {
	cfg  Config
	dir  string
	bar  *cloudgen.Progress
	step int
}

// Run measures every dataset of the configuration, one after the other, each
// engine alone on the machine (engines are loaded in turn and released).
func Run(ctx context.Context, cfg Config) (*Results, error) {
	cfg.defaults()
	for _, p := range cfg.Properties {
		if openstack.Spec.Property(p) == nil {
			return nil, fmt.Errorf("property %q: the OpenStack spec has %s", p, strings.Join(propertyNames(), ", "))
		}
	}
	r := &runner{cfg: cfg}
	dir, done, err := workDir(cfg.WorkDir, "pvsc-bench-")
	if err != nil {
		return nil, err
	}
	defer done()
	r.dir = dir
	res := &Results{Machine: ThisMachine(), Started: time.Now(), ClockOverhead: clockOverhead(), Config: ConfigSummary{
		Properties: cfg.Properties, Seed: cfg.Seed, Ops: cfg.Ops, Repeat: cfg.Repeat, Warmup: cfg.Warmup,
		StreamOps: cfg.StreamOps, InitRuns: cfg.InitRuns, SATBudget: cfg.SATBudget, SATFull: cfg.SATFull,
	}}
	if cfg.OPA != nil {
		res.Config.OPA = cfg.OPA.String()
	}
	if cfg.Progress != nil {
		r.bar = cloudgen.NewProgress(cfg.Progress, "bench", r.work(), cfg.TTY)
	}
	for _, ds := range cfg.Datasets {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dr, err := r.dataset(ctx, ds)
		if err != nil {
			return nil, fmt.Errorf("dataset %s (%d ports, %d tenants): %w", ds.Name, ds.Sizes.Ports, ds.Sizes.Tenants, err)
		}
		res.Datasets = append(res.Datasets, dr)
	}
	r.bar.Done()
	res.Took = time.Since(res.Started)
	return res, nil
}

func propertyNames() []string {
	var out []string
	for _, p := range openstack.Spec.Properties {
		out = append(out, p.Name)
	}
	return out
}

// work is the progress bar's total: each step weighs the records it loads.
func (r *runner) work() int {
	n := 0
	for _, ds := range r.cfg.Datasets {
		n += r.steps(ds) * weight(ds)
	}
	return n
}

func (r *runner) steps(ds Dataset) int {
	per := 1 // proactive
	if !ds.ProactiveOnly {
		per += 2 // phases, OPA
	}
	n := 1 + per*len(r.cfg.Properties) // generation
	if !ds.ProactiveOnly {
		n++ // SAT
	}
	return n
}

func weight(ds Dataset) int { return max(ds.Sizes.Records()/1000, 1) }

// done advances the bar by one step of ds and logs it.
func (r *runner) done(ds Dataset, what string, t time.Time) {
	r.bar.Add(weight(ds))
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, "%s %s: %s\n", ds.Name, what, time.Since(t).Round(time.Millisecond))
	}
}

func (r *runner) dataset(ctx context.Context, ds Dataset) (DatasetResult, error) {
	dr := DatasetResult{Name: ds.Name, Sizes: ds.Sizes, ProactiveOnly: ds.ProactiveOnly}
	c := cloudgen.NewOpenStack(r.cfg.Seed, ds.Sizes)
	snap := filepath.Join(r.dir, "cloud-"+ds.Name+".json")
	t := time.Now()
	if err := writeSnapshot(c, snap); err != nil {
		return dr, err
	}
	dr.Generate = time.Since(t)
	if st, err := os.Stat(snap); err == nil {
		dr.SnapshotBytes = st.Size()
	}
	if !r.cfg.Keep {
		defer os.Remove(snap)
	}
	r.done(ds, "snapshot", t)
	opsByProp := map[string][]critOp{}
	for _, prop := range r.cfg.Properties {
		pr := PropertyResult{Property: prop}
		var ops []critOp
		if generated(prop) {
			var err error
			if ops, err = criticalOps(c, r.cfg.Seed*1000, prop, r.cfg.Ops); err != nil {
				return dr, err
			}
		}
		t = time.Now()
		if err := r.measureProactive(c, snap, &pr, &ops); err != nil {
			return dr, fmt.Errorf("%s: proactive: %w", prop, err)
		}
		release()
		r.done(ds, prop+" proactive", t)
		opsByProp[prop] = ops
		if !ds.ProactiveOnly {
			t = time.Now()
			ph, err := r.measurePhases(c, snap, prop)
			if err != nil {
				return dr, fmt.Errorf("%s: phases: %w", prop, err)
			}
			pr.Phases = ph
			release()
			r.done(ds, prop+" phases", t)
		}
		dr.Properties = append(dr.Properties, pr)
	}
	if ds.ProactiveOnly {
		return dr, r.finish(&dr, opsByProp)
	}
	t = time.Now()
	if err := r.sat(&dr, snap, opsByProp); err != nil {
		return dr, err
	}
	release()
	r.done(ds, "SAT", t)
	for i := range dr.Properties {
		pr := &dr.Properties[i]
		t = time.Now()
		pr.Response = append(pr.Response, r.measureOPA(ctx, snap, pr.Property, opsByProp[pr.Property]))
		r.done(ds, pr.Property+" OPA", t)
	}
	return dr, r.finish(&dr, opsByProp)
}

func (r *runner) sat(dr *DatasetResult, snap string, opsByProp map[string][]critOp) error {
	var se *satengine.Engine
	se, load, err := loadSAT(r.cfg.Properties, snap)
	if err != nil {
		return fmt.Errorf("SAT: %w", err)
	}
	dr.SATLoad = load
	for i := range dr.Properties {
		pr := &dr.Properties[i]
		res, err := r.measureSAT(se, pr.Property, opsByProp[pr.Property])
		if err != nil {
			return fmt.Errorf("%s: %w", pr.Property, err)
		}
		pr.Response = append(pr.Response, res...)
	}
	return nil
}

// finish orders the engines and records each operation's verdicts.
func (r *runner) finish(dr *DatasetResult, opsByProp map[string][]critOp) error {
	for i := range dr.Properties {
		pr := &dr.Properties[i]
		slices.SortStableFunc(pr.Response, func(a, b EngineResult) int {
			return slices.Index(EngineOrder, a.Engine) - slices.Index(EngineOrder, b.Engine)
		})
		for _, o := range opsByProp[pr.Property] {
			pr.Ops = append(pr.Ops, CriticalOp{Op: o.line.Op, Expected: o.expected.String(), Verdicts: o.verdicts})
		}
	}
	return nil
}

func writeSnapshot(c *cloudgen.OpenStack, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := c.WriteSnapshot(f, nil); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
