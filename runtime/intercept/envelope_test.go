package intercept

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every envelope of the captured corpus (every service's AMQP deliveries) opens by hand
// to the message encoding/json reads from it.
func TestEnvelopesOfTheCorpusOpenByHand(t *testing.T) {
	files, err := filepath.Glob("../../openstack/testdata/captured/amqp-*.jsonl")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	n := 0
	for _, f := range files {
		r, err := os.Open(f)
		require.NoError(t, err)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<22), 1<<22)
		for sc.Scan() {
			var d struct{ Body string }
			require.NoError(t, json.Unmarshal(sc.Bytes(), &d))
			var env map[string]string
			if json.Unmarshal([]byte(d.Body), &env) != nil || env["oslo.message"] == "" {
				continue
			}
			msg, ok := osloMessage([]byte(d.Body), nil)
			require.True(t, ok, "%s: %.80s", f, d.Body)
			assert.Equal(t, env["oslo.message"], string(msg))
			n++
		}
		r.Close()
	}
	assert.Greater(t, n, 50, "the corpus has envelopes of every service")
}

// The hand-opened envelope decodes escapes as encoding/json does, and refuses what JSON
// refuses, leaving it to the general path to say what is wrong.
func TestUnquote(t *testing.T) {
	for _, s := range []string{`"plain"`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d x"`, `"é"`, `""`,
		`"a long run of plain text, longer than eight bytes, then \"an escape\" and more"`} {
		var want string
		require.NoError(t, json.Unmarshal([]byte(s), &want), s)
		got, rest, ok := unquote([]byte(s+" ,"), nil)
		require.True(t, ok, s)
		assert.Equal(t, want, string(got), s)
		assert.Equal(t, " ,", string(rest))
	}
	for _, s := range []string{`"unterminated`, "\"raw\ncontrol\"", "\"raw tab\tin a long string\"", `"\x"`, `"\u12"`, `"\u12zz"`, `x"`, `"ends with \`} {
		_, _, ok := unquote([]byte(s), nil)
		assert.False(t, ok, "%q", s)
	}
}

func TestOsloMessageShapes(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{`{"oslo.version": "2.0", "oslo.message": "{\"a\": 1}"}`, true},
		{" {\"oslo.message\":\"{}\" ,\n\"oslo.version\":\"2.1\"} ", true},
		{`{"oslo.version": "1.0", "oslo.message": "{}"}`, false},
		{`{"oslo.version": "2.0", "oslo.message": "{}", "x": 1}`, false},
		{`{"oslo.version": "2.0", "oslo.version": "2.0"}`, false},
		{`{"oslo.version": "2.0", "oslo.message": {}}`, false},
		{`{"oslo.version": "2.0", "oslo.message": "{}"} trailing`, false},
		{`{"op": "update_port", "params": {}}`, false},
		{`{"oslo.version": "2.0"`, false},
	} {
		_, ok := osloMessage([]byte(c.in), nil)
		assert.Equal(t, c.ok, ok, c.in)
	}
}
