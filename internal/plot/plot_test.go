package plot

import (
	"bytes"
	"encoding/xml"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"pvsc.dev/pvsc/lab/golden"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkSVG compares an SVG with testdata/name, after checking it is well-formed XML.
func checkSVG(t *testing.T, name string, got []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(got))
	for {
		_, err := dec.Token()
		if err != nil {
			require.ErrorContains(t, err, "EOF", "well-formed SVG")
			break
		}
	}
	golden.File(t, filepath.Join("testdata", strings.TrimSuffix(name, ".svg")+".txtar"), got)
}

func TestLineChartGolden(t *testing.T) {
	c := &Line{
		Title: "Fig. 9(a): interception and N-step evaluation", XLabel: "tenants", YLabel: "ms",
		Series: []Series{
			{Name: "NB INT", X: []float64{1000, 2000, 3000}, Y: []float64{0.26, 0.27, 0.266}},
			{Name: "NB NSE", X: []float64{1000, 2000, 3000}, Y: []float64{0.13, 0.131, 0.133}},
			{Name: "CO NSE", X: []float64{1000, 2000, 3000}, Y: []float64{0.773, 0.794, math.NaN()}, Dashed: true},
		},
	}
	var b bytes.Buffer
	require.NoError(t, c.SVG(&b))
	checkSVG(t, "line.svg", b.Bytes())
	assert.Contains(t, b.String(), "<title>CO NSE: 0.794</title>")
	assert.Equal(t, 2, strings.Count(b.String(), `stroke-dasharray="5,3"`), "dashed series and its legend")
}

func TestLogLineChartGolden(t *testing.T) {
	c := &Line{
		Title: "Decision time vs cloud size", XLabel: "ports", YLabel: "ms (log)", LogY: true, Width: 500, Height: 300,
		Series: []Series{
			{Name: "SAT", X: []float64{10000, 100000}, Y: []float64{1500, 480000}},
			{Name: "proactive", X: []float64{10000, 100000}, Y: []float64{0.004, 0.005}},
		},
	}
	var b bytes.Buffer
	require.NoError(t, c.SVG(&b))
	checkSVG(t, "line_log.svg", b.Bytes())
	for _, tick := range []string{">0.001<", ">1M<", ">1<"} {
		assert.Contains(t, b.String(), tick)
	}
}

func TestBarChartGolden(t *testing.T) {
	c := &Bars{
		Title: "Table 2: one critical operation", YLabel: "ms (log)", LogY: true,
		Groups: []string{"10k ports", "100k ports"},
		Series: []BarSeries{
			{Name: "proactive", Values: []float64{0.004, 0.005}},
			{Name: "SAT + collection", Values: []float64{1500, 480000}},
			{Name: "OPA", Values: []float64{0.05, math.NaN()}},
		},
	}
	var b bytes.Buffer
	require.NoError(t, c.SVG(&b))
	checkSVG(t, "bars.svg", b.Bytes())
	assert.Equal(t, 5+3, strings.Count(b.String(), "<rect x="), "5 bars (the NaN is left out) and 3 legend keys")
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 1000: "1000", 10000: "10k", 25000: "25k", 1e6: "1M", 2.5e6: "2.5M", 0.5: "0.5",
		1.25: "1.25", 0.0042: "0.0042", 123.4: "123", 12345.6: "12346",
	} {
		assert.Equal(t, want, Num(v), "%g", v)
	}
}

func TestAxes(t *testing.T) {
	a := newAxis([]float64{3, 47}, false, true)
	assert.Equal(t, []float64{0, 10, 20, 30, 40, 50}, a.ticks)
	assert.InDelta(t, 0.5, a.frac(25), 1e-9)
	l := newAxis([]float64{0.004, 480000, 0}, true, true)
	assert.Equal(t, 0.001, l.lo)
	assert.Equal(t, 1e6, l.hi)
	assert.Len(t, l.ticks, 10)
	assert.InDelta(t, 0.0, l.frac(-1), 1e-9, "log axes clamp values below their floor")
	empty := newAxis(nil, false, false)
	assert.Less(t, empty.lo, empty.hi)
}
