package benchrun_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/benchrun"
	"pvsc.dev/pvsc/lab/cloudgen"
)

// TestMain lets the test binary stand in for pvsc-opa (BENCHRUN_FAKE_OPA=1):
// it answers each operation with the verdict the generator meant, so the
// harness's protocol with the OPA peer is tested without OPA's module.
func TestMain(m *testing.M) {
	if os.Getenv("BENCHRUN_FAKE_OPA") == "1" {
		if err := fakeOPA(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "fake pvsc-opa:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func fakeOPA(args []string) error {
	fs := flag.NewFlagSet("pvsc-opa", flag.ContinueOnError)
	prop := fs.String("property", "", "")
	snap := fs.String("snapshot", "", "")
	ops := fs.String("ops", "", "")
	repeat := fs.Int("repeat", 1, "")
	fs.Int("warmup", 0, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat(*snap); err != nil {
		return err
	}
	f, err := os.Open(*ops)
	if err != nil {
		return err
	}
	defer f.Close()
	res := benchrun.OPAResult{Property: *prop, LoadNS: 1, PrepareNS: 1, HeapBytes: 1}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l cloudgen.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return err
		}
		run := benchrun.OPAOpRun{Op: l.Op, Verdict: "allow"}
		if l.Violates {
			run.Verdict = "deny"
		}
		for range *repeat {
			run.NS = append(run.NS, 50_000)
		}
		res.Ops = append(res.Ops, run)
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func quickConfig(t *testing.T) benchrun.Config {
	cfg := benchrun.Quick()
	if raceOn {
		// Two datasets: a line needs two points.
		cfg.Datasets, cfg.Repeat, cfg.Warmup, cfg.StreamOps = cfg.Datasets[:2], 3, 1, 100
	}
	cfg.WorkDir = t.TempDir()
	return cfg
}

// TestQuickRun runs the quick grid with every engine (OPA faked) and checks
// the results and every file of the report.
func TestQuickRun(t *testing.T) {
	t.Setenv("BENCHRUN_FAKE_OPA", "1")
	cfg := quickConfig(t)
	exe, err := os.Executable()
	require.NoError(t, err)
	cfg.OPA = benchrun.OPACommand{Path: exe}
	var progress bytes.Buffer
	cfg.Progress = &progress
	res, err := benchrun.Run(context.Background(), cfg)
	require.NoError(t, err)

	require.Len(t, res.Datasets, len(cfg.Datasets))
	assert.Contains(t, progress.String(), "bench [==============================] 100%")
	assert.Equal(t, 0, res.Disagreements())
	for _, d := range res.Datasets {
		require.Len(t, d.Properties, 2, d.Name)
		assert.Positive(t, d.SnapshotBytes)
		for _, pr := range d.Properties {
			what := d.Name + " " + pr.Property
			require.Len(t, pr.Ops, cfg.Ops, what)
			for _, name := range benchrun.EngineOrder {
				e := pr.Engine(name)
				require.NotNil(t, e, "%s: %s", what, name)
				require.Empty(t, e.Skipped, "%s: %s", what, name)
				assert.Zero(t, e.Disagree, "%s: %s", what, name)
				assert.Positive(t, e.Timings.Allowed.N, "%s: %s times allowed operations", what, name)
				assert.Positive(t, e.Timings.Denied.N, "%s: %s times denied operations", what, name)
				assert.LessOrEqual(t, e.Timings.All.Median, e.Timings.All.P99, what)
				assert.LessOrEqual(t, e.Timings.All.P99, e.Timings.All.Max, what)
			}
			for _, name := range []string{benchrun.Proactive, benchrun.ProactiveResponse, benchrun.SATIncremental, benchrun.OPA} {
				e := pr.Engine(name)
				assert.Equal(t, cfg.Ops*cfg.Repeat, e.Timings.All.N, "%s: %s decides each operation Repeat times", what, name)
				assert.Equal(t, cfg.Ops, e.Agree, "%s: %s", what, name)
			}
			full := pr.Engine(benchrun.SATFull)
			assert.Equal(t, full.Agree, full.Timings.All.N, "the full baseline decides each operation once")
			assert.GreaterOrEqual(t, full.Timings.All.N, 2)
			assert.Positive(t, pr.Ratio(benchrun.SATFull))
			assert.Positive(t, pr.Ratio(benchrun.OPA))
			for _, o := range pr.Ops {
				assert.Len(t, o.Verdicts, 4, "every engine but the intercept variant records its verdict")
				for eng, v := range o.Verdicts {
					assert.Equal(t, o.Expected, v, "%s %s by %s", what, o.Op, eng)
				}
			}

			ph := pr.Phases
			assert.Equal(t, cfg.StreamOps, ph.Ops, what)
			assert.Zero(t, ph.Errors, "%s: the stream is consistent with the cloud", what)
			assert.Equal(t, ph.Ops, ph.Interception.N, what)
			assert.Positive(t, ph.Critical, what)
			assert.Greater(t, ph.Concerned, ph.Critical, what)
			assert.Equal(t, ph.Concerned, ph.NStep.N, what)
			assert.Equal(t, ph.Critical, ph.Detect.N, what)

			wl := pr.Watchlists
			assert.Positive(t, wl.Scopes, what)
			assert.GreaterOrEqual(t, wl.Elements, wl.Scopes, what)
			assert.Equal(t, cfg.InitRuns, wl.Init.N, what)
			assert.Positive(t, wl.MemBytes, what)
			assert.Positive(t, pr.Load.Records, what)
		}
	}
	// The paper's no_bypass watchlist holds a tenant's ports that no VM uses, one per tenant.
	nb := res.Datasets[0].Properties[0]
	assert.Equal(t, res.Datasets[0].Sizes.Tenants, nb.Watchlists.Scopes)

	dir := t.TempDir()
	require.NoError(t, res.Write(dir))
	checkReport(t, dir, res)
}

func checkReport(t *testing.T, dir string, res *benchrun.Results) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(dir, benchrun.ReportFile))
	require.NoError(t, err)
	report := string(md)
	for _, want := range []string{"## Table 2", "## Fig. 9", "## Fig. 10", "proactive : SAT", "proactive : OPA", "### no_bypass", "### common_ownership",
		"2 cores", "noisy", "Every engine gave every timed operation its expected verdict", "![Fig. 9(a)", "(table2.svg)"} {
		assert.Contains(t, report, want)
	}
	for _, d := range res.Datasets {
		assert.Contains(t, report, "| "+d.Name+" |")
	}

	var back benchrun.Results
	data, err := os.ReadFile(filepath.Join(dir, benchrun.ResultsFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, len(res.Datasets), len(back.Datasets))
	assert.Equal(t, res.Datasets[0].Properties[0].Engine(benchrun.Proactive).Timings, back.Datasets[0].Properties[0].Engine(benchrun.Proactive).Timings)

	props := len(res.Config.Properties)
	for file, rows := range map[string]int{
		benchrun.Table2CSV: len(res.Datasets) * props * len(benchrun.EngineOrder) * 3,
		benchrun.RatiosCSV: len(res.Datasets) * props,
		benchrun.Fig9CSV:   len(res.Datasets) * props * 4,
		benchrun.Fig10CSV:  len(res.Datasets) * props,
	} {
		f, err := os.Open(filepath.Join(dir, file))
		require.NoError(t, err)
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		require.NoError(t, err, file)
		assert.Len(t, recs, rows+1, "%s: a header and a row per entry", file)
	}
	ratios := readCSV(t, filepath.Join(dir, benchrun.RatiosCSV))
	assert.Equal(t, "sat_over_proactive", ratios[0][8])
	for _, row := range ratios[1:] {
		assert.NotEmpty(t, row[8], "SAT ratio of %v", row)
		assert.NotEmpty(t, row[9], "OPA ratio of %v", row)
	}

	svgs, err := filepath.Glob(filepath.Join(dir, "*.svg"))
	require.NoError(t, err)
	assert.Len(t, svgs, 5+props, "Fig. 9 (a, b), Fig. 10 (a, b), Table 2 and a bar chart per property")
	for _, f := range svgs {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := xml.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := dec.Token(); err != nil {
				require.ErrorContains(t, err, "EOF", "%s is well-formed", f)
				break
			}
		}
		assert.Contains(t, report, "("+filepath.Base(f)+")", "the report shows %s", f)
		drawn := strings.Contains(string(data), "<polyline") || strings.Contains(string(data), "<rect x=")
		assert.True(t, drawn, "%s draws lines or bars", f)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return recs
}

// TestScaleRunsTheProactiveEngineOnly: a --scale point measures the proactive
// engine (decisions and watchlists), nothing else, and the report has its section and plot.
func TestScaleRunsTheProactiveEngineOnly(t *testing.T) {
	cfg := quickConfig(t)
	cfg.Datasets = append(cfg.Datasets[:1], benchrun.ScalePoints(cfg.Datasets[:1])[:1]...)
	cfg.Properties = []string{"no_bypass"}
	cfg.Repeat, cfg.StreamOps = 5, 100
	res, err := benchrun.Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, res.Datasets, 2)
	sc := res.Datasets[1]
	assert.True(t, sc.ProactiveOnly)
	assert.Equal(t, 2*res.Datasets[0].Sizes.Ports, sc.Sizes.Ports)
	pr := sc.Properties[0]
	var engines []string
	for _, e := range pr.Response {
		engines = append(engines, e.Engine)
	}
	assert.Equal(t, []string{benchrun.Proactive, benchrun.ProactiveResponse}, engines)
	assert.Zero(t, pr.Phases.Ops, "no phase replay at scale")
	assert.Positive(t, pr.Watchlists.Scopes)
	assert.Equal(t, "skipped", skipped(res.Datasets[0].Properties[0].Engine(benchrun.OPA)), "no OPA binary given")

	dir := t.TempDir()
	require.NoError(t, res.Write(dir))
	md, err := os.ReadFile(filepath.Join(dir, benchrun.ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## Scale: the proactive engine beyond the paper's grid")
	assert.Contains(t, string(md), "| opa | not measured: no pvsc-opa binary")
	assert.FileExists(t, filepath.Join(dir, "scale.svg"))
}

func skipped(e *benchrun.EngineResult) string {
	if e != nil && e.Skipped != "" {
		return "skipped"
	}
	return "measured"
}

// TestOtherPropertiesSampleTheirCriticalOperations: a shipped property the
// generator makes no critical operations of gets them from a mixed stream,
// and the SAT baselines agree with the proactive verdicts.
func TestOtherPropertiesSampleTheirCriticalOperations(t *testing.T) {
	cfg := quickConfig(t)
	cfg.Datasets, cfg.Properties = cfg.Datasets[:1], []string{"no_cross_tenant_port"}
	cfg.Repeat, cfg.StreamOps = 3, 100
	res, err := benchrun.Run(context.Background(), cfg)
	require.NoError(t, err)
	pr := res.Datasets[0].Properties[0]
	assert.NotEmpty(t, pr.Notes)
	assert.Len(t, pr.Ops, cfg.Ops)
	for _, name := range []string{benchrun.Proactive, benchrun.SATIncremental, benchrun.SATFull} {
		assert.Zero(t, pr.Engine(name).Disagree, name)
	}
	assert.Positive(t, pr.Phases.Critical)
}

func TestUnknownPropertyIsRefused(t *testing.T) {
	cfg := quickConfig(t)
	cfg.Properties = []string{"no_such"}
	_, err := benchrun.Run(context.Background(), cfg)
	require.ErrorContains(t, err, `property "no_such": the OpenStack spec has`)
	assert.ErrorContains(t, err, "no_bypass")
}

func TestGrids(t *testing.T) {
	g := benchrun.Grid()
	require.Len(t, g, 10)
	for i, d := range g {
		assert.Equal(t, 10_000*(i+1), d.Sizes.Ports)
		assert.Equal(t, 1_000*(i+1), d.Sizes.Tenants)
		assert.Equal(t, 100_000, d.Sizes.Users, "the other counts stay at the paper's largest")
		assert.Equal(t, 5, d.Sizes.RolesPerTenant)
	}
	sc := benchrun.ScalePoints(g)
	top := sc[len(sc)-1]
	assert.Equal(t, 1_000_000, top.Sizes.Ports)
	assert.Equal(t, 100_000, top.Sizes.Tenants)
	assert.True(t, top.ProactiveOnly)
	assert.Len(t, benchrun.QuickGrid(), 3)
}

func TestSummarise(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i))
	}
	d := benchrun.Summarise(s)
	assert.Equal(t, benchrun.Dist{N: 100, Median: 50, P99: 99, Mean: 50, Max: 100}, d)
	assert.Equal(t, benchrun.Dist{N: 3, Median: 2, P99: 3, Mean: 2, Max: 3}, benchrun.Summarise([]time.Duration{3, 1, 2}))
	assert.Equal(t, benchrun.Dist{}, benchrun.Summarise(nil))
}

func TestFormats(t *testing.T) {
	assert.Equal(t, "512 ns", benchrun.Dur(512))
	assert.Equal(t, "44.1 µs", benchrun.Dur(44_100))
	assert.Equal(t, "1.39 s", benchrun.Dur(1_390_000_000))
	assert.Equal(t, "1 : 2,650,000", benchrun.Ratio(2_654_321))
	assert.Equal(t, "1 : 88.0", benchrun.Ratio(88))
	assert.Equal(t, "–", benchrun.Ratio(0))
	assert.Equal(t, "1.64 MB", benchrun.Bytes(1_643_520))
	assert.True(t, strings.HasSuffix(benchrun.Bytes(7640), "kB"))
}
