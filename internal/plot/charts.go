package plot

import (
	"io"
	"math"
	"strings"
)

// Series is one line of a line chart: Y[i] at X[i]; NaN leaves a gap.
type Series struct {
	Name string
	X, Y []float64
	// Dashed draws the line dashed (e.g. to set off one engine or property).
	Dashed bool
}

// Line is a line chart of several series over a shared x axis.
type Line struct {
	Title, XLabel, YLabel string
	LogY                  bool
	Width, Height         int
	Series                []Series
}

// SVG writes the chart.
func (c *Line) SVG(w io.Writer) error {
	f := newFrame(c.Width, c.Height)
	var xs, ys []float64
	for _, s := range c.Series {
		xs = append(xs, s.X...)
		ys = append(ys, s.Y...)
	}
	xa, ya := newAxis(xs, false, false), newAxis(ys, c.LogY, true)
	var s svg
	s.open(f, c.Title)
	s.yAxis(f, ya, c.YLabel)
	for _, t := range xa.ticks {
		x := f.left + f.plotW()*xa.frac(t)
		s.line(x, f.top+f.plotH(), x, f.top+f.plotH()+4, "axis")
		s.text(x, f.top+f.plotH()+18, "middle", "small", Num(t))
	}
	s.line(f.left, f.top+f.plotH(), f.left+f.plotW(), f.top+f.plotH(), "axis")
	s.text(f.left+f.plotW()/2, f.h-12, "middle", "", c.XLabel)
	for i, se := range c.Series {
		s.series(f, xa, ya, i, se)
	}
	names := make([]string, len(c.Series))
	for i, se := range c.Series {
		names[i] = se.Name
	}
	s.legend(f, names, func(i int, x, y float64) {
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`+"\n",
			px(x), px(y), px(x+18), px(y), color(i), dash(c.Series[i].Dashed))
		s.printf(`<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", px(x+9), px(y), color(i))
	})
	return s.close(w)
}

func dash(on bool) string {
	if on {
		return ` stroke-dasharray="5,3"`
	}
	return ""
}

// series draws one line and its points; NaN and (on a log axis) non-positive values break it.
func (s *svg) series(f frame, xa, ya axis, i int, se Series) {
	var pts []string
	flush := func() {
		if len(pts) > 1 {
			s.printf(`<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", color(i), dash(se.Dashed), strings.Join(pts, " "))
		}
		pts = pts[:0]
	}
	for j := range min(len(se.X), len(se.Y)) {
		y := se.Y[j]
		if math.IsNaN(y) || math.IsInf(y, 0) || (ya.log && y <= 0) {
			flush()
			continue
		}
		cx, cy := f.left+f.plotW()*xa.frac(se.X[j]), f.top+f.plotH()*(1-ya.frac(y))
		pts = append(pts, px(cx)+","+px(cy))
		s.printf(`<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s: %s</title></circle>`+"\n", px(cx), px(cy), color(i), esc(se.Name), Num(y))
	}
	flush()
}

// Bars is a grouped bar chart: one group per label, one bar per series in each.
type Bars struct {
	Title, YLabel string
	LogY          bool
	Width, Height int
	Groups        []string
	Series        []BarSeries
}

// BarSeries is one bar of every group: Values[g] for group g; NaN draws none.
type BarSeries struct {
	Name   string
	Values []float64
}

// SVG writes the chart; each bar is labelled with its value.
func (c *Bars) SVG(w io.Writer) error {
	f := newFrame(c.Width, c.Height)
	var ys []float64
	for _, s := range c.Series {
		ys = append(ys, s.Values...)
	}
	ya := newAxis(ys, c.LogY, true)
	var s svg
	s.open(f, c.Title)
	s.yAxis(f, ya, c.YLabel)
	groupW := f.plotW() / float64(max(len(c.Groups), 1))
	barW := groupW * 0.8 / float64(max(len(c.Series), 1))
	base := f.top + f.plotH()
	for g, label := range c.Groups {
		gx := f.left + groupW*float64(g) + groupW*0.1
		s.text(gx+groupW*0.4, base+18, "middle", "small", label)
		for i, se := range c.Series {
			if g >= len(se.Values) || math.IsNaN(se.Values[g]) || (ya.log && se.Values[g] <= 0) {
				continue
			}
			v := se.Values[g]
			top := f.top + f.plotH()*(1-ya.frac(v))
			x := gx + barW*float64(i)
			s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s: %s</title></rect>`+"\n",
				px(x), px(top), px(barW*0.9), px(base-top), color(i), esc(se.Name+" "+label), Num(v))
			s.text(x+barW*0.45, top-3, "middle", "small", Num(v))
		}
	}
	s.line(f.left, base, f.left+f.plotW(), base, "axis")
	names := make([]string, len(c.Series))
	for i, se := range c.Series {
		names[i] = se.Name
	}
	s.legend(f, names, func(i int, x, y float64) {
		s.printf(`<rect x="%s" y="%s" width="18" height="10" fill="%s"/>`+"\n", px(x), px(y-5), color(i))
	})
	return s.close(w)
}
