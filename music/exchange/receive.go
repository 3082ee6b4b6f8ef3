package exchange

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"pvsc.dev/pvsc/music/neutral"
	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/server/idmef"
)

// Sink is where the receiver's operations go: the node's feed pipeline, which applies each
// one and journals it before it returns (deduplicated by message id).
type Sink interface {
	Engine() *runtime.Engine
	Apply(msgID string, data []byte) (feed.Outcome, error)
}

// ReceiveConfig says where a cloud's incoming alerts come from and how its manager rates.
type ReceiveConfig struct {
	URL      string // the cloud's own vhost
	Exchange string // default pvsc.alerts.in (what the links deliver to)
	Queue    string // our durable queue; default pvsc.alerts.in, which music-link.sh declares so that nothing sent before we first start is lost
	Self     string // our organisation: alerts from ourselves are not rated
	Trust    trust.Config
	Window   time.Duration // the correlation window (NewCorrelator)
	// Peers, when set, names the organisation each link speaks for (the vhost a shovel moved
	// the alert from → organisation): an alert whose analyzer claims another is refused, so
	// that one cloud cannot rate under another's name.
	Peers map[string]string
	Log   *slog.Logger
}

// ErrRefused marks an alert that decoded but that this cloud will never act on: the rating
// it gives is refused by the model (a rater that is no organisation of our community). The
// consumer dead-letters it.
var ErrRefused = errors.New("alert refused")

// Receiver turns received alerts into reputation input: each decoded alert is deduplicated,
// correlated with the other clouds' alerts about the same provider and data object, and the
// rating it is worth is applied as a rate_provider operation (journaled); the trust level
// manager reads it, and each change of level is applied as a set_trust (journaled too), so
// the engine's watchlists and the admissible paths follow before the next operation.
type Receiver struct {
	cfg  ReceiveConfig
	sink Sink
	mgr  *trust.Manager
	corr *Correlator

	mu      sync.Mutex // guards stats, corr and derived against readers on other goroutines
	stats   Stats
	derived map[string]string // provider → the level our last alert-caused change set
}

// Stats count what the receiver did with each alert.
type Stats struct {
	Messages   int `json:"messages"`
	Alerts     int `json:"alerts"`
	Malformed  int `json:"malformed"`
	Refused    int `json:"refused"`
	Duplicates int `json:"duplicates"`
	Ignored    int `json:"ignored"` // ours, about no provider we know, or informational
	Ratings    int `json:"ratings"`
	Changes    int `json:"trust_changes"`
}

// NewReceiver makes a receiver whose trust level manager starts from what the engine holds:
// its providers at their current level, their services and steps (seed).
func NewReceiver(cfg ReceiveConfig, sink Sink) (*Receiver, error) {
	if cfg.Trust == (trust.Config{}) {
		cfg.Trust = trust.Default()
	}
	m, err := trust.New(cfg.Trust)
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Exchange = first(cfg.Exchange, DefaultInExchange)
	cfg.Queue = first(cfg.Queue, DefaultInExchange)
	// The spec's metric definitions judge any measurement the manager reads, as in pvsc trust.
	if err := m.Define(trust.Definitions(sink.Engine().Spec())); err != nil {
		return nil, err
	}
	r := &Receiver{cfg: cfg, sink: sink, mgr: m, corr: NewCorrelator(cfg.Window), derived: map[string]string{}}
	if err := r.seed(); err != nil {
		return nil, fmt.Errorf("alerts in: the trust level manager's start (it needs the music model, specs/music): %w", err)
	}
	return r, nil
}

// Handle processes one message: nil when it is done with (acted on, or nothing to do); an
// error wrapping idmef.ErrMalformed or ErrRefused when it never can be (dead-letter it); any
// other error when it should be tried again (the journal could not be written).
func (r *Receiver) Handle(body []byte) error { return r.HandleFrom(body, "") }

// HandleFrom is Handle for a message a link moved from the vhost via ("" when it was
// published here).
func (r *Receiver) HandleFrom(body []byte, via string) error {
	r.count(func(s *Stats) { s.Messages++ })
	alerts, err := idmef.Decode(body)
	if err != nil {
		r.count(func(s *Stats) { s.Malformed++ })
		return err
	}
	for _, a := range alerts {
		if err := r.peer(a, via); err != nil {
			r.count(func(s *Stats) { s.Refused++ })
			return err
		}
		if err := r.accept(a); err != nil {
			return err
		}
	}
	return nil
}

// peer refuses an alert that did not come through the link of the organisation it names.
func (r *Receiver) peer(a idmef.Received, via string) error {
	if len(r.cfg.Peers) == 0 {
		return nil
	}
	org, ok := r.cfg.Peers[via]
	switch {
	case !ok:
		return fmt.Errorf("%w: an alert of %q came from vhost %q, which is no peer's link", ErrRefused, a.Analyzer.ID, via)
	case org != a.Analyzer.ID:
		return fmt.Errorf("%w: an alert claims to be %q's but came through %q's link (vhost %s)", ErrRefused, a.Analyzer.ID, org, via)
	}
	return nil
}

// accept acts on one alert. An alert of a multi-alert message that was acted on before a
// later one failed is a duplicate when the message comes again.
func (r *Receiver) accept(a idmef.Received) error {
	r.count(func(s *Stats) { s.Alerts++ })
	rep, ok := ReportOf(a, r.cfg.Trust.MaxRating)
	_, known := r.mgr.Status(rep.Provider)
	if !ok || !known || a.Analyzer.ID == r.cfg.Self {
		r.count(func(s *Stats) { s.Ignored++ })
		r.cfg.Log.Info("alert ignored", "from", a.Analyzer.ID, "property", a.Alert.Property, "provider", rep.Provider,
			"why", ignoredWhy(ok, known, a.Analyzer.ID == r.cfg.Self))
		return nil
	}
	r.mu.Lock()
	inc, rating, dup := r.corr.Add(rep)
	r.mu.Unlock()
	if dup {
		r.count(func(s *Stats) { s.Duplicates++ })
		return nil
	}
	r.cfg.Log.Info("alert received", "from", rep.Origin, "property", rep.Property, "provider", rep.Provider, "data", rep.Data,
		"format", a.Format, "incident_clouds", inc.Clouds, "incident_alerts", inc.Alerts)
	if rating == nil {
		return nil
	}
	err := r.rate(rep, *rating)
	if err != nil {
		// not rated: a redelivery is read as new, and a refused rater's later alerts rate once
		// it is a member
		r.mu.Lock()
		r.corr.Forget(rep)
		r.mu.Unlock()
	}
	return err
}

func ignoredWhy(report, known, ours bool) string {
	switch {
	case ours:
		return "our own alert"
	case !report:
		return "no provider, or informational"
	case !known:
		return "a provider this cloud does not know"
	}
	return ""
}

// rate applies the rating as a journaled rate_provider, hands it to the manager and applies
// the manager's changes as journaled set_trust facts.
func (r *Receiver) rate(rep Report, rt Rating) error {
	if err := r.member(rt.Rater); err != nil {
		r.count(func(s *Stats) { s.Refused++ })
		return err
	}
	msgID := "idmef:" + rep.Origin + ":" + rep.ID
	op := map[string]any{"event_type": "music.provider.rated", "message_id": msgID,
		"payload": map[string]any{"provider_id": rt.Provider, "rater": rt.Rater, "score": rt.Score}}
	out, err := r.apply(msgID, op)
	switch {
	case out == feed.Rejected:
		r.count(func(s *Stats) { s.Refused++ })
		return fmt.Errorf("%w: rating %s %d by %s: %v", ErrRefused, rt.Provider, rt.Score, rt.Rater, err)
	case err != nil:
		return err
	case out == feed.Duplicate:
		return nil // journaled by an earlier run: the level held carries it
	}
	r.count(func(s *Stats) { s.Ratings++ })
	changes, err := r.mgr.Observe(neutral.Op{Event: "rate_provider", Params: map[string]any{"provider_id": rt.Provider, "rater": rt.Rater, "score": rt.Score}})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRefused, err)
	}
	for _, c := range changes {
		if err := r.change(msgID, c); err != nil {
			return err
		}
	}
	return nil
}

// member refuses a rater that is no organisation of the community: the model would take its
// rating, but reputation is what the community's members say.
func (r *Receiver) member(org string) error {
	recs, err := r.sink.Engine().Records("organisation")
	if err != nil {
		return err
	}
	for _, o := range recs {
		if o["id"] == org {
			return nil
		}
	}
	return fmt.Errorf("%w: %q is no organisation of this community: its alerts are no reputation input", ErrRefused, org)
}

func (r *Receiver) change(cause string, c trust.Change) error {
	msgID := cause + ":trust:" + c.Provider + ":" + c.To.String()
	if cause != "seed" {
		r.mu.Lock()
		r.derived[c.Provider] = c.To.String() // before the engine holds it: the publisher may look at once
		r.mu.Unlock()
	}
	n := c.Notification()
	n["message_id"] = msgID
	out, err := r.apply(msgID, n)
	if out == feed.Rejected {
		return fmt.Errorf("%w: the manager's set_trust of %s: %v", ErrRefused, c.Provider, err)
	}
	if err != nil {
		return err
	}
	if cause == "seed" {
		r.cfg.Log.Info("trust level manager: start", "provider", c.Provider, "from", c.From.String(), "to", c.To.String(), "cause", c.Cause)
		return nil
	}
	r.count(func(s *Stats) { s.Changes++ })
	r.cfg.Log.Warn("trust changed by an alert", "provider", c.Provider, "from", c.From.String(), "to", c.To.String(), "cause", c.Cause)
	return nil
}

func (r *Receiver) apply(msgID string, op map[string]any) (feed.Outcome, error) {
	data, err := json.Marshal(op)
	if err != nil {
		return feed.Rejected, err
	}
	return r.sink.Apply(msgID, data)
}

func (r *Receiver) count(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// Derived says whether a provider's level is the one our last alert-caused change set: the
// publisher does not send such a change on, since it is the other clouds' word, not ours (sent
// on, it would come back to its source as one more member's rating).
func (r *Receiver) Derived(provider, level string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.derived[provider] == level
}

// Stats are the counts so far.
func (r *Receiver) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Incidents are the correlated incidents so far.
func (r *Receiver) Incidents() []Incident {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.corr.Incidents()
}
