// Package idmef writes pvsc's alerts as IDMEF messages (RFC 4765), the format MuSIC exchanges security alerts in.
package idmef

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"pvsc.dev/pvsc/runtime/replay"
)

// Namespace is IDMEF's XML namespace.
const Namespace = "http://iana.org/idmef"

// Alert is one violation or refused critical operation, independent of how the runtime reports it.
type Alert struct {
	Time      time.Time
	Property  string // the security property
	Doc       string // what the property says
	Event     string // the model event of the operation
	Operation string // the operation as received (e.g. "PUT /v2.0/ports/{id}" or the event)
	Scope     string // the scope id (tenant, domain, data object, ...)
	Verdict   string // deny, alert, log
	Blocked   bool   // the operation was refused
	Reason    string // what a person can act on
	Params    map[string]string
	// Title is the classification's text; empty: "<property> violation".
	Title string
}

func (a *Alert) title() string {
	if a.Title != "" {
		return a.Title
	}
	return a.Property + " violation"
}

// Analyzer identifies the reporting pvsc instance.
type Analyzer struct {
	ID      string
	Name    string
	Version string
}

type message struct {
	XMLName xml.Name `xml:"idmef:IDMEF-Message"`
	NS      string   `xml:"xmlns:idmef,attr"`
	Version string   `xml:"version,attr"`
	Alerts  []alert  `xml:"idmef:Alert"`
}

type alert struct {
	MessageID      string           `xml:"messageid,attr"`
	Analyzer       analyzer         `xml:"idmef:Analyzer"`
	CreateTime     createTime       `xml:"idmef:CreateTime"`
	Source         *source          `xml:"idmef:Source,omitempty"`
	Classification classification   `xml:"idmef:Classification"`
	Assessment     assessment       `xml:"idmef:Assessment"`
	AdditionalData []additionalData `xml:"idmef:AdditionalData"`
}

type analyzer struct {
	ID      string `xml:"analyzerid,attr"`
	Name    string `xml:"name,attr"`
	Class   string `xml:"class,attr"`
	Version string `xml:"version,attr,omitempty"`
}

type createTime struct {
	NTPStamp string `xml:"ntpstamp,attr"`
	Value    string `xml:",chardata"`
}

type source struct {
	User user `xml:"idmef:User"`
}

type user struct {
	Category string `xml:"category,attr"`
	UserID   userID `xml:"idmef:UserId"`
}

type userID struct {
	Type string `xml:"type,attr"`
	Name string `xml:"idmef:name"`
}

type classification struct {
	Text      string    `xml:"text,attr"`
	Reference reference `xml:"idmef:Reference"`
}

type reference struct {
	Origin string `xml:"origin,attr"`
	Name   string `xml:"idmef:name"`
	URL    string `xml:"idmef:url"`
}

type assessment struct {
	Impact impact `xml:"idmef:Impact"`
	Action action `xml:"idmef:Action"`
}

type impact struct {
	Severity   string `xml:"severity,attr"`
	Completion string `xml:"completion,attr"`
	Type       string `xml:"type,attr"`
	Text       string `xml:",chardata"`
}

type action struct {
	Category string `xml:"category,attr"`
	Text     string `xml:",chardata"`
}

type additionalData struct {
	Type    string `xml:"type,attr"`
	Meaning string `xml:"meaning,attr"`
	String  string `xml:"idmef:string"`
}

// Encode writes alerts as one IDMEF-Message document.
func Encode(w io.Writer, an Analyzer, alerts []Alert) error {
	msg := message{NS: Namespace, Version: "1.0"}
	for _, a := range alerts {
		msg.Alerts = append(msg.Alerts, convert(an, a))
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(msg); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func convert(an Analyzer, a Alert) alert {
	out := alert{
		MessageID:      messageID(a),
		Analyzer:       analyzer{ID: an.ID, Name: an.Name, Class: "Proactive security compliance verifier", Version: an.Version},
		CreateTime:     createTime{NTPStamp: ntpStamp(a.Time), Value: a.Time.UTC().Format(time.RFC3339Nano)},
		Classification: classification{Text: a.title(), Reference: reference{Origin: "vendor-specific", Name: "pvsc:" + a.Property, URL: "pvsc:property/" + a.Property}},
		Assessment:     assessment{Impact: impactOf(a), Action: actionOf(a)},
	}
	if a.Scope != "" {
		out.Source = &source{User: user{Category: "application", UserID: userID{Type: "target-user", Name: a.Scope}}}
	}
	out.AdditionalData = additional(a)
	return out
}

func impactOf(a Alert) impact {
	completion := "succeeded"
	if a.Blocked {
		completion = "failed"
	}
	return impact{Severity: "high", Completion: completion, Type: "other", Text: a.Reason}
}

func actionOf(a Alert) action {
	if a.Blocked {
		return action{Category: "block-installed", Text: "operation refused"}
	}
	return action{Category: "notification-sent", Text: "operation allowed, alert raised (" + a.Verdict + ")"}
}

// additional carries the pvsc details, parameters in name order for stable output.
func additional(a Alert) []additionalData {
	out := []additionalData{
		{Type: "string", Meaning: "property", String: a.Property},
		{Type: "string", Meaning: "event", String: a.Event},
		{Type: "string", Meaning: "operation", String: a.Operation},
		{Type: "string", Meaning: "verdict", String: a.Verdict},
	}
	if a.Doc != "" {
		out = append(out, additionalData{Type: "string", Meaning: "property-doc", String: a.Doc})
	}
	for _, k := range sortedKeys(a.Params) {
		out = append(out, additionalData{Type: "string", Meaning: "param:" + k, String: a.Params[k]})
	}
	return out
}

// MessageID is the alert's messageid (XML) and ID (JSON): stable for the same alert, so a
// re-sent alert can be recognised.
func MessageID(a Alert) string { return messageID(a) }

func messageID(a Alert) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%d", a.Property, a.Event, a.Scope, a.Reason, a.Time.UnixNano())
	for _, k := range sortedKeys(a.Params) {
		fmt.Fprintf(h, "|%s=%s", k, a.Params[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// ntpStamp renders a time as IDMEF's NTP timestamp (seconds since 1900, 32.32 fixed point).
func ntpStamp(t time.Time) string {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return fmt.Sprintf("0x%08x.0x%08x", secs&0xffffffff, frac&0xffffffff)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// FromLine turns a replayed decision's violations (deny, alert, log) into alerts; doc gives a
// property's text.
func FromLine(l replay.Line, doc func(property string) string) []Alert {
	var out []Alert
	for _, c := range l.Checks {
		if c.Verdict != "deny" && c.Verdict != "alert" && c.Verdict != "log" {
			continue
		}
		out = append(out, Alert{Time: time.Now(), Property: c.Property, Doc: doc(c.Property), Event: l.Op,
			Operation: fmt.Sprintf("%s (line %d)", l.Op, l.Line), Scope: c.Scope, Verdict: c.Verdict, Blocked: l.Blocked, Reason: c.Reason})
	}
	return out
}

// WriteFile writes alerts as one IDMEF-Message document.
func WriteFile(path string, a Analyzer, alerts []Alert) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Encode(f, a, alerts); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Document is alerts as one IDMEF-Message on one line (no XML declaration, no
// indentation), for sinks that take one document at a time.
func Document(an Analyzer, alerts []Alert) ([]byte, error) {
	msg := message{NS: Namespace, Version: "1.0"}
	for _, a := range alerts {
		msg.Alerts = append(msg.Alerts, convert(an, a))
	}
	return xml.Marshal(msg)
}
