package benchrun

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"pvsc.dev/pvsc/lab/plot"
)

// Catalogue report files.
const (
	CatalogueReport = "catalogue.md"
	CatalogueJSON   = "catalogue.json"
)

// Write writes the report, the results as JSON, CSV files and SVG plots into dir.
func (c *Catalogue) Write(dir string) error {
	files := map[string]func(io.Writer) error{
		CatalogueReport: c.Markdown, CatalogueJSON: c.writeJSON,
		"catalogue-startup.csv": c.startupCSV, "catalogue-ops.csv": c.opsCSV, "catalogue-properties.csv": c.propsCSV,
		"catalogue-decision.csv": c.decisionCSV, "catalogue-decode.csv": c.decodeCSV, "catalogue-rare.csv": c.rareCSV,
		"catalogue-startup.svg": c.startupSVG, "catalogue-ops.svg": c.opsSVG,
	}
	for name, fn := range files {
		if err := writeFile(filepath.Join(dir, name), fn); err != nil {
			return err
		}
	}
	return nil
}

func (c *Catalogue) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// target is one of the targets, checked against a measurement.
type target struct {
	what     string
	limit    float64 // in the measurement's unit
	unit     string
	measured float64
	atMost   bool // the measurement must not exceed limit (else reach it)
}

func (t target) verdict() string {
	ok := t.measured <= t.limit
	if !t.atMost {
		ok = t.measured >= t.limit
	}
	switch {
	case ok:
		return "met"
	case t.atMost && t.limit == 0:
		return "not met: " + sig(t.measured) + " instead of none"
	case t.atMost && t.limit > 0:
		return fmt.Sprintf("not met: %s× the target", sig(t.measured/t.limit))
	case t.measured > 0:
		return fmt.Sprintf("not met: %s× short", sig(t.limit/t.measured))
	}
	return "not met"
}

func sec(d time.Duration) float64 { return d.Seconds() }

// targets are the targets for one dataset (those that apply to its size).
func (d *CatDataset) targets() []target {
	var out []target
	switch {
	case d.Sizes.Ports >= 500_000:
		out = append(out,
			target{"start-up from JSON", 20, "s", sec(d.JSON.Runs.Median), true},
			target{"start-up from the checkpoint", 3, "s", sec(d.Checkpoint.Runs.Median), true},
			target{"resident memory after start-up", 3000, "MB", float64(d.JSON.RSS) / 1e6, true})
	case d.Sizes.Ports >= 50_000:
		out = append(out,
			target{"start-up from JSON", 2, "s", sec(d.JSON.Runs.Median), true},
			target{"start-up from the checkpoint", 0.3, "s", sec(d.Checkpoint.Runs.Median), true},
			target{"resident memory after start-up", 400, "MB", float64(d.JSON.RSS) / 1e6, true})
	}
	ratio := 0.0
	if d.NoBypass.Wall.Median > 0 {
		ratio = float64(d.All.Wall.Median) / float64(d.NoBypass.Wall.Median)
	}
	return append(out,
		target{"operation, median (all properties)", 5, "µs", us(d.All.Wall.Median), true},
		target{"operation, p99 (all properties)", 50, "µs", us(d.All.Wall.P99), true},
		target{"operations per second, one core", 200_000, "/s", d.All.PerSecond, false},
		target{"all properties : no_bypass alone, per operation", 3, "×", ratio, true},
		target{"critical decision, median", 200, "ns", float64(d.Decision.Median), true},
		target{"critical decision, p99", 1000, "ns", float64(d.Decision.P99), true},
		target{"critical decision, allocations", 0, "", d.DecisionAllocs, true},
	)
}

func (c *Catalogue) decodeTargets() []target {
	var out []target
	for _, r := range c.Decode {
		limit := 3000.0
		if r.Source == "neutral form" {
			limit = 1000
			out = append(out, target{"decode + match, neutral form, allocations", 0, "", float64(r.AllocsPerOp), true})
		}
		out = append(out, target{"decode + match, " + r.Source, limit, "ns", r.NsPerOp, true})
	}
	return out
}

// Markdown writes the report.
func (c *Catalogue) Markdown(w io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	m := c.Machine
	p("# pvsc bench --catalogue\n\nEvery shipped OpenStack property on, at once. Machine: %s, %d cores, %s, %s; %s; took %s.\n\n",
		m.CPU, m.Cores, Bytes(m.MemBytes), m.OS, m.Go, Dur(c.Took))
	p("Each start-up runs in a process of its own (engine built, context loaded, watchlists ready); resident memory is read after the load's garbage is returned, the peak during it. Operations are a mixed stream in the neutral form, each decoded, decided and applied (wall time per operation, one core); the same stream runs with no_bypass alone and with each property alone, each engine fresh from the checkpoint.\n\n")
	p("## Start-up and memory\n\n| cloud | ports | tenants | snapshot | from JSON | from checkpoint (size) | resident | peak |\n|---|---|---|---|---|---|---|---|\n")
	for _, d := range c.Datasets {
		p("| %s | %s | %s | %s | %s | %s (%s) | %s | %s |\n", d.Name, group(int64(d.Sizes.Ports)), group(int64(d.Sizes.Tenants)), Bytes(d.SnapshotBytes),
			Dur(d.JSON.Runs.Median), Dur(d.Checkpoint.Runs.Median), Bytes(d.CheckpointBytes), Bytes(d.JSON.RSS), Bytes(d.JSON.Peak))
	}
	p("\n## Every operation, mixed stream\n\n| cloud | all properties: median (p99) | ops/s | no_bypass alone: median (p99) | ratio | decode | n-step | watchlist | detection |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, d := range c.Datasets {
		ratio := float64(d.All.Wall.Median) / float64(max(d.NoBypass.Wall.Median, 1))
		p("| %s | %s | %s | %s | %s× | %s | %s | %s | %s |\n", d.Name, medianP99(d.All.Wall), group(int64(d.All.PerSecond)), medianP99(d.NoBypass.Wall), sig(ratio),
			medianP99(d.All.Decode), medianP99(d.All.NStep), medianP99(d.All.Watchlist), medianP99(d.All.Detect))
	}
	c.propertiesTable(p)
	p("\n## Critical decision, every property on\n\n| cloud | median | p99 | allocations per decision |\n|---|---|---|---|\n")
	for _, d := range c.Datasets {
		p("| %s | %s | %s | %s |\n", d.Name, Dur(d.Decision.Median), Dur(d.Decision.P99), sig(d.DecisionAllocs))
	}
	c.rareTable(p)
	p("\n## Decode + match, real messages of the captured corpus\n\n| source | time | allocations | bytes |\n|---|---|---|---|\n")
	for _, r := range c.Decode {
		p("| %s | %s | %d | %d |\n", r.Source, Dur(time.Duration(r.NsPerOp)), r.AllocsPerOp, r.BytesPerOp)
	}
	c.targetsTable(p)
	p("\nPlots: catalogue-startup.svg, catalogue-ops.svg. CSV: catalogue-*.csv. Raw results: catalogue.json.\n")
	return nil
}

func (c *Catalogue) propertiesTable(p func(string, ...any)) {
	if len(c.Datasets) == 0 {
		return
	}
	p("\n## Each property alone, the same stream: median (p99) per operation\n\n| property |")
	for _, d := range c.Datasets {
		p(" %s |", d.Name)
	}
	p("\n|---|%s\n", repeat("---|", len(c.Datasets)))
	for i, pr := range c.Datasets[0].Properties {
		p("| %s |", pr.Property)
		for _, d := range c.Datasets {
			if i < len(d.Properties) {
				p(" %s |", medianP99(d.Properties[i].Ops.Wall))
			}
		}
		p("\n")
	}
}

func (c *Catalogue) rareTable(p func(string, ...any)) {
	p("\n## Rare paths (declared `rare` in the spec: they scan)\n\n")
	any := false
	for _, d := range c.Datasets {
		for _, r := range d.Rare {
			if !any {
				p("| cloud | property | path | runs | total | mean |\n|---|---|---|---|---|---|\n")
				any = true
			}
			p("| %s | %s | %s | %d | %s | %s |\n", d.Name, r.Property, r.Event, r.Count, Dur(r.Time), Dur(r.Time/time.Duration(max(r.Count, 1))))
		}
	}
	if !any {
		p("None ran: no shipped OpenStack property declares a rare path (every operation and every watchlist init reaches records through lookups and indexes).\n")
	}
}

func (c *Catalogue) targetsTable(p func(string, ...any)) {
	p("\n## Targets\n\n| cloud | target | limit | measured | verdict |\n|---|---|---|---|---|\n")
	for _, d := range c.Datasets {
		for _, t := range d.targets() {
			p("| %s | %s | %s %s | %s %s | %s |\n", d.Name, t.what, bound(t), t.unit, sig(t.measured), t.unit, t.verdict())
		}
	}
	for _, t := range c.decodeTargets() {
		p("| – | %s | %s %s | %s %s | %s |\n", t.what, bound(t), t.unit, sig(t.measured), t.unit, t.verdict())
	}
}

func bound(t target) string {
	if t.atMost {
		return "≤ " + sig(t.limit)
	}
	return "≥ " + group(int64(t.limit))
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func csvOut(w io.Writer, header []string, rows [][]string) error { return writeCSV(w, header, rows) }

func (c *Catalogue) startupCSV(w io.Writer) error {
	var rows [][]string
	for _, d := range c.Datasets {
		for _, s := range []struct {
			src string
			r   StartResult
		}{{"json", d.JSON}, {"checkpoint", d.Checkpoint}} {
			rows = append(rows, append([]string{d.Name, strconv.Itoa(d.Sizes.Ports), s.src, strconv.FormatInt(s.r.RSS, 10), strconv.FormatInt(s.r.Peak, 10)}, distCols(s.r.Runs)...))
		}
	}
	return csvOut(w, append([]string{"dataset", "ports", "source", "rss_bytes", "peak_bytes"}, distHeader...), rows)
}

func (c *Catalogue) opsCSV(w io.Writer) error {
	var rows [][]string
	for _, d := range c.Datasets {
		for _, s := range []struct {
			what string
			x    Dist
		}{{"all", d.All.Wall}, {"no_bypass", d.NoBypass.Wall}, {"decode", d.All.Decode}, {"nstep", d.All.NStep}, {"watchlist", d.All.Watchlist}, {"detect", d.All.Detect}} {
			rows = append(rows, append([]string{d.Name, strconv.Itoa(d.Sizes.Ports), s.what}, distCols(s.x)...))
		}
	}
	return csvOut(w, append([]string{"dataset", "ports", "series"}, distHeader...), rows)
}

func (c *Catalogue) propsCSV(w io.Writer) error {
	var rows [][]string
	for _, d := range c.Datasets {
		for _, pr := range d.Properties {
			rows = append(rows, append([]string{d.Name, strconv.Itoa(d.Sizes.Ports), pr.Property, strconv.Itoa(pr.Ops.Concerned)}, distCols(pr.Ops.Wall)...))
		}
	}
	return csvOut(w, append([]string{"dataset", "ports", "property", "concerned"}, distHeader...), rows)
}

func (c *Catalogue) decisionCSV(w io.Writer) error {
	var rows [][]string
	for _, d := range c.Datasets {
		rows = append(rows, append([]string{d.Name, strconv.Itoa(d.Sizes.Ports), strconv.FormatFloat(d.DecisionAllocs, 'f', 3, 64)}, distCols(d.Decision)...))
	}
	return csvOut(w, append([]string{"dataset", "ports", "allocs_per_decision"}, distHeader...), rows)
}

func (c *Catalogue) decodeCSV(w io.Writer) error {
	var rows [][]string
	for _, r := range c.Decode {
		rows = append(rows, []string{r.Source, strconv.FormatFloat(r.NsPerOp, 'f', 0, 64), strconv.FormatInt(r.AllocsPerOp, 10), strconv.FormatInt(r.BytesPerOp, 10)})
	}
	return csvOut(w, []string{"source", "ns_per_op", "allocs_per_op", "bytes_per_op"}, rows)
}

func (c *Catalogue) rareCSV(w io.Writer) error {
	var rows [][]string
	for _, d := range c.Datasets {
		for _, r := range d.Rare {
			rows = append(rows, []string{d.Name, r.Property, r.Event, strconv.FormatInt(r.Count, 10), ns(r.Time)})
		}
	}
	return csvOut(w, []string{"dataset", "property", "path", "runs", "total_ns"}, rows)
}

func (c *Catalogue) line(title, ylabel string, series func(d CatDataset) []float64, names []string) *plot.Line {
	l := &plot.Line{Title: title, XLabel: "ports", YLabel: ylabel, LogY: true, Width: 700, Height: 400}
	for i, n := range names {
		s := plot.Series{Name: n, Dashed: i%2 == 1}
		for _, d := range c.Datasets {
			s.X, s.Y = append(s.X, float64(d.Sizes.Ports)), append(s.Y, series(d)[i])
		}
		l.Series = append(l.Series, s)
	}
	return l
}

func (c *Catalogue) startupSVG(w io.Writer) error {
	return c.line("Start-up with every property on (median)", "s (log)", func(d CatDataset) []float64 {
		return []float64{sec(d.JSON.Runs.Median), sec(d.Checkpoint.Runs.Median)}
	}, []string{"from JSON", "from checkpoint"}).SVG(w)
}

func (c *Catalogue) opsSVG(w io.Writer) error {
	return c.line("Per operation, mixed stream", "µs (log)", func(d CatDataset) []float64 {
		return []float64{us(d.All.Wall.Median), us(d.All.Wall.P99), us(d.NoBypass.Wall.Median), us(d.NoBypass.Wall.P99)}
	}, []string{"all properties, median", "all properties, p99", "no_bypass alone, median", "no_bypass alone, p99"}).SVG(w)
}
