package idmef

import (
	"encoding/json"
	"fmt"
	"time"
)

// JSONVersion is the IDMEFv2 draft version the JSON form follows (draft-lehmann-idmefv2,
// JSON schema 2.D.V04).
const JSONVersion = "2.D.V04"

// jsonAlert is an IDMEFv2 Alert. The draft requires Version, ID, CreateTime and the
// Analyzer's IP, Name, Model, Category, Data and Method; the pvsc details that RFC 4765
// carries as AdditionalData travel as Attachments.
type jsonAlert struct {
	Version     string           `json:"Version"`
	ID          string           `json:"ID"`
	CreateTime  string           `json:"CreateTime"`
	Category    []string         `json:"Category,omitempty"`
	Cause       string           `json:"Cause,omitempty"`
	Description string           `json:"Description,omitempty"`
	Status      string           `json:"Status,omitempty"`
	Priority    string           `json:"Priority,omitempty"`
	Note        string           `json:"Note,omitempty"`
	Ref         []string         `json:"Ref,omitempty"`
	Analyzer    jsonAnalyzer     `json:"Analyzer"`
	Target      []jsonTarget     `json:"Target,omitempty"`
	Attachment  []jsonAttachment `json:"Attachment,omitempty"`
}

type jsonAnalyzer struct {
	IP       string   `json:"IP"`
	Name     string   `json:"Name"`
	Hostname string   `json:"Hostname,omitempty"`
	Model    string   `json:"Model"`
	Category []string `json:"Category"`
	Data     []string `json:"Data"`
	Method   []string `json:"Method"`
}

type jsonTarget struct {
	User string `json:"User,omitempty"`
	Note string `json:"Note,omitempty"`
}

type jsonAttachment struct {
	Name        string `json:"Name"`
	ContentType string `json:"ContentType,omitempty"`
	Content     string `json:"Content"`
}

// analyzerModel names the product in the JSON form's Analyzer.Model.
const analyzerModel = "pvsc proactive security compliance verifier"

// EncodeJSON is one alert in the IDMEFv2 JSON form, on one line. The analyzer's ID goes to
// Analyzer.Hostname (IDMEFv2 has no analyzer id; the host names the instance) and its
// address is the loopback one unless ip is given.
func EncodeJSON(an Analyzer, a Alert, ip string) ([]byte, error) {
	if ip == "" {
		ip = "127.0.0.1"
	}
	ja := jsonAlert{Version: JSONVersion, ID: messageID(a), CreateTime: a.Time.UTC().Format(time.RFC3339Nano),
		Category: []string{"Vulnerable.Config"}, Cause: "Unknown", Description: a.title(), Status: "Incident",
		Priority: "High", Note: a.Reason, Ref: []string{"pvsc:property/" + a.Property},
		Analyzer: jsonAnalyzer{IP: ip, Name: an.Name, Hostname: an.ID, Model: analyzerModel,
			Category: []string{"ODC"}, Data: []string{"Application"}, Method: []string{"Policy"}}}
	if a.Verdict == "log" {
		ja.Status, ja.Priority, ja.Category = "Event", "Low", []string{"Other.Undetermined"}
	}
	if a.Scope != "" {
		ja.Target = []jsonTarget{{User: a.Scope, Note: "scope"}}
	}
	for _, d := range additional(a) {
		ja.Attachment = append(ja.Attachment, jsonAttachment{Name: d.Meaning, ContentType: "text/plain", Content: d.String})
	}
	ja.Attachment = append(ja.Attachment, jsonAttachment{Name: "blocked", ContentType: "text/plain", Content: fmt.Sprint(a.Blocked)})
	return json.Marshal(ja)
}
