package dsl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/dsl"
)

// shippedSpecs lists every .pvsc file under specs/.
func shippedSpecs(t testing.TB) []string {
	var out []string
	err := filepath.WalkDir("../specs", func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".pvsc") {
			out = append(out, p)
		}
		return err
	})
	require.NoError(t, err)
	require.NotEmpty(t, out)
	return out
}

func TestParseKeepsPositions(t *testing.T) {
	src := "model m {\n  entity tenant\n  entity port in tenant { owner: string }\n}\n"
	f, err := dsl.Parse("m.pvsc", []byte(src))
	require.NoError(t, err)
	port := f.Decls[0].Model.Items[1].Entity
	assert.Equal(t, "port", port.Name.Name)
	assert.Equal(t, 3, port.Name.Pos.Line)
	assert.Equal(t, 10, port.Name.Pos.Column)
	assert.Equal(t, "tenant", port.In[0].Name)
	assert.Equal(t, "owner", port.Attrs[0].Name.Name)
	assert.Equal(t, "string", port.Attrs[0].Type.String())
}

func TestSyntaxErrorIsOneDiagnostic(t *testing.T) {
	_, err := dsl.Parse("bad.pvsc", []byte("model m {\n  entity tenant\n  entity port in {\n}\n"))
	require.Error(t, err)
	var ds dsl.Diagnostics
	require.ErrorAs(t, err, &ds)
	require.Len(t, ds, 1)
	assert.Equal(t, "bad.pvsc", ds[0].Pos.File)
	assert.Equal(t, 3, ds[0].Pos.Line)
	// participle backtracks the optional "in" group, so the error names "in".
	assert.Equal(t, 15, ds[0].Pos.Col)
	assert.Equal(t, "bad.pvsc:3:15: unexpected token \"in\" (expected \"}\")\n |   entity port in {\n | ..............^", ds[0].String(),
		"the source line and a caret under the column")
}

func TestCELPositionMapsIntoTheFile(t *testing.T) {
	src := "property p on m {\n  invariant `a &&\n    b.c`\n}\n"
	f, err := dsl.Parse("p.pvsc", []byte(src))
	require.NoError(t, err)
	inv := f.Decls[0].Property.Items[0].Invariant
	assert.Equal(t, "a &&\n    b.c", inv.Text())
	first := inv.At(1, 2) // "&&" on the first line
	assert.Equal(t, 2, first.Line)
	assert.Equal(t, 16, first.Column)
	second := inv.At(2, 4) // "b" on the second line
	assert.Equal(t, 3, second.Line)
	assert.Equal(t, 5, second.Column)
}

func TestFormatIsStableOnShippedSpecs(t *testing.T) {
	for _, path := range shippedSpecs(t) {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		f, err := dsl.Parse(path, src)
		require.NoError(t, err, path)
		once := dsl.Format(f)
		f2, err := dsl.Parse(path, once)
		require.NoError(t, err, "formatted %s does not parse:\n%s", path, once)
		assert.Equal(t, string(once), string(dsl.Format(f2)), "fmt of fmt differs for %s", path)
		assert.Equal(t, countComments(src), countComments(once), "comments lost in %s", path)
	}
}

func countComments(src []byte) int {
	f, err := dsl.Parse("x", src)
	if err != nil {
		return -1
	}
	return len(f.Comments)
}

func TestFormatCanonicalisesAndKeepsComments(t *testing.T) {
	src, err := os.ReadFile("testdata/messy.pvsc")
	require.NoError(t, err)
	want, err := os.ReadFile("testdata/messy.formatted.pvsc")
	require.NoError(t, err)
	f, err := dsl.Parse("messy.pvsc", src)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(dsl.Format(f)))
}

func TestDiagnosticsSortAndDedupe(t *testing.T) {
	var ds dsl.Diagnostics
	pos := func(file string, line, col int) dsl.Diagnostic {
		d := dsl.Diagnostic{Msg: "m"}
		d.Pos = dsl.Pos{File: file, Line: line, Col: col}
		return d
	}
	ds = append(ds, pos("b.pvsc", 1, 1), pos("a.pvsc", 3, 2), pos("a.pvsc", 3, 1), pos("a.pvsc", 3, 1))
	ds.Sort()
	assert.Equal(t, "a.pvsc:3:1: m\na.pvsc:3:2: m\nb.pvsc:1:1: m", ds.Error())
}

func FuzzParse(f *testing.F) {
	for _, path := range shippedSpecs(f) {
		src, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(string(src))
	}
	f.Fuzz(func(t *testing.T, src string) {
		file, err := dsl.Parse("fuzz.pvsc", []byte(src))
		if err != nil {
			var ds dsl.Diagnostics
			require.ErrorAs(t, err, &ds, "parse errors are diagnostics")
			return
		}
		out := dsl.Format(file)
		again, err := dsl.Parse("fuzz.pvsc", out)
		require.NoError(t, err, "formatted output must parse:\n%s", out)
		require.Equal(t, string(out), string(dsl.Format(again)), "fmt of fmt must be stable")
	})
}

func TestMetricParsesWithPositions(t *testing.T) {
	src := "metric availability on music {\n  unit \"per mille\"\n  target at least -5\n  reported by report_measurement at \"uptime probe\"\n  miss lowers trust by 2\n}\n"
	f, err := dsl.Parse("m.pvsc", []byte(src))
	require.NoError(t, err)
	m := f.Decls[0].Metric
	require.NotNil(t, m)
	assert.Equal(t, "availability", m.Name.Name)
	assert.Equal(t, "music", m.Model.Name)
	require.Len(t, m.Items, 4)
	assert.Equal(t, "per mille", m.Items[0].Unit.Value)
	tg := m.Items[1].Target
	assert.Equal(t, "least", tg.Direction.Name)
	assert.Equal(t, -5, tg.Value.Int(), "a signed literal keeps its sign for the compiler to judge")
	assert.Equal(t, 3, tg.Direction.Pos.Line)
	assert.Equal(t, 13, tg.Direction.Pos.Column)
	assert.Equal(t, "report_measurement", m.Items[2].Reported.Event.Name)
	assert.Equal(t, "uptime probe", m.Items[2].Reported.Point.Value)
	assert.Equal(t, 2, m.Items[3].Miss.Levels.Int())
	assert.Equal(t, src, string(dsl.Format(f)), "the canonical form round-trips")
}
