package idmef_test

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"pvsc.dev/pvsc/lab/golden"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/server/idmef"
)

func sample() idmef.Alert {
	return idmef.Alert{
		Time:      time.Date(2026, 11, 22, 10, 1, 25, 934640000, time.UTC),
		Property:  "workflow_admissibility",
		Doc:       "A workflow hands its data only to admissible providers.",
		Event:     "hand_to_provider",
		Operation: "POST /v1/workflows/{id}/steps",
		Scope:     "wf-navigation",
		Verdict:   "deny",
		Blocked:   true,
		Reason:    "provider cloud-c is not in watchlist targets of workflow wf-navigation",
		Params:    map[string]string{"workflow_id": "wf-navigation", "provider": "cloud-c"},
	}
}

func TestEncodeIsGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, idmef.Encode(&buf, idmef.Analyzer{ID: "pvsc-1", Name: "pvsc", Version: "dev"}, []idmef.Alert{sample()}))
	golden.File(t, "testdata/alert.txtar", buf.Bytes())
}

// TestWellFormedIDMEF decodes the output back with IDMEF's element names.
func TestWellFormedIDMEF(t *testing.T) {
	var buf bytes.Buffer
	a := sample()
	a.Blocked, a.Verdict = false, "alert"
	require.NoError(t, idmef.Encode(&buf, idmef.Analyzer{ID: "pvsc-1", Name: "pvsc"}, []idmef.Alert{a, sample()}))
	var doc struct {
		XMLName xml.Name `xml:"http://iana.org/idmef IDMEF-Message"`
		Alerts  []struct {
			MessageID  string `xml:"messageid,attr"`
			CreateTime struct {
				NTP string `xml:"ntpstamp,attr"`
			} `xml:"http://iana.org/idmef CreateTime"`
			Classification struct {
				Text string `xml:"text,attr"`
			} `xml:"http://iana.org/idmef Classification"`
			Assessment struct {
				Action struct {
					Category string `xml:"category,attr"`
				} `xml:"http://iana.org/idmef Action"`
			} `xml:"http://iana.org/idmef Assessment"`
		} `xml:"http://iana.org/idmef Alert"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc))
	require.Len(t, doc.Alerts, 2)
	assert.Equal(t, "workflow_admissibility violation", doc.Alerts[0].Classification.Text)
	assert.Equal(t, "notification-sent", doc.Alerts[0].Assessment.Action.Category)
	assert.Equal(t, "block-installed", doc.Alerts[1].Assessment.Action.Category)
	assert.Equal(t, "0xeead3bf5.0xef449129", doc.Alerts[1].CreateTime.NTP)
	assert.NotEqual(t, doc.Alerts[0].MessageID, "")
}
