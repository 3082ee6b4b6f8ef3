package benchrun

import (
	"io"
	"math"
	"time"

	"pvsc.dev/pvsc/lab/plot"
)

// chart is an SVG chart with a title.
type chart interface {
	SVG(w io.Writer) error
	title() string
}

type lineChart struct{ *plot.Line }

func (c lineChart) title() string { return c.Title }

type barChart struct{ *plot.Bars }

func (c barChart) title() string { return c.Title }

type namedChart struct {
	file  string
	chart chart
}

// unit converts a duration to a chart unit.
func us(d time.Duration) float64 { return float64(d) / 1e3 }
func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func nan(ok bool, v float64) float64 {
	if !ok {
		return math.NaN()
	}
	return v
}

// series makes one series per property over datasets, x from the dataset and y from the property's result.
func (r *Results) series(ds []DatasetResult, name string, x func(DatasetResult) float64, y func(*PropertyResult) (float64, bool)) []plot.Series {
	var out []plot.Series
	for i, prop := range r.Config.Properties {
		s := plot.Series{Name: abbrev(prop) + " " + name, Dashed: i%2 == 1}
		for _, d := range ds {
			pr := d.property(prop)
			if pr == nil {
				continue
			}
			v, ok := y(pr)
			s.X, s.Y = append(s.X, x(d)), append(s.Y, nan(ok, v))
		}
		out = append(out, s)
	}
	return out
}

func tenants(d DatasetResult) float64 { return float64(d.Sizes.Tenants) }
func ports(d DatasetResult) float64   { return float64(d.Sizes.Ports) }

func engineMedian(e string, conv func(time.Duration) float64) func(*PropertyResult) (float64, bool) {
	return func(pr *PropertyResult) (float64, bool) {
		er := pr.Engine(e)
		if er == nil || er.Skipped != "" || er.Timings.All.N == 0 {
			return 0, false
		}
		return conv(er.Timings.All.Median), true
	}
}

// plots are the SVG charts of the report: Fig. 9 (a, b), Fig. 10 (a, b), Table 2 and the scale extension.
func (r *Results) plots() []namedChart {
	g := r.grid()
	phase := func(f func(PhaseResult) Dist) func(*PropertyResult) (float64, bool) {
		return func(pr *PropertyResult) (float64, bool) { x := f(pr.Phases); return us(x.Median), x.N > 0 }
	}
	fig9a := r.series(g, "INT", tenants, phase(func(p PhaseResult) Dist { return p.Interception }))
	fig9a = append(fig9a, r.series(g, "NSE", tenants, phase(func(p PhaseResult) Dist { return p.NStep }))...)
	out := []namedChart{
		{"fig9a.svg", lineChart{&plot.Line{Title: "Fig. 9(a): interception (INT) and N-step evaluation (NSE), median per operation",
			XLabel: "tenants (ports ×10)", YLabel: "µs", Series: fig9a}}},
		{"fig9b.svg", lineChart{&plot.Line{Title: "Fig. 9(b): violation detection (VD), median per critical operation", XLabel: "tenants (ports ×10)", YLabel: "µs",
			Series: r.series(g, "VD", tenants, phase(func(p PhaseResult) Dist { return p.Detect }))}}},
		{"fig10a.svg", lineChart{&plot.Line{Title: "Fig. 10(a): watchlist initialisation time (median)", XLabel: "tenants (ports ×10)", YLabel: "ms",
			Series: r.series(g, "init", tenants, func(pr *PropertyResult) (float64, bool) {
				return ms(pr.Watchlists.Init.Median), pr.Watchlists.Init.N > 0
			})}}},
		{"fig10b.svg", lineChart{&plot.Line{Title: "Fig. 10(b): watchlist memory", XLabel: "tenants (ports ×10)", YLabel: "MB",
			Series: r.series(g, "memory", tenants, func(pr *PropertyResult) (float64, bool) { return float64(pr.Watchlists.MemBytes) / 1e6, true })}}},
	}
	var t2 []plot.Series
	for _, e := range []string{Proactive, SATFull, SATIncremental, OPA} {
		t2 = append(t2, r.series(g, e, ports, engineMedian(e, ms))...)
	}
	out = append(out, namedChart{"table2.svg", lineChart{&plot.Line{Title: "Table 2: response time of one critical operation (median)",
		XLabel: "ports (tenants ÷10)", YLabel: "ms (log)", LogY: true, Width: 760, Height: 440, Series: t2}}})
	for _, prop := range r.Config.Properties {
		out = append(out, namedChart{"table2-" + prop + ".svg", barChart{r.bars(g, prop)}})
	}
	if len(r.scale()) > 0 {
		var sc []plot.Series
		sc = append(sc, r.series(r.Datasets, "decision median", ports, engineMedian(Proactive, us))...)
		sc = append(sc, r.series(r.Datasets, "decision p99", ports, func(pr *PropertyResult) (float64, bool) {
			er := pr.Engine(Proactive)
			return us(er.Timings.All.P99), er != nil && er.Timings.All.N > 0
		})...)
		out = append(out, namedChart{"scale.svg", lineChart{&plot.Line{Title: "Proactive decision time against the size of the cloud",
			XLabel: "ports (tenants ÷10)", YLabel: "µs", Width: 700, Height: 400, Series: sc}}})
	}
	return out
}

// bars is Table 2 of one property as grouped bars: a group per dataset, a bar per engine.
func (r *Results) bars(g []DatasetResult, prop string) *plot.Bars {
	b := &plot.Bars{Title: "Table 2, " + prop + ": median response time of one critical operation", YLabel: "ms (log)", LogY: true, Width: max(640, 90*len(g)+240), Height: 400}
	for _, d := range g {
		b.Groups = append(b.Groups, plot.Num(float64(d.Sizes.Ports))+" ports")
	}
	for _, e := range []string{Proactive, SATFull, SATIncremental, OPA} {
		s := plot.BarSeries{Name: e}
		f := engineMedian(e, ms)
		for _, d := range g {
			v, ok := 0.0, false
			if pr := d.property(prop); pr != nil {
				v, ok = f(pr)
			}
			s.Values = append(s.Values, nan(ok, v))
		}
		b.Series = append(b.Series, s)
	}
	return b
}
