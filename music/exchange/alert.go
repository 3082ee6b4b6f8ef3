package exchange

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/server/findings"
	"pvsc.dev/pvsc/server/idmef"
)

// TrustProperty is the property name a trust change travels under: the trust level
// manager's output is not a property of the spec, but receivers read it as one.
const TrustProperty = "trust_level"

// trustAlert is a provider's level change as an alert: a drop is an alert, a rise a log entry.
func trustAlert(provider, from, to string, at time.Time) idmef.Alert {
	verdict := "alert"
	if lf, lt := parseLevel(from), parseLevel(to); lf >= 0 && lt > lf {
		verdict = "log"
	}
	return idmef.Alert{Time: at, Property: TrustProperty, Title: "trust level changed", Event: "set_trust",
		Operation: "music.trust.changed", Scope: provider, Verdict: verdict,
		Reason: fmt.Sprintf("provider %s: trust %s -> %s", provider, from, to),
		Params: map[string]string{"provider_id": provider, "from": from, "to": to}}
}

// findingAlert is an open finding as an alert, naming the provider and data object its
// records involve so that receivers can correlate it.
func findingAlert(f *findings.Finding, doc string) idmef.Alert {
	a := f.IDMEF(doc)
	if a.Params == nil {
		a.Params = map[string]string{}
	}
	prov, data := involved(f)
	if prov != "" {
		a.Params["provider_id"] = prov
	}
	if data != "" {
		a.Params["data_id"] = data
	}
	return a
}

// involved reads the provider and the data object off a violation's records: a record of
// that entity, or the attribute that points at one (a data object's location, a step's
// provider).
func involved(f *findings.Finding) (provider, data string) {
	for _, r := range f.Records {
		switch r.Entity {
		case "provider":
			provider = first(provider, r.ID)
		case "data_object":
			data = first(data, r.ID)
			provider = first(provider, unquote(r.Attrs["location"]))
		default:
			provider = first(provider, unquote(r.Attrs["provider"]))
			data = first(data, unquote(r.Attrs["data"]))
		}
	}
	return provider, data
}

func first(have, v string) string {
	if have != "" {
		return have
	}
	return v
}

// unquote takes a string attribute as the audit prints it (quoted) or bare.
func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

func parseLevel(s string) trust.Level {
	l, err := trust.ParseLevel(s)
	if err != nil {
		return -1
	}
	return l
}

// Report is what a received alert says about a provider: who reported it, about which data
// object, and the rating it is worth.
type Report struct {
	Origin   string // the reporting cloud (the analyzer's id: its organisation)
	ID       string // the alert's message id
	Provider string
	Data     string // "" for an alert about the provider alone (a trust change)
	Property string
	Score    int64 // 0..max rating
	Time     time.Time
}

// ReportOf reads a received alert. An alert that names no provider, or is only
// informational (a log entry other than a trust change), is no reputation input: ok false.
func ReportOf(r idmef.Received, maxRating int) (rep Report, ok bool) {
	a := r.Alert
	rep = Report{Origin: r.Analyzer.ID, ID: r.ID, Property: a.Property, Time: a.Time,
		Provider: firstParam(a.Params, "provider_id", "provider", "location"), Data: firstParam(a.Params, "data_id", "data")}
	if rep.Data == "" && a.Params["entity"] == "data_object" {
		rep.Data = a.Params["id"]
	}
	if rep.Provider == "" {
		return rep, false
	}
	if a.Property == TrustProperty {
		l := parseLevel(a.Params["to"])
		if l < 0 {
			return rep, false
		}
		// a provider held at level l is rated at its share of the scale: secret the top
		rep.Score = (int64(l)*int64(maxRating) + int64(trust.Secret)/2) / int64(trust.Secret)
		return rep, true
	}
	return rep, a.Verdict == "deny" || a.Verdict == "alert"
}

func firstParam(p map[string]string, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(p[n]); v != "" {
			return unquote(v)
		}
	}
	return ""
}
