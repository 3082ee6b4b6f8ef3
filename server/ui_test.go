package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/server/feed/feedtest"
	"pvsc.dev/pvsc/specs/openstack"
)

// TestDashboardInABrowser: headless Chromium signs in to /ui with the bearer token, a
// denial is driven through POST /v1/decide, and the page shows it (live, over server-sent
// events) with its reason; the N-cp of every property is drawn. PVSC_UPDATE=1 also writes
// the screenshot docs/img/dashboard.png.
func TestDashboardInABrowser(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.json")
	require.NoError(t, os.WriteFile(snap, feedtest.NewStream(1, 4, 10).Snapshot, 0o644))
	tok := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tok, []byte("t0k-ui"), 0o600))
	n, err := New(context.Background(), Config{Spec: openstack.Spec, Snapshot: snap, Log: io.Discard})
	require.NoError(t, err)
	defer n.Close()
	api, err := n.apiServer(&APIConfig{Auth: "bearer", BearerFile: tok, Scope: "any"})
	require.NoError(t, err)
	ts := httptest.NewServer(api.Handler)
	defer ts.Close()

	ctx, done := signedIn(t, browser, ts.URL, "t0k-ui")
	defer done()
	cards, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("properties")))
	require.NoError(t, err)
	for _, p := range openstack.Spec.Properties {
		require.Contains(t, cards, p.Name)
	}
	require.Contains(t, cards, "N-cp 1", "the distribution of scopes by N-cp")

	req, _ := http.NewRequest("POST", ts.URL+"/v1/decide", strings.NewReader(`{"op": "update_port", "params": {"port_id": "port-0-1", "device_owner": "network:dhcp"}}`))
	req.Header.Set("Authorization", "Bearer t0k-ui")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#denials tbody").textContent.includes("port-0-1")`,
		chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "the denial appears on the page")
	denials, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("denials")))
	require.NoError(t, err)
	require.Contains(t, denials, "no_bypass")
	require.Contains(t, denials, `"port-0-1" is not in watchlist unattached of tenant "p-0"`)

	require.NoError(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("search"), "p-1")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`![...document.querySelectorAll("#properties td")].some(td => td.textContent === "p-0")`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "the search drops the scopes it does not match")
	watched, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("properties")))
	require.NoError(t, err)
	require.Contains(t, watched, "p-1", "the search keeps the scopes it matches")

	if os.Getenv("PVSC_UPDATE") != "" {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById("search"); s.value = ""; s.dispatchEvent(new Event("input")); return true })()`))
		require.NoError(t, err)
		require.NoError(t, chromedp.Do(ctx, chromedp.Sleep(1500*time.Millisecond)))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("../docs/img/dashboard.png", png, 0o644))
	}
}

func chromium(t *testing.T) string {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/install-browser.sh (make test does)")
	}
	return browser
}

// signedIn is headless Chromium on /ui, signed in with the bearer token, the page ready.
func signedIn(t *testing.T, browser, url, token string) (context.Context, func()) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1400, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	done := func() { cancel(); cancelBrowser(); cancelAlloc() }
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/ui"),
		chromedp.WaitVisible(chromedp.ID("token")), // sent to the login form
		chromedp.SetValue(chromedp.ID("kind"), "bearer"),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`)),
	)
	if err != nil {
		done()
		require.NoError(t, err)
	}
	return ctx, done
}
