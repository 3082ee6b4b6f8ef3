package exchange

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/findings"
	"pvsc.dev/pvsc/server/idmef"
)

// Source is what the publisher reads: the node's engine (the trust the model holds) and its
// open findings.
type Source interface {
	Engine() *runtime.Engine
	Findings(property, scope string) []findings.Finding
}

// PublishConfig says where a cloud's alerts go.
type PublishConfig struct {
	URL      string // the cloud's own vhost, e.g. amqp://music-a:music-a@127.0.0.1:5672/music-a
	Exchange string // default pvsc.alerts
	Origin   string // our organisation, the analyzer id receivers rate under; required
	Format   string // xml (RFC 4765, default) or json (IDMEFv2)
	Every    time.Duration
	Log      *slog.Logger
}

// DefaultExchange and DefaultInExchange are music-link.sh's exchanges.
const (
	DefaultExchange   = "pvsc.alerts"
	DefaultInExchange = "pvsc.alerts.in"
)

// Publisher watches a node from the side and publishes each trust change and each finding
// that opens: it reads the engine's records and the findings set between decisions, so the
// decision path never waits for the broker. An alert that cannot be published stays queued
// (in memory) and is sent once the broker is back.
type Publisher struct {
	cfg     PublishConfig
	src     Source
	an      idmef.Analyzer
	levels  map[string]string // provider → the trust last seen; nil until the first look
	sent    map[string]bool   // open findings already published
	changes int64
	pending []idmef.Alert
	conn    *amqp.Connection
	ch      *amqp.Channel
	// derived, when set, names the trust changes our receiver made from other clouds' alerts:
	// they are not sent on.
	derived func(provider, level string) bool
	// for /metrics, read on another goroutine
	nPending, nPublished atomic.Int64
}

// maxPending bounds the alerts kept while the broker is away; past it the oldest go (logged).
const maxPending = 10000

// NewPublisher checks the config.
func NewPublisher(cfg PublishConfig, src Source) (*Publisher, error) {
	if cfg.URL == "" || cfg.Origin == "" {
		return nil, fmt.Errorf("alerts out: a broker URL and our organisation (--alerts-org) are required")
	}
	if cfg.Format == "" {
		cfg.Format = "xml"
	}
	if cfg.Format != "xml" && cfg.Format != "json" {
		return nil, fmt.Errorf("alerts out: format %q (want xml or json)", cfg.Format)
	}
	cfg.Exchange = first(cfg.Exchange, DefaultExchange)
	if cfg.Every <= 0 {
		cfg.Every = 250 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Publisher{cfg: cfg, src: src, an: idmef.Analyzer{ID: cfg.Origin, Name: "pvsc", Version: "serve"},
		sent: map[string]bool{}, changes: -1}, nil
}

// Run looks and publishes until ctx ends.
func (p *Publisher) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.Every)
	defer t.Stop()
	defer p.close()
	for {
		if err := p.Collect(); err != nil {
			p.cfg.Log.Error("alerts out: reading the node", "err", err)
		}
		p.Flush(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Collect queues an alert for every provider whose trust changed since the last look (the
// first look only notes the levels) and for every finding opened since.
func (p *Publisher) Collect() error {
	if c := p.src.Engine().Changes(); c != p.changes {
		if err := p.trustChanges(); err != nil {
			return err
		}
		p.changes = c
	}
	p.openedFindings()
	return nil
}

func (p *Publisher) trustChanges() error {
	recs, err := p.src.Engine().Records("provider")
	if err != nil {
		return err
	}
	now := make(map[string]string, len(recs))
	for _, r := range recs {
		id, _ := r["id"].(string)
		now[id] = levelString(r["trust"])
	}
	for _, id := range sortedKeys(now) {
		old, ok := p.levels[id]
		switch {
		case !ok || old == now[id]:
		case p.derived != nil && p.derived(id, now[id]):
			p.cfg.Log.Info("alerts out: not sending on a change other clouds' alerts made", "provider", id, "from", old, "to", now[id])
		default:
			p.queue(trustAlert(id, old, now[id], time.Now().UTC()))
		}
	}
	p.levels = now
	return nil
}

func (p *Publisher) openedFindings() {
	open := map[string]bool{}
	for _, f := range p.src.Findings("", "") {
		k := findingKey(&f)
		open[k] = true
		if !p.sent[k] {
			p.queue(findingAlert(&f, p.doc(f.Property)))
		}
	}
	p.sent = open // a finding resolved and opened again is published again
}

func (p *Publisher) doc(property string) string {
	if pr := p.src.Engine().Spec().Property(property); pr != nil {
		return pr.Doc
	}
	return ""
}

func (p *Publisher) queue(a idmef.Alert) {
	if len(p.pending) >= maxPending {
		p.cfg.Log.Warn("alerts out: the broker is away too long; dropping the oldest alert", "property", p.pending[0].Property, "scope", p.pending[0].Scope)
		p.pending = p.pending[1:]
	}
	p.pending = append(p.pending, a)
	p.nPending.Store(int64(len(p.pending)))
}

// Flush publishes the queued alerts in order, each confirmed by the broker; the first that
// fails stays queued with those after it.
func (p *Publisher) Flush(ctx context.Context) {
	for len(p.pending) > 0 {
		if err := p.publish(ctx, p.pending[0]); err != nil {
			p.cfg.Log.Warn("alerts out: publish failed; retrying", "err", err, "queued", len(p.pending))
			p.close()
			return
		}
		p.pending = p.pending[1:]
		p.nPending.Store(int64(len(p.pending)))
		p.nPublished.Add(1)
	}
}

func (p *Publisher) publish(ctx context.Context, a idmef.Alert) error {
	if err := p.connect(); err != nil {
		return err
	}
	body, ctype, err := p.encode(a)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	dc, err := p.ch.PublishWithDeferredConfirmWithContext(ctx, p.cfg.Exchange, "alert."+a.Property, true, false, amqp.Publishing{
		ContentType: ctype, DeliveryMode: amqp.Persistent, MessageId: idmef.MessageID(a), AppId: p.an.ID, Timestamp: a.Time, Body: body})
	if err != nil {
		return err
	}
	ok, err := dc.WaitContext(ctx)
	if err == nil && !ok {
		err = fmt.Errorf("the broker refused alert %s", idmef.MessageID(a))
	}
	if err == nil {
		p.cfg.Log.Info("alert published", "property", a.Property, "scope", a.Scope, "provider", a.Params["provider_id"], "format", p.cfg.Format)
	}
	return err
}

func (p *Publisher) encode(a idmef.Alert) ([]byte, string, error) {
	if p.cfg.Format == "json" {
		b, err := idmef.EncodeJSON(p.an, a, "")
		return b, "application/json", err
	}
	b, err := idmef.Document(p.an, []idmef.Alert{a})
	return b, "application/xml", err
}

// connect opens a confirming channel and declares the exchange as music-link.sh does.
func (p *Publisher) connect() error {
	if p.ch != nil && !p.ch.IsClosed() {
		return nil
	}
	p.close()
	conn, err := amqp.DialConfig(p.cfg.URL, amqp.Config{Heartbeat: 10 * time.Second, Dial: amqp.DefaultDial(10 * time.Second),
		Properties: amqp.Table{"connection_name": "pvsc alerts out " + p.cfg.Origin}})
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err == nil {
		err = ch.ExchangeDeclare(p.cfg.Exchange, amqp.ExchangeTopic, true, false, false, false, nil)
	}
	if err != nil {
		conn.Close()
		return err
	}
	p.conn, p.ch = conn, ch
	return nil
}

func (p *Publisher) close() {
	if p.conn != nil {
		_ = p.conn.Close()
	}
	p.conn, p.ch = nil, nil
}

// SkipDerived makes the publisher leave out the trust changes derived says our receiver made.
func (p *Publisher) SkipDerived(derived func(provider, level string) bool) { p.derived = derived }

// Pending is how many alerts wait for the broker.
func (p *Publisher) Pending() int { return len(p.pending) }

func (p *Publisher) pendingNow() int64   { return p.nPending.Load() }
func (p *Publisher) publishedNow() int64 { return p.nPublished.Load() }

func findingKey(f *findings.Finding) string {
	var b strings.Builder
	b.WriteString(f.Property)
	for _, r := range f.Records {
		fmt.Fprintf(&b, "\x00%s:%s", r.Entity, r.ID)
	}
	return b.String()
}

// levelString is a trust attribute as the records give it (its name, or its rank).
func levelString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return trust.Level(x).String()
	}
	return fmt.Sprint(v)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
