package report_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/golden"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/report"
	musicspec "pvsc.dev/pvsc/specs/music"
)

// navigation runs the navigation community's metric stream through the engine and the
// trust level manager, with pvsc verify's output on two of its properties.
func navigation(t *testing.T) *report.Input {
	e, err := runtime.New(musicspec.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	f, err := os.Open("../../cmd/pvsc/testdata/trust/metrics.jsonl")
	require.NoError(t, err)
	defer f.Close()
	m, err := trust.New(trust.Default())
	require.NoError(t, err)
	in, err := report.Run(e, f, "metrics.jsonl", m)
	require.NoError(t, err)
	in.Proofs, err = report.ReadProofs("testdata/verify-music.txt")
	require.NoError(t, err)
	return in
}

// The three reports of the navigation run, as Markdown, are kept as golden text.
func TestReportsOfTheNavigationRun(t *testing.T) {
	in := navigation(t)
	c := golden.Load(t, "testdata/navigation.txtar")
	for _, a := range report.Audiences {
		d, err := report.Build(in, a)
		require.NoError(t, err)
		var b strings.Builder
		require.NoError(t, d.Markdown(&b))
		c.Check(t, a+".md", []byte(b.String()))
	}
	c.Save(t)
	_, err := report.Build(in, "cfo")
	assert.EqualError(t, err, `unknown audience "cfo" (want operator, owner, auditor)`)
}

// One owner's report holds that owner's data, the workflows that process it and their
// steps only; the other owners' data does not appear in it.
func TestOwnerReportShowsOneOwnersData(t *testing.T) {
	in := navigation(t)
	md := func(d *report.Doc) string {
		var b strings.Builder
		require.NoError(t, d.Markdown(&b))
		return b.String()
	}
	nav, err := report.OwnerFor(in, "nav-corp")
	require.NoError(t, err)
	assert.Equal(t, "owner-nav-corp", nav.Audience)
	text := md(nav)
	assert.Contains(t, text, "| route-plan | nav-corp | confidential |")
	assert.Contains(t, text, "| 32 | nav-route | s3 | traffic-edge | denied |", "its workflow's steps, with their verdicts")
	assert.NotContains(t, text, "blackspots |", "city-traffic's data is not nav-corp's to see")

	city, err := report.OwnerFor(in, "city-traffic")
	require.NoError(t, err)
	text = md(city)
	assert.Contains(t, text, "| blackspots | city-traffic | confidential | cloud-edge | true |")
	assert.Contains(t, text, "| 13 | blackspots | cloud-edge | allow |")
	assert.NotContains(t, text, "route-plan")
	assert.NotContains(t, text, "nav-route")
	assert.Contains(t, text, "## Admissible providers per class", "the community's providers are every member's to see")

	_, err = report.OwnerFor(in, "nobody")
	assert.EqualError(t, err, `owner "nobody" holds no data object and no workflow in the input`)
	assert.Equal(t, "owner-a_b", mustOwner(t, "a/b").Audience, "an id makes a safe file name")
}

func mustOwner(t *testing.T, id string) *report.Doc {
	in := &report.Input{Name: "x", Community: &report.Community{Data: []report.DataObject{{Owner: id}}}}
	d, err := report.OwnerFor(in, id)
	require.NoError(t, err)
	return d
}

// Headless Chromium renders each HTML report: its sections, its tables and its plots (SVG
// drawn by internal/plot, with a size the browser lays out).
func TestReportsInABrowser(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/install-browser.sh (make test does)")
	}
	in := navigation(t)
	dir := t.TempDir()
	for _, a := range report.Audiences {
		d, err := report.Build(in, a)
		require.NoError(t, err)
		require.NoError(t, d.WriteDir(dir))
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	want := map[string]struct {
		headings []string
		plots    int
		text     string
	}{
		"operator": {[]string{"Decisions per property", "Denials per scope", "N-cp distribution", "Event lag"}, 3, "workflow_admissibility"},
		"owner":    {[]string{"Data objects", "Workflows", "Admissible providers per class"}, 0, "blackspots"},
		"auditor":  {[]string{"Findings", "Refused operations", "Proofs", "Trust levels"}, 1, "patch_latency_days 21 > target 7"},
	}
	for _, a := range report.Audiences {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate("file://"+filepath.Join(dir, a+".html")),
			chromedp.WaitVisible(chromedp.CSS("h1"))), a)
		headings, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("h2")].map(h => h.textContent)`))
		require.NoError(t, err, a)
		plots, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("figure svg").length`))
		require.NoError(t, err, a)
		width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Math.min(...[...document.querySelectorAll("figure svg")].map(s => s.getBoundingClientRect().width), 1e9)`))
		require.NoError(t, err, a)
		body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		require.NoError(t, err, a)
		assert.Equal(t, want[a].headings, headings, a)
		assert.Equal(t, want[a].plots, plots, a)
		assert.Contains(t, body, want[a].text, a)
		if plots > 0 {
			assert.Greater(t, width, 100.0, "%s: every plot is laid out", a)
		}
	}
}
