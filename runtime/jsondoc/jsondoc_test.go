package jsondoc_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime/jsondoc"
	"pvsc.dev/pvsc/tables"
)

func TestSectionsAndElements(t *testing.T) {
	text := []byte(` {"ports": [{"id": "p\"1", "x": [1, {"y": "]"}]}, {"id": "p2"}],
	  "empty": [], "nothing": null, "ports": [{"id": "p3"}], "one": {"a": 1}}`)
	secs, kind, err := jsondoc.Sections(text)
	require.NoError(t, err)
	assert.Empty(t, kind)
	assert.ElementsMatch(t, []string{"ports", "empty", "nothing", "one"}, keys(secs))
	var got []string
	_, err = jsondoc.Elements(text, secs["ports"], func(i int, elem []byte) error {
		got = append(got, string(elem))
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{`{"id": "p3"}`}, got, "a later member of the same name wins")
	for name, want := range map[string]string{"empty": "", "nothing": "null", "one": "an object"} {
		n := 0
		kind, err := jsondoc.Elements(text, secs[name], func(int, []byte) error { n++; return nil })
		require.NoError(t, err)
		assert.Equal(t, want, kind, name)
		assert.Zero(t, n, name)
	}
}

func TestSectionsRefuseBrokenText(t *testing.T) {
	for text, want := range map[string]string{
		`{"ports": [{"id": "p1"}`:  "truncated",
		`{"ports": [{"id": "p1}]}`: "truncated",
		`{"ports": [}`:             `invalid character '}' looking for beginning of value`,
		`ports: []`:                `invalid character 'p' looking for beginning of value`,
		`{"a": 1} x`:               `invalid character 'x' after top-level value`,
		`{"a" 1}`:                  `invalid character '1' after object key`,
		"":                         "truncated",
		`{"a": [1, 2] "b": []}`:    `invalid character '"' after object key:value pair`,
	} {
		_, _, err := jsondoc.Sections([]byte(text))
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want, text)
		var se *jsondoc.SyntaxError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, want == "truncated", se.Truncated, text)
	}
	_, kind, err := jsondoc.Sections([]byte(` [1, 2]`))
	require.NoError(t, err)
	assert.Equal(t, "a list", kind)
}

// TestNodesWalkLikeMaps: a path reads the same value from a parsed tree as
// from encoding/json's maps (dotted keys, array indexes, null as absent).
func TestNodesWalkLikeMaps(t *testing.T) {
	text := []byte(`{"payload": {"nova_object.data": {"uuid": "vm1", "host": null,
	  "ip_addresses": [{"port_uuid": "p1"}, {"port_uuid": "p2"}]}}, "n": 4, "ok": true, "tags": ["a", "b"]}`)
	var m any
	require.NoError(t, json.Unmarshal(text, &m))
	var p jsondoc.Parser
	doc, err := p.Parse(text)
	require.NoError(t, err)
	for _, path := range []string{
		"payload.nova_object.data.uuid", "payload.nova_object.data.host", "payload.nova_object.data.ip_addresses.1.port_uuid",
		"payload.nova_object.data.ip_addresses.2.port_uuid", "nope|payload.nova_object.data.uuid", "tags", "n", "ok",
		"payload.nova_object", "payload.nova_object.data.ip_addresses.x",
	} {
		want, wantOK := tables.LookupPath(m, path)
		got, gotOK := tables.LookupPath(doc, path)
		assert.Equal(t, wantOK, gotOK, path)
		if wantOK {
			assert.EqualValues(t, normal(want), jsondoc.Plain(got), path)
		}
		assert.Equal(t, tables.HasPath(m, path), tables.HasPath(doc, path), path)
	}
	assert.True(t, tables.HasPath(doc, "payload.nova_object.data.host"), "null is present for HasPath")
}

func normal(x any) any {
	if f, ok := x.(float64); ok {
		return json.Number(fmtFloat(f))
	}
	return x
}

func fmtFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func keys(m map[string]jsondoc.Span) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
