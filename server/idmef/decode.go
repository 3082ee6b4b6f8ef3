package idmef

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrMalformed marks a document that is not an IDMEF message this package can read; the
// error wrapping it says what is wrong.
var ErrMalformed = errors.New("malformed IDMEF message")

// Limits on what Decode accepts: a peer cannot make a receiver hold more than this.
const (
	MaxDocument = 1 << 20
	MaxAlerts   = 256
)

// Received is one decoded alert with the analyzer that sent it.
type Received struct {
	ID       string // the alert's messageid (XML) or ID (JSON)
	Analyzer Analyzer
	Alert    Alert
	Format   string // xml or json
}

// Decode reads an IDMEF-Message (RFC 4765 XML) or an IDMEFv2 alert (JSON), told apart by
// their first byte. Every failure wraps ErrMalformed; nothing is returned with it.
func Decode(data []byte) ([]Received, error) {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return nil, fmt.Errorf("%w: empty document", ErrMalformed)
	case len(data) > MaxDocument:
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(data), MaxDocument)
	case data[0] == '<':
		return decodeXML(data)
	case data[0] == '{':
		r, err := decodeJSON(data)
		if err != nil {
			return nil, err
		}
		return []Received{r}, nil
	}
	return nil, fmt.Errorf("%w: neither XML nor JSON (starts with %q)", ErrMalformed, data[0])
}

// The XML side reads by local names, so a peer's own prefix or default namespace reads too.
type xmlMessage struct {
	XMLName xml.Name
	Version string     `xml:"version,attr"`
	Alerts  []xmlAlert `xml:"Alert"`
}

type xmlAlert struct {
	MessageID string `xml:"messageid,attr"`
	Analyzer  struct {
		ID      string `xml:"analyzerid,attr"`
		Name    string `xml:"name,attr"`
		Version string `xml:"version,attr"`
	} `xml:"Analyzer"`
	CreateTime struct {
		Value string `xml:",chardata"`
	} `xml:"CreateTime"`
	Source struct {
		User struct {
			UserID struct {
				Name string `xml:"name"`
			} `xml:"UserId"`
		} `xml:"User"`
	} `xml:"Source"`
	Classification struct {
		Text      string `xml:"text,attr"`
		Reference struct {
			Name string `xml:"name"`
		} `xml:"Reference"`
	} `xml:"Classification"`
	Assessment struct {
		Impact struct {
			Text string `xml:",chardata"`
		} `xml:"Impact"`
		Action struct {
			Category string `xml:"category,attr"`
		} `xml:"Action"`
	} `xml:"Assessment"`
	AdditionalData []struct {
		Meaning string `xml:"meaning,attr"`
		String  string `xml:"string"`
	} `xml:"AdditionalData"`
}

func decodeXML(data []byte) ([]Received, error) {
	var m xmlMessage
	if err := xml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: XML: %v", ErrMalformed, err)
	}
	if m.XMLName.Local != "IDMEF-Message" {
		return nil, fmt.Errorf("%w: root element %q, want IDMEF-Message", ErrMalformed, m.XMLName.Local)
	}
	if len(m.Alerts) == 0 || len(m.Alerts) > MaxAlerts {
		return nil, fmt.Errorf("%w: %d alerts (want 1..%d)", ErrMalformed, len(m.Alerts), MaxAlerts)
	}
	out := make([]Received, 0, len(m.Alerts))
	for i, x := range m.Alerts {
		r, err := x.received()
		if err != nil {
			return nil, fmt.Errorf("%w: alert %d: %v", ErrMalformed, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (x *xmlAlert) received() (Received, error) {
	r := Received{ID: x.MessageID, Format: "xml", Analyzer: Analyzer{ID: x.Analyzer.ID, Name: x.Analyzer.Name, Version: x.Analyzer.Version}}
	if err := required("messageid", r.ID, "Analyzer analyzerid", r.Analyzer.ID); err != nil {
		return r, err
	}
	t, err := parseTime(x.CreateTime.Value)
	if err != nil {
		return r, err
	}
	a := Alert{Time: t, Scope: x.Source.User.UserID.Name, Reason: x.Assessment.Impact.Text,
		Blocked: x.Assessment.Action.Category == "block-installed", Title: x.Classification.Text}
	for _, d := range x.AdditionalData {
		a.set(d.Meaning, d.String)
	}
	if a.Property == "" {
		a.Property = strings.TrimPrefix(x.Classification.Reference.Name, "pvsc:")
	}
	r.Alert = a
	return r, a.check()
}

func decodeJSON(data []byte) (Received, error) {
	var j jsonAlert
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&j); err != nil {
		return Received{}, fmt.Errorf("%w: JSON: %v", ErrMalformed, err)
	}
	if dec.More() {
		return Received{}, fmt.Errorf("%w: JSON: more than one value", ErrMalformed)
	}
	r := Received{ID: j.ID, Format: "json", Analyzer: Analyzer{ID: j.Analyzer.Hostname, Name: j.Analyzer.Name}}
	if r.Analyzer.ID == "" {
		r.Analyzer.ID = j.Analyzer.Name
	}
	if !strings.HasPrefix(j.Version, "2.") {
		return r, fmt.Errorf("%w: Version %q is not IDMEFv2", ErrMalformed, j.Version)
	}
	if err := required("ID", j.ID, "Analyzer.Name", j.Analyzer.Name); err != nil {
		return r, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	t, err := parseTime(j.CreateTime)
	if err != nil {
		return r, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	r.Alert = j.alert(t)
	if err := r.Alert.check(); err != nil {
		return r, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return r, nil
}

func (j *jsonAlert) alert(t time.Time) Alert {
	a := Alert{Time: t, Reason: j.Note, Title: j.Description}
	if len(j.Target) > 0 {
		a.Scope = j.Target[0].User
	}
	for _, at := range j.Attachment {
		if at.Name == "blocked" {
			a.Blocked = at.Content == "true"
			continue
		}
		a.set(at.Name, at.Content)
	}
	return a
}

// set reads one AdditionalData (XML) or Attachment (JSON) of the pvsc details back.
func (a *Alert) set(meaning, value string) {
	switch meaning {
	case "property":
		a.Property = value
	case "event":
		a.Event = value
	case "operation":
		a.Operation = value
	case "verdict":
		a.Verdict = value
	case "property-doc":
		a.Doc = value
	default:
		if k, ok := strings.CutPrefix(meaning, "param:"); ok {
			if a.Params == nil {
				a.Params = map[string]string{}
			}
			a.Params[k] = value
		}
	}
}

// check is what every received alert must say for a receiver to act on it.
func (a *Alert) check() error {
	if a.Property == "" {
		return errors.New("no property (AdditionalData/Attachment \"property\" or a pvsc: reference)")
	}
	return nil
}

func required(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if strings.TrimSpace(kv[i+1]) == "" {
			return fmt.Errorf("no %s", kv[i])
		}
	}
	return nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return t, fmt.Errorf("CreateTime %q is not RFC 3339", s)
	}
	return t, nil
}
