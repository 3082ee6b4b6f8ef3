package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"pvsc.dev/pvsc/music/trust"
)

// Node is what the exchange needs of a pvsc node: its engine and findings to publish from,
// and its pipeline to apply (and journal) what it receives.
type Node interface {
	Source
	Sink
}

// Flags are pvsc serve's alert-exchange flags.
type Flags struct {
	Out, In, Org, Format, Queue, TrustConfig, Peers string
	Window                                          time.Duration
}

// Register adds the flags to serve's set.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Out, "alerts-out", "", "publish trust changes and opened findings as IDMEF alerts to this RabbitMQ URL (the cloud's vhost; scripts/openstack/music-link.sh links the clouds)")
	fs.StringVar(&f.In, "alerts-in", "", "consume the other clouds' IDMEF alerts from this RabbitMQ URL and rate their providers (needs the music spec)")
	fs.StringVar(&f.Org, "alerts-org", "", "the organisation this pvsc speaks for: the analyzer id of its alerts, the rater of the ratings others derive from them")
	fs.StringVar(&f.Format, "alerts-format", "xml", "alerts out as xml (IDMEF, RFC 4765) or json (the IDMEFv2 draft); both are read in")
	fs.StringVar(&f.Queue, "alerts-queue", DefaultInExchange, "our durable queue of incoming alerts (music-link.sh declares pvsc.alerts.in)")
	fs.StringVar(&f.TrustConfig, "alerts-trust-config", "", "JSON file of the trust rule's parameters for the ratings received (as pvsc trust --config)")
	fs.DurationVar(&f.Window, "alerts-window", time.Hour, "a cloud's rating of a provider is the worst it reported within this window")
	fs.StringVar(&f.Peers, "alerts-peers", "", "VHOST=ORG,...: the organisation each link speaks for; an alert claiming another is refused (empty: the alerts' own word)")
}

// Enabled says whether any alert exchange is asked for.
func (f *Flags) Enabled() bool { return f.Out != "" || f.In != "" }

// Start runs the publisher and the receiver the flags ask for beside the node until ctx ends;
// it fails at once on a bad configuration.
func (f *Flags) Start(ctx context.Context, n Node, logw io.Writer) error {
	log := slog.New(slog.NewTextHandler(logw, nil)).With("part", "alerts")
	var p *Publisher
	var r *Receiver
	var err error
	if f.Out != "" {
		if p, err = NewPublisher(PublishConfig{URL: f.Out, Origin: f.Org, Format: f.Format, Log: log}, n); err != nil {
			return err
		}
	}
	if f.In != "" {
		if r, err = f.receiver(n, log); err != nil {
			return err
		}
		go func() {
			if err := r.Run(ctx); err != nil {
				log.Error("alerts in: stopped", "err", err)
			}
		}()
	}
	if reg, ok := n.(interface{ Registry() *prometheus.Registry }); ok {
		if err := register(reg.Registry(), r, p); err != nil {
			return err
		}
	}
	if p != nil {
		if r != nil {
			p.SkipDerived(r.Derived)
		}
		go func() { _ = p.Run(ctx) }()
	}
	return nil
}

func (f *Flags) receiver(n Node, log *slog.Logger) (*Receiver, error) {
	cfg, err := trustConfig(f.TrustConfig)
	if err != nil {
		return nil, err
	}
	peers, err := peerMap(f.Peers)
	if err != nil {
		return nil, err
	}
	return NewReceiver(ReceiveConfig{URL: f.In, Queue: f.Queue, Self: f.Org, Trust: cfg, Window: f.Window, Peers: peers, Log: log}, n)
}

func peerMap(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		vhost, org, ok := strings.Cut(kv, "=")
		if !ok || vhost == "" || org == "" {
			return nil, fmt.Errorf("--alerts-peers: %q: want VHOST=ORG", kv)
		}
		out[vhost] = org
	}
	return out, nil
}

// trustConfig is the default rule with the file's parameters over it; unknown names are an error.
func trustConfig(path string) (trust.Config, error) {
	cfg := trust.Default()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	if err := strictJSON(data, &cfg); err != nil {
		return cfg, fmt.Errorf("--alerts-trust-config %s: %w", path, err)
	}
	return cfg, cfg.Validate()
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
