package benchrun

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Files the report writes.
const (
	ReportFile  = "report.md"
	ResultsFile = "results.json"
	Table2CSV   = "table2.csv"
	RatiosCSV   = "ratios.csv"
	Fig9CSV     = "fig9.csv"
	Fig10CSV    = "fig10.csv"
)

// Write writes the report, the CSV files, the JSON results and the SVG plots into dir.
func (r *Results) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, fn := range map[string]func(io.Writer) error{
		ReportFile: r.Markdown, ResultsFile: r.JSON, Table2CSV: r.table2CSV, RatiosCSV: r.ratiosCSV,
		Fig9CSV: r.fig9CSV, Fig10CSV: r.fig10CSV,
	} {
		if err := writeFile(filepath.Join(dir, name), fn); err != nil {
			return err
		}
	}
	for _, p := range r.plots() {
		if err := writeFile(filepath.Join(dir, p.file), p.chart.SVG); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// JSON writes every result.
func (r *Results) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// grid is the datasets every engine ran on; scale the proactive-only ones.
func (r *Results) grid() []DatasetResult  { return r.filter(false) }
func (r *Results) scale() []DatasetResult { return r.filter(true) }

func (r *Results) filter(proactiveOnly bool) []DatasetResult {
	var out []DatasetResult
	for _, d := range r.Datasets {
		if d.ProactiveOnly == proactiveOnly {
			out = append(out, d)
		}
	}
	return out
}

// Markdown writes the report.
func (r *Results) Markdown(w io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# pvsc bench: the PVSC paper's experiments (§4.2), proactive against SAT intercept-and-check and OPA\n\n")
	r.machine(w)
	p("\n")
	r.table2Markdown(w)
	r.fig9Markdown(w)
	r.fig10Markdown(w)
	r.scaleMarkdown(w)
	r.verdictsMarkdown(w)
	p("## Files\n\n")
	p("`%s` (every figure), `%s`, `%s`, `%s`, `%s`; plots:\n\n", ResultsFile, Table2CSV, RatiosCSV, Fig9CSV, Fig10CSV)
	for _, pl := range r.plots() {
		p("![%s](%s)\n\n", pl.chart.title(), pl.file)
	}
	return nil
}

func (r *Results) machine(w io.Writer) {
	m, c := r.Machine, r.Config
	fmt.Fprintf(w, "Run %s, took %s. Machine: %s, %d cores, %s memory, %s, %s. ",
		r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second), m.CPU, m.Cores, Bytes(m.MemBytes), m.OS, m.Go)
	fmt.Fprintf(w, "Timings are wall-clock medians and 99th percentiles of single decisions (each includes one clock read pair, %s here); "+
		"on a small shared machine they are noisy, the p99 most of all.\n\n", Dur(r.ClockOverhead))
	opa := c.OPA
	if opa == "" {
		opa = "not run"
	}
	fmt.Fprintf(w, "Configuration: properties %s; seed %d; %d critical operations per dataset and property (alternately allowed and denied), "+
		"each decided %d times after %d warm-up decisions (proactive, SAT incremental, OPA) and once by the full SAT baseline within %s per dataset and property; "+
		"%d mixed operations replayed for the time per phase; %d watchlist initialisations timed; OPA peer: `%s`.\n",
		strings.Join(c.Properties, ", "), c.Seed, c.Ops, c.Repeat, c.Warmup, c.SATBudget, c.StreamOps, c.InitRuns, opa)
}

func (r *Results) table2Markdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Table 2: response time of one critical operation\n\n")
	p("Median (p99) over every timed decision, allowed and denied operations together; `n` is the number of timed decisions. " +
		"*proactive* is `Engine.Decide` (one watchlist lookup); *+intercept* adds decoding and matching the operation; " +
		"*SAT* is intercept-and-check as in the paper: at the critical operation, collect the records the invariant ranges over from the cloud state, " +
		"encode state, effect and invariant in CNF and solve (every instance grounded); *SAT incr.* grounds only the instances the operation can change (satengine's default); " +
		"*OPA* evaluates the same property in Rego, prepared once, over the same snapshot. Ratios are proactive : other, by median.\n\n")
	for _, prop := range r.Config.Properties {
		p("### %s\n\n", prop)
		p("| dataset | ports | tenants | proactive | +intercept | SAT | n | SAT incr. | OPA | proactive : SAT | proactive : OPA |\n")
		p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, d := range r.grid() {
			pr := d.property(prop)
			if pr == nil {
				continue
			}
			e := func(name string) string {
				er := pr.Engine(name)
				if er == nil || er.Skipped != "" {
					return "–"
				}
				return medianP99(er.Timings.All)
			}
			n := "–"
			if er := pr.Engine(SATFull); er != nil {
				n = strconv.Itoa(er.Timings.All.N)
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", d.Name, group(int64(d.Sizes.Ports)), group(int64(d.Sizes.Tenants)),
				e(Proactive), e(ProactiveResponse), e(SATFull), n, e(SATIncremental), e(OPA), Ratio(pr.Ratio(SATFull)), Ratio(pr.Ratio(OPA)))
		}
		p("\n")
		r.classesMarkdown(w, prop)
	}
}

// classesMarkdown splits the largest dataset's response times into allowed and denied operations.
func (r *Results) classesMarkdown(w io.Writer, prop string) {
	g := r.grid()
	if len(g) == 0 {
		return
	}
	d := g[len(g)-1]
	pr := d.property(prop)
	if pr == nil {
		return
	}
	fmt.Fprintf(w, "Allowed and denied operations apart, %s:\n\n| engine | allowed | denied |\n|---|--:|--:|\n", d.Name)
	for _, er := range pr.Response {
		if er.Skipped != "" {
			fmt.Fprintf(w, "| %s | not measured: %s | |\n", er.Engine, er.Skipped)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", er.Engine, medianP99(er.Timings.Allowed), medianP99(er.Timings.Denied))
	}
	fmt.Fprintln(w)
}

func (r *Results) fig9Markdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Fig. 9: time per phase\n\n")
	p("A mixed stream (creates, attaches, updates, grants, deletes; a tenth critical) replayed through an engine with phase timing on. " +
		"Interception (INT: decode and match) over every operation; N-step evaluation (NSE) and watchlist update (WU) over the operations the property concerns; " +
		"violation detection (VD) over its critical ones. Median (p99) per operation.\n\n")
	p("| dataset | ports | tenants | property | INT | NSE | WU | VD | ops / concerned / critical |\n|---|--:|--:|---|--:|--:|--:|--:|--:|\n")
	for _, d := range r.grid() {
		for _, pr := range d.Properties {
			ph := pr.Phases
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %d / %d / %d |\n", d.Name, group(int64(d.Sizes.Ports)), group(int64(d.Sizes.Tenants)), abbrev(pr.Property),
				medianP99(ph.Interception), medianP99(ph.NStep), medianP99(ph.Watchlist), medianP99(ph.Detect), ph.Ops, ph.Concerned, ph.Critical)
		}
	}
	p("\n")
}

func (r *Results) fig10Markdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Fig. 10: watchlist initialisation time and memory\n\n")
	p("`InitWatchlists` on the loaded cloud (every scope at or below N-th), median (p99); memory is the live heap the watchlists add. " +
		"For scale, the snapshot load (read, decode, build the context and the watchlists) and the engine's live heap after it.\n\n")
	p("| dataset | ports | tenants | property | scopes | elements | init | memory | snapshot load | engine heap |\n|---|--:|--:|---|--:|--:|--:|--:|--:|--:|\n")
	for _, d := range r.Datasets {
		for _, pr := range d.Properties {
			wl := pr.Watchlists
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", d.Name, group(int64(d.Sizes.Ports)), group(int64(d.Sizes.Tenants)), abbrev(pr.Property),
				group(int64(wl.Scopes)), group(int64(wl.Elements)), medianP99(wl.Init), Bytes(wl.MemBytes), Dur(pr.Load.Time), Bytes(pr.Load.HeapBytes))
		}
	}
	p("\n")
}

func (r *Results) scaleMarkdown(w io.Writer) {
	if len(r.scale()) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Scale: the proactive engine beyond the paper's grid\n\n")
	p("The largest dataset multiplied (every count), up to 1,000,000 ports and 100,000 tenants; proactive decision time, median (p99), against the paper's grid.\n\n")
	p("| dataset | ports | tenants | property | decision | +intercept | watchlist init | snapshot load |\n|---|--:|--:|---|--:|--:|--:|--:|\n")
	for _, d := range r.Datasets {
		for _, pr := range d.Properties {
			e := func(name string) string {
				if er := pr.Engine(name); er != nil {
					return medianP99(er.Timings.All)
				}
				return "–"
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", d.Name, group(int64(d.Sizes.Ports)), group(int64(d.Sizes.Tenants)), abbrev(pr.Property),
				e(Proactive), e(ProactiveResponse), Dur(pr.Watchlists.Init.Median), Dur(pr.Load.Time))
		}
	}
	p("\n")
}

func (r *Results) verdictsMarkdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Verdicts\n\n")
	n := r.Disagreements()
	if n == 0 {
		p("Every engine gave every timed operation its expected verdict (allowed operations allowed, violating ones denied).\n\n")
	} else {
		p("**%d verdicts differ from the expected ones:**\n\n", n)
		for _, d := range r.Datasets {
			for _, pr := range d.Properties {
				for _, o := range pr.Ops {
					for eng, v := range o.Verdicts {
						if v != o.Expected {
							p("- %s %s %s: %s says %s, expected %s\n", d.Name, pr.Property, o.Op, eng, v, o.Expected)
						}
					}
				}
			}
		}
		p("\n")
	}
	for _, d := range r.Datasets {
		for _, pr := range d.Properties {
			for _, note := range pr.Notes {
				p("- %s %s: %s\n", d.Name, pr.Property, note)
			}
		}
	}
}

func (d *DatasetResult) property(name string) *PropertyResult {
	for i := range d.Properties {
		if d.Properties[i].Property == name {
			return &d.Properties[i]
		}
	}
	return nil
}

func ns(d time.Duration) string { return strconv.FormatInt(int64(d), 10) }

func itoa(n int) string { return strconv.Itoa(n) }

func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func dsCols(d DatasetResult, prop string) []string {
	return []string{d.Name, itoa(d.Sizes.Ports), itoa(d.Sizes.Tenants), prop}
}

func distCols(x Dist) []string {
	return []string{itoa(x.N), ns(x.Median), ns(x.P99), ns(x.Mean), ns(x.Max)}
}

var distHeader = []string{"n", "median_ns", "p99_ns", "mean_ns", "max_ns"}

func (r *Results) table2CSV(w io.Writer) error {
	header := append([]string{"dataset", "ports", "tenants", "property", "engine", "class"}, distHeader...)
	header = append(header, "agree", "disagree", "skipped")
	var rows [][]string
	for _, d := range r.Datasets {
		for _, pr := range d.Properties {
			for _, er := range pr.Response {
				for _, c := range []struct {
					name string
					x    Dist
				}{{"all", er.Timings.All}, {"allowed", er.Timings.Allowed}, {"denied", er.Timings.Denied}} {
					row := append(dsCols(d, pr.Property), er.Engine, c.name)
					row = append(row, distCols(c.x)...)
					rows = append(rows, append(row, itoa(er.Agree), itoa(er.Disagree), er.Skipped))
				}
			}
		}
	}
	return writeCSV(w, header, rows)
}

func (r *Results) ratiosCSV(w io.Writer) error {
	header := []string{"dataset", "ports", "tenants", "property", "proactive_median_ns", "sat_median_ns", "sat_incremental_median_ns", "opa_median_ns", "sat_over_proactive", "opa_over_proactive"}
	var rows [][]string
	for _, d := range r.grid() {
		for _, pr := range d.Properties {
			med := func(e string) string {
				if er := pr.Engine(e); er != nil && er.Skipped == "" {
					return ns(er.Timings.All.Median)
				}
				return ""
			}
			ratio := func(e string) string {
				if x := pr.Ratio(e); x > 0 {
					return strconv.FormatFloat(x, 'f', 1, 64)
				}
				return ""
			}
			rows = append(rows, append(dsCols(d, pr.Property), med(Proactive), med(SATFull), med(SATIncremental), med(OPA), ratio(SATFull), ratio(OPA)))
		}
	}
	return writeCSV(w, header, rows)
}

func (r *Results) fig9CSV(w io.Writer) error {
	header := append([]string{"dataset", "ports", "tenants", "property", "phase"}, distHeader...)
	var rows [][]string
	for _, d := range r.grid() {
		for _, pr := range d.Properties {
			ph := pr.Phases
			for _, c := range []struct {
				name string
				x    Dist
			}{{"interception", ph.Interception}, {"nstep", ph.NStep}, {"watchlist", ph.Watchlist}, {"detect", ph.Detect}} {
				rows = append(rows, append(append(dsCols(d, pr.Property), c.name), distCols(c.x)...))
			}
		}
	}
	return writeCSV(w, header, rows)
}

func (r *Results) fig10CSV(w io.Writer) error {
	header := []string{"dataset", "ports", "tenants", "property", "scopes", "elements", "init_n", "init_median_ns", "init_p99_ns", "mem_bytes", "load_ns", "records", "engine_heap_bytes", "proactive_only"}
	var rows [][]string
	for _, d := range r.Datasets {
		for _, pr := range d.Properties {
			wl := pr.Watchlists
			rows = append(rows, append(dsCols(d, pr.Property), itoa(wl.Scopes), itoa(wl.Elements), itoa(wl.Init.N), ns(wl.Init.Median), ns(wl.Init.P99),
				strconv.FormatInt(wl.MemBytes, 10), ns(pr.Load.Time), itoa(pr.Load.Records), strconv.FormatInt(pr.Load.HeapBytes, 10), strconv.FormatBool(d.ProactiveOnly)))
		}
	}
	return writeCSV(w, header, rows)
}
