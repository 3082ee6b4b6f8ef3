// Package plot is the lab's name for internal/plot, which moved into the product for pvsc report; its importers may switch to internal/plot.
package plot

import "pvsc.dev/pvsc/internal/plot"

// The chart types and helpers, unchanged: aliases keep lab/benchrun building.
type (
	Series    = plot.Series
	Line      = plot.Line
	Bars      = plot.Bars
	BarSeries = plot.BarSeries
)

// Palette is internal/plot's series colours.
var Palette = plot.Palette

// Num formats a number for labels as internal/plot does.
func Num(v float64) string { return plot.Num(v) }
