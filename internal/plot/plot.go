// Package plot draws simple SVG line charts and grouped bar charts with the standard library only: the product's reports and the lab's benchmark figures.
package plot

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Palette is the series colours, in order (colour-blind safe, Okabe–Ito).
var Palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"}

// frame is the drawing area shared by both chart kinds.
type frame struct {
	w, h                     float64
	left, right, top, bottom float64
}

func newFrame(w, h int) frame {
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 400
	}
	return frame{w: float64(w), h: float64(h), left: 72, right: 170, top: 40, bottom: 56}
}

func (f frame) plotW() float64 { return f.w - f.left - f.right }
func (f frame) plotH() float64 { return f.h - f.top - f.bottom }

// axis maps data values to pixels, linearly or on a log10 scale.
type axis struct {
	lo, hi float64
	log    bool
	ticks  []float64
}

// newAxis fits an axis to values; a log axis ignores values <= 0.
func newAxis(vals []float64, log, zero bool) axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) || (log && v <= 0) {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if math.IsInf(lo, 1) {
		lo, hi = 1, 10
	}
	if log {
		a := axis{lo: math.Pow(10, math.Floor(math.Log10(lo))), hi: math.Pow(10, math.Ceil(math.Log10(hi))), log: true}
		if a.hi <= a.lo {
			a.hi = a.lo * 10
		}
		for t := a.lo; t <= a.hi*1.0001; t *= 10 {
			a.ticks = append(a.ticks, t)
		}
		return a
	}
	if zero {
		lo = math.Min(lo, 0)
	}
	if hi <= lo {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / 5)
	a := axis{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step}
	for t := a.lo; t <= a.hi+step/1e6; t += step {
		a.ticks = append(a.ticks, t)
	}
	return a
}

// niceStep rounds a raw tick step to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// frac is where v lies on the axis, 0 at lo and 1 at hi.
func (a axis) frac(v float64) float64 {
	if a.log {
		v = math.Max(v, a.lo)
		return (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	}
	return (v - a.lo) / (a.hi - a.lo)
}

// Num formats a number for labels: no trailing zeros, thousands grouped, k/M for big round values.
func Num(v float64) string {
	av := math.Abs(v)
	switch {
	case av >= 1e6 && math.Mod(av, 1e5) == 0:
		return trim(strconv.FormatFloat(v/1e6, 'f', 1, 64)) + "M"
	case av >= 1e4 && math.Mod(av, 100) == 0:
		return trim(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	case av >= 100 || v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case av >= 1:
		return trim(strconv.FormatFloat(v, 'f', 2, 64))
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func trim(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// svg accumulates elements; coordinates are written with one decimal.
type svg struct {
	b strings.Builder
}

func px(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

func (s *svg) printf(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

func (s *svg) text(x, y float64, anchor, class, t string) {
	s.printf(`<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`+"\n", px(x), px(y), anchor, class, esc(t))
}

func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>`+"\n", px(x1), px(y1), px(x2), px(y2), class)
}

func (s *svg) open(f frame, title string) {
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s">`+"\n", px(f.w), px(f.h), px(f.w), px(f.h))
	s.printf("<style>text{font-family:sans-serif;font-size:12px;fill:#222}.title{font-size:14px;font-weight:bold}" +
		".axis{stroke:#222;stroke-width:1}.grid{stroke:#ddd;stroke-width:1}.small{font-size:11px}</style>\n")
	s.printf(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	s.text(f.left+f.plotW()/2, 22, "middle", "title", title)
}

// yAxis draws the y axis, its ticks, grid lines and label.
func (s *svg) yAxis(f frame, a axis, label string) {
	for _, t := range a.ticks {
		y := f.top + f.plotH()*(1-a.frac(t))
		s.line(f.left, y, f.left+f.plotW(), y, "grid")
		s.text(f.left-6, y+4, "end", "small", Num(t))
	}
	s.line(f.left, f.top, f.left, f.top+f.plotH(), "axis")
	s.printf(`<text transform="translate(16,%s) rotate(-90)" text-anchor="middle">%s</text>`+"\n", px(f.top+f.plotH()/2), esc(label))
}

// legend lists the series names with their colours right of the plot.
func (s *svg) legend(f frame, names []string, marks func(i int, x, y float64)) {
	x := f.left + f.plotW() + 16
	for i, n := range names {
		y := f.top + 8 + float64(i)*20
		marks(i, x, y)
		s.text(x+24, y+4, "start", "small", n)
	}
}

func (s *svg) close(w io.Writer) error {
	s.printf("</svg>\n")
	_, err := io.WriteString(w, s.b.String())
	return err
}

func color(i int) string { return Palette[i%len(Palette)] }
