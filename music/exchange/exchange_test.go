package exchange

import (
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/music/paths"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/findings"
	"pvsc.dev/pvsc/server/idmef"
	music "pvsc.dev/pvsc/specs/music"
)

// cloud is a receiving cloud: the music engine on the navigation community, behind a feed
// pipeline as pvsc serve has it.
func cloud(t *testing.T) *feed.Pipeline {
	t.Helper()
	e, err := runtime.New(music.Spec, nil, runtime.Options{Audit: true})
	require.NoError(t, err)
	p := feed.New(feed.Config{Engine: e})
	data, err := os.ReadFile("../../cmd/pvsc/testdata/workflows/community.json")
	require.NoError(t, err)
	_, err = p.Load("community.json", data)
	require.NoError(t, err)
	return p
}

// reputationHeavy is a rule under which one member's zero rating costs a level (under the
// default rule ratings only tip the balance).
func reputationHeavy() trust.Config {
	c := trust.Default()
	c.ExperienceWeight, c.ReputationWeight = 0.3, 0.7
	return c
}

func receiver(t *testing.T, p *feed.Pipeline) *Receiver {
	t.Helper()
	r, err := NewReceiver(ReceiveConfig{Self: "nav-corp", Trust: reputationHeavy(), Log: slog.New(slog.DiscardHandler)}, p)
	require.NoError(t, err)
	return r
}

// violation is road-authority's data_placement finding: its confidential blackspots stored
// at cloud-edge after cloud-edge's trust fell there.
func violation() idmef.Alert {
	f := findings.Finding{FirstSeen: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), Violation: runtime.Violation{
		Property: "data_placement", Scope: "blackspots", Reason: "data_placement: blackspots (confidential) at cloud-edge (internal)",
		Records: []runtime.ViolationRecord{{Entity: "data_object", ID: "blackspots", Attrs: map[string]string{"location": `"cloud-edge"`, "class": "confidential"}}}}}
	return findingAlert(&f, "data only on providers whose level reaches its class")
}

func encode(t *testing.T, format string, a idmef.Alert) []byte {
	t.Helper()
	p, err := NewPublisher(PublishConfig{URL: "amqp://unused", Origin: "road-authority", Format: format}, nil)
	require.NoError(t, err)
	b, _, err := p.encode(a)
	require.NoError(t, err)
	return b
}

func trustOf(t *testing.T, e *runtime.Engine, provider string) string {
	t.Helper()
	recs, err := e.Records("provider")
	require.NoError(t, err)
	for _, r := range recs {
		if r["id"] == provider {
			return levelString(r["trust"])
		}
	}
	t.Fatalf("no provider %s", provider)
	return ""
}

// routes are the providers of the route plan's admissible paths.
func routes(t *testing.T, e *runtime.Engine) []string {
	t.Helper()
	c, err := paths.FromEngine(e)
	require.NoError(t, err)
	d, err := paths.DataFromEngine(e, "route-plan")
	require.NoError(t, err)
	res := paths.Admissible(c, paths.Workflow{Data: d, Steps: []string{"traffic", "blackspots", "roadblocks", "routing"}}, 100)
	var out []string
	for _, p := range res.Paths {
		var provs []string
		for _, s := range p.Steps {
			provs = append(provs, s.Provider)
		}
		out = append(out, strings.Join(provs, ","))
	}
	return out
}

func TestFindingAlertNamesProviderAndData(t *testing.T) {
	a := violation()
	assert.Equal(t, "cloud-edge", a.Params["provider_id"])
	assert.Equal(t, "blackspots", a.Params["data_id"])
}

// TestAlertLowersTrustAndPaths: a violation reported by another cloud is a zero rating from
// it; the manager lowers cloud-edge below the route plan's class, the set_trust reaches the
// engine, and every admissible path through cloud-edge is gone.
func TestAlertLowersTrustAndPaths(t *testing.T) {
	for _, format := range []string{"xml", "json"} {
		t.Run(format, func(t *testing.T) {
			p := cloud(t)
			r := receiver(t, p)
			e := p.Engine()
			require.Equal(t, "confidential", trustOf(t, e, "cloud-edge"))
			before := routes(t, e)
			require.Contains(t, strings.Join(before, " "), "cloud-edge")

			require.NoError(t, r.Handle(encode(t, format, violation())))

			assert.Equal(t, "internal", trustOf(t, e, "cloud-edge"))
			after := routes(t, e)
			require.NotEmpty(t, after)
			assert.NotContains(t, strings.Join(after, " "), "cloud-edge")
			assert.Less(t, len(after), len(before))
			assert.Equal(t, Stats{Messages: 1, Alerts: 1, Ratings: 1, Changes: 1}, r.Stats())
		})
	}
}

// TestTheSameAlertTwiceCountsOnce: the same alert in the other form (a second link) or
// redelivered is a duplicate; the trust manager reads it once.
func TestTheSameAlertTwiceCountsOnce(t *testing.T) {
	p := cloud(t)
	r := receiver(t, p)
	require.NoError(t, r.Handle(encode(t, "xml", violation())))
	changes := p.Engine().Changes()
	require.NoError(t, r.Handle(encode(t, "json", violation())))
	require.NoError(t, r.Handle(encode(t, "xml", violation())))
	assert.Equal(t, changes, p.Engine().Changes(), "a duplicate changed the context")
	assert.Equal(t, 2, r.Stats().Duplicates)
	assert.Equal(t, "internal", trustOf(t, p.Engine(), "cloud-edge"))
}

// TestCorrelatedAcrossClouds: two clouds' alerts about the same data object at the same
// provider are one incident reported by both; each cloud rates once.
func TestCorrelatedAcrossClouds(t *testing.T) {
	p := cloud(t)
	r := receiver(t, p)
	require.NoError(t, r.Handle(encode(t, "xml", violation())))
	other := violation()
	other.Reason += " (seen by city-traffic)"
	doc, err := idmef.EncodeJSON(idmef.Analyzer{ID: "city-traffic", Name: "pvsc"}, other, "")
	require.NoError(t, err)
	require.NoError(t, r.Handle(doc))
	incs := r.Incidents()
	require.Len(t, incs, 1)
	assert.Equal(t, []string{"city-traffic", "road-authority"}, incs[0].Clouds)
	assert.Equal(t, "blackspots", incs[0].Data)
	assert.Equal(t, 2, incs[0].Alerts)
	assert.Equal(t, 2, r.Stats().Ratings)
	ratings, err := p.Engine().Records("rating")
	require.NoError(t, err)
	assert.Len(t, ratings, 2)
}

// TestMalformedChangesNothing: a broken document is an ErrMalformed naming the problem, and
// neither the context nor the manager moved.
func TestMalformedChangesNothing(t *testing.T) {
	p := cloud(t)
	r := receiver(t, p)
	changes := p.Engine().Changes()
	good := encode(t, "xml", violation())
	for _, doc := range [][]byte{good[:len(good)/3], []byte(`{"Version":"2.D.V04"}`), []byte("not an alert")} {
		err := r.Handle(doc)
		require.ErrorIs(t, err, idmef.ErrMalformed)
	}
	assert.Equal(t, changes, p.Engine().Changes())
	assert.Equal(t, 3, r.Stats().Malformed)
	assert.Equal(t, "confidential", trustOf(t, p.Engine(), "cloud-edge"))
}

// TestRefusedRater: the rating of a rater that is no organisation of this community is
// ErrRefused, for the dead-letter queue, and nothing changed; once it is a member its next
// alert counts.
func TestRefusedRater(t *testing.T) {
	p := cloud(t)
	r := receiver(t, p)
	doc, err := idmef.EncodeJSON(idmef.Analyzer{ID: "stranger", Name: "pvsc"}, violation(), "")
	require.NoError(t, err)
	err = r.Handle(doc)
	require.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, err.Error(), "stranger")
	assert.Equal(t, "confidential", trustOf(t, p.Engine(), "cloud-edge"))

	// once it joins the community, its next alert is a member's word
	out, err := p.Apply("join", []byte(`{"op":"join_community","params":{"organisation_id":"stranger","community_id":"icc"}}`))
	require.NoError(t, err)
	require.Equal(t, feed.Applied, out)
	later := violation()
	later.Reason += " (again)"
	doc, err = idmef.EncodeJSON(idmef.Analyzer{ID: "stranger", Name: "pvsc"}, later, "")
	require.NoError(t, err)
	require.NoError(t, r.Handle(doc))
	assert.Equal(t, "internal", trustOf(t, p.Engine(), "cloud-edge"))
}

func TestIgnored(t *testing.T) {
	p := cloud(t)
	r := receiver(t, p)
	own, err := idmef.EncodeJSON(idmef.Analyzer{ID: "nav-corp", Name: "pvsc"}, violation(), "")
	require.NoError(t, err)
	unknown := violation()
	unknown.Params["provider_id"] = "cloud-elsewhere"
	info := violation()
	info.Verdict = "log"
	for _, doc := range [][]byte{own, encode(t, "xml", unknown), encode(t, "json", info)} {
		require.NoError(t, r.Handle(doc))
	}
	assert.Equal(t, 3, r.Stats().Ignored)
	assert.Equal(t, 0, r.Stats().Ratings)
}

// TestTrustAlertScores: a trust change is rated at the new level's share of the scale.
func TestTrustAlertScores(t *testing.T) {
	for to, want := range map[string]int64{"public": 0, "internal": 2, "confidential": 3, "secret": 5} {
		rep, ok := ReportOf(idmef.Received{ID: "x", Analyzer: idmef.Analyzer{ID: "a"}, Alert: trustAlert("p", "secret", to, time.Now())}, 5)
		require.True(t, ok)
		assert.Equal(t, want, rep.Score, to)
	}
	assert.Equal(t, "log", trustAlert("p", "internal", "secret", time.Now()).Verdict)
	assert.Equal(t, "alert", trustAlert("p", "secret", "internal", time.Now()).Verdict)
}

// TestPublisherSeesTrustChangesAndFindings: the first look notes the levels; a set_trust
// applied afterwards is one trust alert, and a finding is published once while it stays open.
func TestPublisherSeesTrustChangesAndFindings(t *testing.T) {
	p := cloud(t)
	src := &fakeSource{Pipeline: p}
	pub, err := NewPublisher(PublishConfig{URL: "amqp://127.0.0.1:1/none", Origin: "road-authority", Log: slog.New(slog.DiscardHandler)}, src)
	require.NoError(t, err)
	require.NoError(t, pub.Collect())
	assert.Equal(t, 0, pub.Pending())
	out, err := p.Apply("m1", []byte(`{"event_type":"music.trust.changed","payload":{"provider_id":"cloud-edge","trust":"internal"}}`))
	require.NoError(t, err)
	require.Equal(t, feed.Applied, out)
	src.open = []findings.Finding{{Violation: runtime.Violation{Property: "data_placement", Records: []runtime.ViolationRecord{{Entity: "data_object", ID: "blackspots"}}}}}
	require.NoError(t, pub.Collect())
	require.NoError(t, pub.Collect())
	require.Equal(t, 2, pub.Pending())
	assert.Equal(t, TrustProperty, pub.pending[0].Property)
	assert.Equal(t, "provider cloud-edge: trust confidential -> internal", pub.pending[0].Reason)
	assert.Equal(t, "data_placement", pub.pending[1].Property)
	// no broker: the alerts stay queued
	pub.Flush(t.Context())
	assert.Equal(t, 2, pub.Pending())
}

type fakeSource struct {
	*feed.Pipeline
	open []findings.Finding
}

func (f *fakeSource) Findings(string, string) []findings.Finding { return f.open }

// failingSink refuses to journal the first n operations, as a full disk would.
type failingSink struct {
	*feed.Pipeline
	n int
}

func (f *failingSink) Apply(msgID string, data []byte) (feed.Outcome, error) {
	if f.n > 0 {
		f.n--
		return feed.Applied, &feed.FatalError{Err: errors.New("disk full")}
	}
	return f.Pipeline.Apply(msgID, data)
}

// TestRedeliveryAfterAJournalFailure: an alert whose rating the journal refused is tried
// again when the broker redelivers it, and then lowers the trust.
func TestRedeliveryAfterAJournalFailure(t *testing.T) {
	p := cloud(t)
	sink := &failingSink{Pipeline: p}
	r, err := NewReceiver(ReceiveConfig{Self: "nav-corp", Trust: reputationHeavy(), Log: slog.New(slog.DiscardHandler)}, sink)
	require.NoError(t, err)
	sink.n = 1
	doc := encode(t, "xml", violation())
	err = r.Handle(doc)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrRefused, "a journal failure is retried, not dead-lettered")
	assert.NotErrorIs(t, err, idmef.ErrMalformed)
	require.NoError(t, r.Handle(doc))
	assert.Equal(t, "internal", trustOf(t, p.Engine(), "cloud-edge"))
	assert.Equal(t, 0, r.Stats().Duplicates)
}

// TestDerivedChangesAreNotSentOn: a cloud that lowered a provider because of another cloud's
// alert does not publish that change as its own (it would come back as one more rating); a
// change of its own to another level is published.
func TestDerivedChangesAreNotSentOn(t *testing.T) {
	p := cloud(t)
	r := receiver(t, p)
	pub, err := NewPublisher(PublishConfig{URL: "amqp://127.0.0.1:1/none", Origin: "nav-corp", Log: slog.New(slog.DiscardHandler)}, &fakeSource{Pipeline: p})
	require.NoError(t, err)
	pub.SkipDerived(r.Derived)
	require.NoError(t, pub.Collect())
	require.NoError(t, r.Handle(encode(t, "xml", violation())))
	require.Equal(t, "internal", trustOf(t, p.Engine(), "cloud-edge"))
	require.NoError(t, pub.Collect())
	assert.Equal(t, 0, pub.Pending(), "the alert-caused drop was sent on")

	_, err = p.Apply("own", []byte(`{"event_type":"music.trust.changed","payload":{"provider_id":"cloud-edge","trust":"public"}}`))
	require.NoError(t, err)
	require.NoError(t, pub.Collect())
	require.Equal(t, 1, pub.Pending())
	assert.Equal(t, "provider cloud-edge: trust internal -> public", pub.pending[0].Reason)
}

// TestMetricsCountWhatBecameOfAlerts: the node's /metrics says what the receiver did.
func TestMetricsCountWhatBecameOfAlerts(t *testing.T) {
	p := cloud(t)
	r := receiver(t, p)
	reg := prometheus.NewRegistry()
	require.NoError(t, register(reg, r, nil))
	require.NoError(t, r.Handle(encode(t, "xml", violation())))
	require.ErrorIs(t, r.Handle([]byte("<nope")), idmef.ErrMalformed)
	require.NoError(t, r.Handle(encode(t, "json", violation())))
	got := map[string]float64{}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "/" + l.GetValue()
			}
			got[name] = m.GetCounter().GetValue()
		}
	}
	assert.Equal(t, map[string]float64{"pvsc_alerts_in_total/rated": 1, "pvsc_alerts_in_total/duplicate": 1, "pvsc_alerts_in_total/ignored": 0,
		"pvsc_alerts_in_total/malformed": 1, "pvsc_alerts_in_total/refused": 0, "pvsc_alerts_trust_changes_total": 1}, got)
}

// TestPeersNameTheirOrganisation: with --alerts-peers an alert must come through the link of
// the organisation it names.
func TestPeersNameTheirOrganisation(t *testing.T) {
	p := cloud(t)
	r, err := NewReceiver(ReceiveConfig{Self: "nav-corp", Trust: reputationHeavy(), Log: slog.New(slog.DiscardHandler),
		Peers: map[string]string{"music-a": "road-authority", "music-c": "city-traffic"}}, p)
	require.NoError(t, err)
	doc := encode(t, "xml", violation())
	for via, want := range map[string]string{"music-c": `came through "city-traffic"'s link`, "music-x": "no peer's link", "": "no peer's link"} {
		err := r.HandleFrom(doc, via)
		require.ErrorIs(t, err, ErrRefused, via)
		assert.Contains(t, err.Error(), want)
	}
	assert.Equal(t, "confidential", trustOf(t, p.Engine(), "cloud-edge"))
	require.NoError(t, r.HandleFrom(doc, "music-a"))
	assert.Equal(t, "internal", trustOf(t, p.Engine(), "cloud-edge"))
}

// The receiver's trust level manager judges measurements by the spec's metric definitions
// (specs/music/metrics.pvsc), as pvsc trust's does.
func TestReceiverKnowsTheSpecsMetrics(t *testing.T) {
	r := receiver(t, cloud(t))
	assert.Equal(t, trust.Definitions(r.sink.Engine().Spec()), r.mgr.Metrics())
	assert.Contains(t, r.mgr.Metrics(), "patch_latency_days")
}
