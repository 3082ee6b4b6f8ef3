package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/music/paths"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/specs/music"
)

const community = "../cmd/pvsc/testdata/workflows/community.json"

// TestDecideRefusesAStepOffEveryPath runs a node of the music spec with the admissible-path
// gate as pvsc serve wires it: the workflow is registered through the event pipeline, and
// POST /v1/decide refuses a step that leaves every admissible path, which the properties
// alone allow, until a trust drop applied through the pipeline removes the last path.
func TestDecideRefusesAStepOffEveryPath(t *testing.T) {
	var log bytes.Buffer
	n, ts := musicNode(t, &log)
	defer n.Close()
	defer ts.Close()

	var err error
	apply := func(id, line string) {
		t.Helper()
		out, err := n.Apply(id, []byte(line))
		require.NoError(t, err, line)
		require.Equal(t, feed.Applied, out, line)
	}
	type answer struct {
		Verdict string
		Blocked bool
		Refused []struct {
			Decision      int
			Kind, Message string
		}
	}
	decide := func(step string) answer {
		t.Helper()
		body := `{"method":"POST","path":"/v1/workflows/nav-short/steps","body":{"step":` + step + `}}`
		req, _ := http.NewRequest("POST", ts.URL+"/v1/decide", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t0k")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
		var a answer
		require.NoError(t, json.Unmarshal(b, &a), string(b))
		return a
	}

	apply("w1", `{"event_type":"music.workflow.created","payload":{"workflow":{"id":"nav-short","owner":"nav-corp","data_id":"route-plan","kinds":["traffic","routing"]}}}`)
	// Routing first where the first step is traffic: the properties allow it, the gate does not.
	a := decide(`{"id":"r1","service_id":"routing-edge","at":1000}`)
	assert.True(t, a.Blocked)
	assert.Equal(t, "deny", a.Verdict)
	require.Len(t, a.Refused, 1)
	assert.Equal(t, paths.KindOffPath, a.Refused[0].Kind)
	assert.Contains(t, a.Refused[0].Message, "step r1 of workflow nav-short (step 1, traffic) to routing-edge leaves every admissible path")
	recent := n.dlog.Recent()
	require.NotEmpty(t, recent, "the refusal is a denial of the decision log")
	assert.Contains(t, string(recent[0]), `"refused":{"kind":"step_off_path","message":"step r1 of workflow nav-short`)
	assert.Contains(t, string(recent[0]), `"verdict":"allow"`, "the properties' own verdict follows")
	assert.True(t, json.Valid(recent[0]), string(recent[0]))

	// On the path: allowed; applied through the pipeline, it moves the workflow to its second step.
	a = decide(`{"id":"r1","service_id":"traffic-edge","at":1000}`)
	assert.False(t, a.Blocked)
	assert.Empty(t, a.Refused)
	handed := `{"method":"POST","path":"/v1/workflows/nav-short/steps","body":{"step":{"id":"r1","service_id":"traffic-edge","at":1000}},"response":{"status":201}}`
	apply("s1", handed)
	// Delivered again under another message id: the step keeps its place, the next is step 2.
	_, err = n.Apply("s1-again", []byte(handed))
	require.NoError(t, err)
	a = decide(`{"id":"r2","service_id":"traffic-edge","at":2000}`)
	require.Len(t, a.Refused, 1, "a second traffic step leaves the path")
	assert.Contains(t, a.Refused[0].Message, "(step 2, routing)")
	assert.False(t, decide(`{"id":"r2","provider_id":"cloud-secure","at":2000}`).Blocked)

	// cloud-secure and cloud-edge drop to internal: no admissible routing is left for
	// confidential route-plan, the keeper says so when it happens, and the step is refused.
	apply("t1", `{"event_type":"music.trust.changed","payload":{"provider_id":"cloud-secure","trust":"internal"}}`)
	apply("t2", `{"event_type":"music.trust.changed","payload":{"provider_id":"cloud-edge","trust":"internal"}}`)
	assert.Contains(t, log.String(), "workflow nav-short has no admissible path")
	a = decide(`{"id":"r2","provider_id":"cloud-secure","at":2000}`)
	assert.True(t, a.Blocked)
	assert.Equal(t, "deny", a.Verdict)
}

// musicNode is a node of the music spec over community.json with the admissible-path gate
// as pvsc serve wires it, and its API behind the bearer token t0k.
func musicNode(t *testing.T, log io.Writer) (*Node, *httptest.Server) {
	t.Helper()
	token := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(token, []byte("t0k\n"), 0o600))
	n, err := New(context.Background(), Config{Spec: music.Spec, Snapshot: community, Log: log,
		Gate: func(e *runtime.Engine) (feed.Gate, error) {
			return paths.NewGuard(e, slog.New(slog.NewTextHandler(log, nil)))
		}})
	require.NoError(t, err)
	hs, err := n.apiServer(&APIConfig{Auth: "bearer", BearerFile: token, Scope: "any"})
	require.NoError(t, err)
	return n, httptest.NewServer(hs.Handler)
}

// TestDashboardShowsAGateRefusal: in headless Chromium, the dashboard's latest denials list
// a step the admissible-path gate refused, by its kind and message.
func TestDashboardShowsAGateRefusal(t *testing.T) {
	browser := chromium(t)
	n, ts := musicNode(t, io.Discard)
	defer n.Close()
	defer ts.Close()
	_, err := n.Apply("w1", []byte(`{"event_type":"music.workflow.created","payload":{"workflow":{"id":"nav-short","owner":"nav-corp","data_id":"route-plan","kinds":["traffic","routing"]}}}`))
	require.NoError(t, err)
	ctx, done := signedIn(t, browser, ts.URL, "t0k")
	defer done()
	req, _ := http.NewRequest("POST", ts.URL+"/v1/decide", strings.NewReader(`{"method":"POST","path":"/v1/workflows/nav-short/steps","body":{"step":{"id":"r1","service_id":"routing-edge","at":1000}}}`))
	req.Header.Set("Authorization", "Bearer t0k")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#denials tbody").textContent.includes("step_off_path")`,
		chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "the refusal appears on the page")
	denials, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("denials")))
	require.NoError(t, err)
	assert.Contains(t, denials, "step r1 of workflow nav-short (step 1, traffic) to routing-edge leaves every admissible path")
}
