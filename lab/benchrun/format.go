package benchrun

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Dur formats a duration with three significant digits in the unit that fits.
func Dur(d time.Duration) string {
	v := float64(d)
	switch {
	case d <= 0:
		return "–"
	case d < time.Microsecond:
		return sig(v) + " ns"
	case d < time.Millisecond:
		return sig(v/1e3) + " µs"
	case d < time.Second:
		return sig(v/1e6) + " ms"
	}
	return sig(v/1e9) + " s"
}

// sig prints v with three significant digits.
func sig(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// Ratio formats x (other / proactive) as "1 : x", x grouped in thousands and rounded to three significant digits.
func Ratio(x float64) string {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	if x < 100 {
		return "1 : " + sig(x)
	}
	p := math.Pow(10, math.Floor(math.Log10(x))-2)
	return "1 : " + group(int64(math.Round(x/p)*p))
}

// group writes n with thousands separated by commas.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Bytes formats a byte count in MB (10^6) or kB.
func Bytes(n int64) string {
	switch {
	case n <= 0:
		return "–"
	case n < 1e6:
		return sig(float64(n)/1e3) + " kB"
	}
	return sig(float64(n)/1e6) + " MB"
}

// medianP99 is "median (p99)".
func medianP99(d Dist) string {
	if d.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (%s)", Dur(d.Median), Dur(d.P99))
}

// abbrev is the paper's short name of a property (NB, CO), else the name.
func abbrev(prop string) string {
	switch prop {
	case "no_bypass":
		return "NB"
	case "common_ownership":
		return "CO"
	}
	return prop
}
