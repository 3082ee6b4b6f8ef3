package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"time"

	"pvsc.dev/pvsc/server/idmef"
)

// OCSFVersion is the OCSF schema version the findings are written in.
const OCSFVersion = "1.3.0"

// OCSF activities of a finding.
const (
	OCSFCreate = 1
	OCSFClose  = 3
)

// ocsfFinding is an OCSF Compliance Finding (class 2003, category Findings): the form AWS
// Security Hub and Security Lake ingest.
type ocsfFinding struct {
	ActivityID   int            `json:"activity_id"`
	ActivityName string         `json:"activity_name"`
	CategoryUID  int            `json:"category_uid"`
	CategoryName string         `json:"category_name"`
	ClassUID     int            `json:"class_uid"`
	ClassName    string         `json:"class_name"`
	TypeUID      int            `json:"type_uid"`
	TypeName     string         `json:"type_name"`
	SeverityID   int            `json:"severity_id"`
	Severity     string         `json:"severity"`
	Time         int64          `json:"time"` // ms since the epoch
	Message      string         `json:"message"`
	StatusID     int            `json:"status_id"`
	Status       string         `json:"status"`
	Metadata     ocsfMetadata   `json:"metadata"`
	FindingInfo  ocsfInfo       `json:"finding_info"`
	Compliance   ocsfCompliance `json:"compliance"`
	Resources    []ocsfResource `json:"resources,omitempty"`
}

type ocsfMetadata struct {
	Version string      `json:"version"`
	Product ocsfProduct `json:"product"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
}

type ocsfInfo struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Desc          string   `json:"desc"`
	FirstSeenTime int64    `json:"first_seen_time"`
	Types         []string `json:"types"`
}

type ocsfCompliance struct {
	Standards []string `json:"standards"`
	Control   string   `json:"control"`
	StatusID  int      `json:"status_id"`
	Status    string   `json:"status"`
}

type ocsfResource struct {
	UID  string            `json:"uid"`
	Type string            `json:"type"`
	Data map[string]string `json:"data,omitempty"`
}

// UID is a finding's stable identifier across audits (its property and records).
func (f *Finding) UID() string {
	sum := sha256.Sum256([]byte(key(&f.Violation)))
	return hex.EncodeToString(sum[:16])
}

// OCSF is the finding as an OCSF Compliance Finding; activity OCSFCreate when it opened,
// OCSFClose when a later audit found it resolved. spec names the standard (pvsc:<spec>).
func (f *Finding) OCSF(activity int, spec, version string, now time.Time) any {
	o := ocsfFinding{ActivityID: activity, ActivityName: "Create", CategoryUID: 2, CategoryName: "Findings",
		ClassUID: 2003, ClassName: "Compliance Finding", TypeUID: 200300 + activity,
		SeverityID: 4, Severity: "High", Time: now.UnixMilli(), Message: f.Reason, StatusID: 1, Status: "New",
		Metadata: ocsfMetadata{Version: OCSFVersion, Product: ocsfProduct{Name: "pvsc", VendorName: "pvsc", Version: version}},
		FindingInfo: ocsfInfo{UID: f.UID(), Title: f.Property + " violated", Desc: f.Reason, FirstSeenTime: f.FirstSeen.UnixMilli(),
			Types: []string{"pvsc invariant violation"}},
		Compliance: ocsfCompliance{Standards: []string{"pvsc:" + spec}, Control: f.Property, StatusID: 3, Status: "Fail"},
	}
	if activity == OCSFClose {
		o.ActivityName, o.StatusID, o.Status = "Close", 4, "Resolved"
		o.Compliance.StatusID, o.Compliance.Status = 1, "Pass"
	}
	o.TypeName = "Compliance Finding: " + o.ActivityName
	for _, r := range f.Records {
		o.Resources = append(o.Resources, ocsfResource{UID: r.ID, Type: r.Entity, Data: r.Attrs})
	}
	return o
}

// WriteOCSF writes findings as OCSF Compliance Findings, one JSON document a line.
func WriteOCSF(w io.Writer, fs []Finding, activity int, spec, version string, now time.Time) error {
	enc := json.NewEncoder(w)
	for i := range fs {
		if err := enc.Encode(fs[i].OCSF(activity, spec, version, now)); err != nil {
			return err
		}
	}
	return nil
}

// IDMEF is the finding as an IDMEF alert (RFC 4765), as replay writes violations.
func (f *Finding) IDMEF(doc string) idmef.Alert {
	a := idmef.Alert{Time: f.FirstSeen, Property: f.Property, Doc: doc, Scope: f.Scope, Verdict: "alert", Reason: f.Reason,
		Operation: "audit", Event: "audit"}
	if len(f.Records) > 0 {
		a.Params = map[string]string{"entity": f.Records[0].Entity, "id": f.Records[0].ID}
		for k, v := range f.Records[0].Attrs {
			a.Params[k] = v
		}
	}
	return a
}
