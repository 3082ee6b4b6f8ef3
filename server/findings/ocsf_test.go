package findings

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
)

// ocsfRequired are the attributes OCSF 1.3.0 requires of a Compliance Finding (class
// 2003): the base event's classification and occurrence traits and metadata, the finding's
// finding_info, the class's compliance, and the required attributes of those objects.
var ocsfRequired = []string{
	"activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time",
	"metadata", "metadata.version", "metadata.product", "metadata.product.vendor_name",
	"finding_info", "finding_info.uid", "finding_info.title",
	"compliance", "compliance.standards",
}

func lookup(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestOCSFComplianceFindingHasTheRequiredFields(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
	f := Finding{Violation: runtime.Violation{Property: "no_bypass", Scope: "p-0", Reason: `no_bypass: port "port-0-1" breaks the invariant`,
		Records: []runtime.ViolationRecord{{Entity: "port", ID: "port-0-1", Attrs: map[string]string{"device_owner": "network:dhcp"}}}}, FirstSeen: t0}
	var b bytes.Buffer
	require.NoError(t, WriteOCSF(&b, []Finding{f}, OCSFCreate, "openstack", "test", t0.Add(time.Minute)))
	require.NoError(t, WriteOCSF(&b, []Finding{f}, OCSFClose, "openstack", "test", t0.Add(2*time.Minute)))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 2)
	for i, line := range lines {
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &doc))
		for _, path := range ocsfRequired {
			v, ok := lookup(doc, path)
			require.True(t, ok, "line %d lacks %s", i, path)
			require.NotEmpty(t, v, "line %d: %s", i, path)
		}
		assert.Equal(t, float64(2003), doc["class_uid"])
		assert.Equal(t, float64(2), doc["category_uid"])
		assert.Equal(t, doc["class_uid"].(float64)*100+doc["activity_id"].(float64), doc["type_uid"], "type_uid = class_uid * 100 + activity_id")
		assert.Regexp(t, regexp.MustCompile(`^\d+\.\d+\.\d+$`), doc["metadata"].(map[string]any)["version"])
		assert.IsType(t, []any{}, doc["compliance"].(map[string]any)["standards"])
		assert.Contains(t, []any{float64(0), float64(1), float64(2), float64(3), float64(4), float64(5), float64(6), float64(99)}, doc["severity_id"])
		first, _ := lookup(doc, "finding_info.first_seen_time")
		assert.Equal(t, float64(t0.UnixMilli()), first, "OCSF timestamps are ms since the epoch")
		res := doc["resources"].([]any)[0].(map[string]any)
		assert.Equal(t, "port-0-1", res["uid"])
	}
	var open, closed map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &open))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &closed))
	assert.Equal(t, float64(1), open["activity_id"])
	assert.Equal(t, "Fail", open["compliance"].(map[string]any)["status"])
	assert.Equal(t, float64(3), closed["activity_id"])
	assert.Equal(t, "Pass", closed["compliance"].(map[string]any)["status"])
	assert.Equal(t, "Resolved", closed["status"])
	fi := func(d map[string]any) any { v, _ := lookup(d, "finding_info.uid"); return v }
	assert.Equal(t, fi(open), fi(closed), "the close names the finding it closes")
}

func TestReportWritesIDMEF(t *testing.T) {
	r := &Report{Source: "s.json", Time: time.Now(), Spec: "openstack", Version: "test", Docs: map[string]string{"no_bypass": "no bypass"},
		Violations: []runtime.Violation{{Property: "no_bypass", Scope: "p-0", Reason: "no_bypass: broken",
			Records: []runtime.ViolationRecord{{Entity: "port", ID: "port-0-1"}}}}}
	var b bytes.Buffer
	require.NoError(t, r.Write(&b, "idmef"))
	var msg struct {
		XMLName xml.Name
		Alerts  []struct {
			Classification struct {
				Text string `xml:"text,attr"`
			}
		} `xml:"Alert"`
	}
	require.NoError(t, xml.Unmarshal(b.Bytes(), &msg))
	assert.Equal(t, "IDMEF-Message", msg.XMLName.Local)
	require.Len(t, msg.Alerts, 1)
	assert.Equal(t, "no_bypass violation", msg.Alerts[0].Classification.Text)
}
