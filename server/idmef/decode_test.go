package idmef_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/golden"
	"pvsc.dev/pvsc/server/idmef"
)

var analyzer = idmef.Analyzer{ID: "road-authority", Name: "pvsc", Version: "dev"}

func TestEncodeJSONIsGolden(t *testing.T) {
	b, err := idmef.EncodeJSON(analyzer, sample(), "")
	require.NoError(t, err)
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, b, "", "  "))
	golden.File(t, "testdata/alert-json.txtar", append(pretty.Bytes(), '\n'))
}

// TestJSONHasTheDraftsRequiredFields reads the output as a generic document: the IDMEFv2
// draft requires these whatever a producer adds.
func TestJSONHasTheDraftsRequiredFields(t *testing.T) {
	b, err := idmef.EncodeJSON(analyzer, sample(), "192.0.2.7")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	for _, k := range []string{"Version", "ID", "CreateTime", "Analyzer"} {
		assert.Contains(t, doc, k)
	}
	an := doc["Analyzer"].(map[string]any)
	for _, k := range []string{"IP", "Name", "Model", "Category", "Data", "Method"} {
		assert.Contains(t, an, k)
	}
	assert.Equal(t, "192.0.2.7", an["IP"])
	assert.Equal(t, idmef.JSONVersion, doc["Version"])
}

// TestRoundTrip decodes both forms back to the alert that was encoded.
func TestRoundTrip(t *testing.T) {
	a := sample()
	a.Title = "trust level changed"
	xmlDoc, err := idmef.Document(analyzer, []idmef.Alert{a})
	require.NoError(t, err)
	jsonDoc, err := idmef.EncodeJSON(analyzer, a, "")
	require.NoError(t, err)
	for format, doc := range map[string][]byte{"xml": xmlDoc, "json": jsonDoc} {
		t.Run(format, func(t *testing.T) {
			got, err := idmef.Decode(doc)
			require.NoError(t, err)
			require.Len(t, got, 1)
			r := got[0]
			assert.Equal(t, format, r.Format)
			assert.Equal(t, "road-authority", r.Analyzer.ID)
			assert.NotEmpty(t, r.ID)
			assert.True(t, a.Time.Equal(r.Alert.Time), "time %v, want %v", r.Alert.Time, a.Time)
			r.Alert.Time = a.Time
			assert.Equal(t, a, r.Alert)
		})
	}
}

// TestBothFormsShareTheMessageID: a receiver that gets one alert in both forms (two links)
// recognises it as one.
func TestBothFormsShareTheMessageID(t *testing.T) {
	xmlDoc, err := idmef.Document(analyzer, []idmef.Alert{sample()})
	require.NoError(t, err)
	jsonDoc, err := idmef.EncodeJSON(analyzer, sample(), "")
	require.NoError(t, err)
	x, err := idmef.Decode(xmlDoc)
	require.NoError(t, err)
	j, err := idmef.Decode(jsonDoc)
	require.NoError(t, err)
	assert.Equal(t, x[0].ID, j[0].ID)
}

func TestDecodeReadsOtherPrefixes(t *testing.T) {
	doc := `<IDMEF-Message xmlns="http://iana.org/idmef" version="1.0"><Alert messageid="m1">
	<Analyzer analyzerid="peer"/><CreateTime ntpstamp="0x0.0x0">2026-12-02T09:00:00Z</CreateTime>
	<Classification text="x"><Reference origin="vendor-specific"><name>pvsc:data_placement</name></Reference></Classification>
	</Alert></IDMEF-Message>`
	got, err := idmef.Decode([]byte(doc))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "data_placement", got[0].Alert.Property)
	assert.Equal(t, "peer", got[0].Analyzer.ID)
}

// TestDecodeRejectsMalformed: every broken document is an error wrapping ErrMalformed that
// names the problem, never a panic and never a partial result.
func TestDecodeRejectsMalformed(t *testing.T) {
	good, err := idmef.EncodeJSON(analyzer, sample(), "")
	require.NoError(t, err)
	goodXML, err := idmef.Document(analyzer, []idmef.Alert{sample()})
	require.NoError(t, err)
	cases := map[string]struct{ doc, want string }{
		"empty":            {"  ", "empty document"},
		"binary":           {"\x00\x01", "neither XML nor JSON"},
		"truncated json":   {string(good[:len(good)/2]), "JSON"},
		"two json values":  {string(good) + string(good), "more than one value"},
		"v1 json":          {strings.Replace(string(good), idmef.JSONVersion, "1.0", 1), "is not IDMEFv2"},
		"json without id":  {strings.Replace(string(good), `"ID"`, `"Identifier"`, 1), "no ID"},
		"json bad time":    {strings.Replace(string(good), "2026-11-22T", "22/11/2026 ", 1), "CreateTime"},
		"json no property": {strings.Replace(string(good), `"Name":"property"`, `"Name":"prop"`, 1), "no property"},
		"truncated xml":    {string(goodXML[:len(goodXML)/2]), "XML"},
		"other root":       {`<Heartbeat/>`, "root element"},
		"no alerts":        {`<IDMEF-Message version="1.0"></IDMEF-Message>`, "0 alerts"},
		"xml no analyzer":  {strings.Replace(string(goodXML), `analyzerid="road-authority"`, "", 1), "no Analyzer analyzerid"},
		"xml bad time":     {strings.Replace(string(goodXML), "2026-11-22T10:01:25.93464Z", "yesterday", 1), "CreateTime"},
		"too big":          {"{" + strings.Repeat(" ", idmef.MaxDocument) + "}", "more than"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := idmef.Decode([]byte(c.doc))
			require.ErrorIs(t, err, idmef.ErrMalformed)
			assert.Contains(t, err.Error(), c.want)
			assert.Nil(t, got)
		})
	}
}
