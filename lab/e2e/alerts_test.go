package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/stacktest"
	"pvsc.dev/pvsc/server/feed/feedtest"
)

// The three community clouds of the alert exchange test, each a vhost of the stack's broker
// linked by music-link.sh's shovels, each with its own pvsc serve: road-authority's (A) and
// city-traffic's (C) publish, nav-corp's (B) receives.
var alertClouds = []string{"music-e2e-a", "music-e2e-b", "music-e2e-c"}

// TestAlertsBetweenClouds (about 18 s with the stack up, 6 s of it music-link.sh's
// rabbitmqctl calls): a security-metric miss in cloud A lowers cloud-edge's trust there
// (pvsc trust's set_trust, through A's notification feed), which strands A's confidential
// blackspots: A publishes the trust change and the data_placement finding as IDMEF XML; the
// shovel carries them to B, whose trust level manager takes them as road-authority's rating and
// lowers cloud-edge in B too. B's next step to cloud-edge is refused before it is attempted
// and B's admissible paths no longer pass cloud-edge. C's alert (IDMEFv2 JSON) about the same
// data object, sent after every connection of B and C was cut, is correlated with A's into one
// incident; a malformed alert is dead-lettered by B and changes nothing; B does not send its
// drop on as its own.
func TestAlertsBetweenClouds(t *testing.T) {
	st := stacktest.New(t)
	start0 := time.Now()
	musicLink(t, st, "up", alertClouds...)
	t.Cleanup(func() { musicLink(t, st, "down", alertClouds...) })
	t.Logf("music-link.sh up: %v", time.Since(start0).Round(time.Millisecond))

	dir := t.TempDir()
	snapA := strandedCommunity(t, dir)
	trustChanges := emitTrust(t, dir, snapA)
	policy := filepath.Join(dir, "community-rule.json")
	// nav-corp's community weights its members' word: one member's zero rating costs a level
	require.NoError(t, os.WriteFile(policy, []byte(`{"experience_weight": 0.3, "reputation_weight": 0.7}`), 0o644))

	a := startCloud(t, st, "music-e2e-a", "--snapshot", snapA, "--alerts-out", vhostURL(t, st, "music-e2e-a"), "--alerts-org", "road-authority", "--alerts-format", "xml")
	c := startCloud(t, st, "music-e2e-c", "--snapshot", snapA, "--alerts-out", vhostURL(t, st, "music-e2e-c"), "--alerts-org", "city-traffic", "--alerts-format", "json")
	b := startCloud(t, st, "music-e2e-b", "--snapshot", communityFile(t), "--alerts-in", vhostURL(t, st, "music-e2e-b"), "--alerts-org", "nav-corp",
		"--alerts-trust-config", policy, "--alerts-out", vhostURL(t, st, "music-e2e-b"))

	step := `{"op": "hand_to_provider", "params": {"step_id": "s-e2e", "workflow_id": "nav-route", "provider": "cloud-edge", "at": 1}}`
	require.Equal(t, "confidential", providerTrust(t, b, "cloud-edge"))
	_, body := decide(t, b, step)
	assert.Contains(t, body, `"verdict":"allow"`, "before any alert cloud-edge may run nav-corp's step")
	pathsBefore := workflows(t, b, dir)

	t1 := time.Now()
	publishFeed(t, st, "music-e2e-a", trustChanges)
	eventually(t, 60*time.Second, "cloud-edge's trust lowered in B by A's alert", func() bool { return providerTrust(t, b, "cloud-edge") == "internal" })
	t.Logf("A's trust change to B's trust drop: %v", time.Since(t1).Round(time.Millisecond))
	assert.Equal(t, "internal", providerTrust(t, a, "cloud-edge"), "A holds its own manager's level")
	assert.Equal(t, float64(0), ratingScore(t, b, "road-authority@cloud-edge"))

	_, body = decide(t, b, step)
	assert.Contains(t, body, `"verdict":"deny"`, "the next step to cloud-edge is refused before it is attempted")
	assert.Contains(t, body, "workflow_trust")
	t.Logf("B decides the next step to cloud-edge: %s", body)
	pathsAfter := workflows(t, b, dir)
	assert.NotContains(t, listedPaths(pathsAfter), "cloud-edge")
	assert.Contains(t, listedPaths(pathsBefore), "cloud-edge")
	assert.Contains(t, pathsBefore, "16 admissible paths")
	assert.Contains(t, pathsAfter, "1 admissible path,")

	// C's first change (cloud-budget to its SLA) goes out while its publisher is connected...
	require.Contains(t, trustChanges[0]["payload"], "provider_id")
	publishFeed(t, st, "music-e2e-c", trustChanges[:1])
	eventually(t, 30*time.Second, "C's first alert in B", func() bool {
		return strings.Contains(readLog(t, b), "from=city-traffic property=trust_level provider=cloud-budget")
	})
	// ...then every connection of B and C drops (as a broker restart or a network cut would):
	// each part reconnects, and C's alerts about cloud-edge still reach B
	for _, cloud := range []string{"music-e2e-b", "music-e2e-c"} {
		st.RabbitmqCtl(t, "close_all_connections", "-p", cloud, "e2e: the link drops")
	}
	publishFeed(t, st, "music-e2e-c", trustChanges[1:])
	eventually(t, 30*time.Second, "C's own trust change", func() bool { return providerTrust(t, c, "cloud-edge") == "internal" })
	eventually(t, 60*time.Second, "C's JSON alert rated in B", func() bool { return ratingScore(t, b, "city-traffic@cloud-edge") == 0 })
	eventually(t, 10*time.Second, "A's and C's alerts on blackspots at cloud-edge correlated in B", func() bool {
		return strings.Contains(readLog(t, b), `data=blackspots format=json incident_clouds="[city-traffic road-authority]"`)
	})
	assert.Equal(t, "internal", providerTrust(t, b, "cloud-edge"))

	publishAlert(t, st, "music-e2e-a", []byte(`<IDMEF-Message version="1.0"><Alert messageid="x"></IDMEF-Message>`))
	eventually(t, 30*time.Second, "the malformed alert dead-lettered in B", func() bool {
		return queueDepth(t, st, "music-e2e-b", "pvsc.alerts.in.dlq") == 1
	})
	assert.Contains(t, readLog(t, b), "malformed IDMEF message: XML")
	assert.Equal(t, "internal", providerTrust(t, b, "cloud-edge"), "a malformed alert loses nothing accepted")
	// A and C gave three ratings each: cloud-budget 2, cloud-edge 2, then cloud-edge 0
	metrics := linesWith(b.getText(t, "/metrics"), "pvsc_alerts_")
	for _, want := range []string{`pvsc_alerts_in_total{outcome="malformed"} 1`, `pvsc_alerts_in_total{outcome="rated"} 6`, "pvsc_alerts_trust_changes_total 1"} {
		assert.Contains(t, metrics, want)
	}
	assert.Contains(t, linesWith(a.getText(t, "/metrics"), "pvsc_alerts_"), "pvsc_alerts_out_published_total 3")
	t.Logf("B's alert exchange:\n%s", linesWith(readLog(t, b), "part=alerts"))

	// A's incoming queue (no pvsc consumes it here) holds C's alerts, and none of B's: B's
	// drop was the other clouds' word, not sent on as its own
	senders := drain(t, st, "music-e2e-a", "pvsc.alerts.in")
	assert.Contains(t, senders, "city-traffic")
	assert.NotContains(t, senders, "nav-corp")
	assert.Contains(t, readLog(t, b), `msg="alerts out: not sending on a change other clouds' alerts made" part=alerts provider=cloud-edge`)
}

// drain takes every message off a queue and returns their senders (AMQP app-id).
func drain(t *testing.T, st *stacktest.Stack, cloud, queue string) []string {
	t.Helper()
	ch := vhostChannel(t, st, cloud)
	var out []string
	for {
		m, ok, err := ch.Get(queue, true)
		require.NoError(t, err)
		if !ok {
			return out
		}
		out = append(out, m.AppId)
	}
}

func linesWith(text, sub string) string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func musicLink(t *testing.T, st *stacktest.Stack, verb string, clouds ...string) {
	t.Helper()
	script := filepath.Join(filepath.Dir(stacktest.Script(t)), "music-link.sh")
	cmd := exec.Command("bash", append([]string{script, verb}, clouds...)...)
	cmd.Env = append(os.Environ(), "BASE="+st.Base)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "music-link.sh %s: %s", verb, out)
}

// vhostURL is the stack's broker as the cloud's own user in its own vhost.
func vhostURL(t *testing.T, st *stacktest.Stack, cloud string) string {
	t.Helper()
	u, err := url.Parse(st.AMQPURL)
	require.NoError(t, err)
	u.User, u.Path = url.UserPassword(cloud, cloud), "/"+cloud
	return u.String()
}

func communityFile(t *testing.T) string {
	return filepath.Join(moduleRoot(t), "cmd", "pvsc", "testdata", "workflows", "community.json")
}

// strandedCommunity is the navigation community with road-authority's confidential
// blackspots stored at cloud-edge.
func strandedCommunity(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(communityFile(t))
	require.NoError(t, err)
	var snap map[string][]map[string]any
	require.NoError(t, json.Unmarshal(data, &snap))
	for _, d := range snap["data_objects"] {
		if d["id"] == "blackspots" {
			d["location"], d["vault"] = "cloud-edge", true // in a vault: data_vault holds
		}
	}
	out, err := json.Marshal(snap)
	require.NoError(t, err)
	path := filepath.Join(dir, "community-a.json")
	require.NoError(t, os.WriteFile(path, out, 0o644))
	return path
}

// emitTrust runs the trust level manager (pvsc trust) on cloud-edge's missed patch-latency
// target and returns its music.trust.changed notifications.
func emitTrust(t *testing.T, dir, snapshot string) []map[string]any {
	t.Helper()
	emit := filepath.Join(dir, "set_trust.jsonl")
	cmd := exec.Command(binary, "trust", "--snapshot", snapshot, "--ops", "cmd/pvsc/testdata/workflows/edge-misses.jsonl", "--emit", emit)
	cmd.Dir = moduleRoot(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	data, err := os.ReadFile(emit)
	require.NoError(t, err)
	var ns []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var n map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &n))
		ns = append(ns, n)
	}
	require.Contains(t, string(data), `"provider_id":"cloud-edge","trust":"internal"`)
	return ns
}

// startCloud runs a cloud's pvsc serve on the music spec, following its own vhost's "music"
// notifications.
func startCloud(t *testing.T, st *stacktest.Stack, cloud string, args ...string) *proc {
	t.Helper()
	api := freePort(t)
	base := []string{"serve", "--spec", "specs/music", "--amqp-url", vhostURL(t, st, cloud), "--exchanges", "music", "--queue", "pvsc-feed",
		"--no-enrich", "--listen", api, "--auth", "bearer", "--audit-every", "200ms"}
	return start(t, st, api, append(base, args...)...)
}

// publishFeed publishes notifications to a cloud's feed, as its trust level manager would.
func publishFeed(t *testing.T, st *stacktest.Stack, cloud string, ns []map[string]any) {
	t.Helper()
	ch := vhostChannel(t, st, cloud)
	var bodies [][]byte
	for i, n := range ns {
		n["message_id"] = fmt.Sprintf("%s-trust-%v-%d", cloud, n["payload"].(map[string]any)["provider_id"], i)
		n["timestamp"] = time.Now().UTC().Format("2006-01-02 15:04:05.000000")
		n["priority"], n["publisher_id"] = "INFO", "music.trust"
		bodies = append(bodies, feedtest.Envelope(n))
	}
	publishAll(t, ch, "music", bodies)
}

// publishAlert publishes a document straight to a cloud's outgoing alert exchange.
func publishAlert(t *testing.T, st *stacktest.Stack, cloud string, body []byte) {
	t.Helper()
	ch := vhostChannel(t, st, cloud)
	require.NoError(t, ch.PublishWithContext(context.Background(), "pvsc.alerts", "alert.test", false, false,
		amqp.Publishing{ContentType: "application/xml", Body: body}))
}

func vhostChannel(t *testing.T, st *stacktest.Stack, cloud string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(vhostURL(t, st, cloud))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	require.NoError(t, err)
	return ch
}

func queueDepth(t *testing.T, st *stacktest.Stack, cloud, queue string) int {
	t.Helper()
	q, err := vhostChannel(t, st, cloud).QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		return -1
	}
	return q.Messages
}

func providerTrust(t *testing.T, p *proc, id string) string {
	t.Helper()
	v, _ := p.get(t, "/v1/records/provider/"+id)["trust"].(string)
	return v
}

// ratingScore is a rating's score, -1 while it does not exist.
func ratingScore(t *testing.T, p *proc, id string) float64 {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.api+"/v1/records/rating/"+id, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+bearerToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return -1
	}
	var r map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
	s, _ := r["score"].(float64)
	return s
}

// workflows runs pvsc workflows on the cloud's community as its API shows it now.
func workflows(t *testing.T, p *proc, dir string) string {
	t.Helper()
	snap := map[string]any{}
	for entity, coll := range map[string]string{"provider": "providers", "service": "services", "community": "communities"} {
		recs := p.get(t, "/v1/records/"+entity)["records"].([]any)
		for _, r := range recs {
			m := r.(map[string]any)
			if entity == "service" {
				m["provider_id"] = m["provider"]
			}
		}
		snap[coll] = recs
	}
	data, err := json.Marshal(snap)
	require.NoError(t, err)
	path := filepath.Join(dir, "now.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	cmd := exec.Command(binary, "workflows", "--snapshot", path, "--class", "confidential", "--tags", "navigation",
		"--steps", "traffic,blackspots,roadblocks,routing", "--limit", "3")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Logf("pvsc workflows on %s:\n%s", p.api, out)
	return string(out)
}

// listedPaths are the path lines of pvsc workflows' output ("  1. cost 14  a@p -> ...").
func listedPaths(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 2 && strings.HasSuffix(f[0], ".") && f[1] == "cost" {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func readLog(t *testing.T, p *proc) string {
	t.Helper()
	b, err := os.ReadFile(p.log)
	require.NoError(t, err)
	return string(b)
}
