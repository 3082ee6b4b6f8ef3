package amqp

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	require.NoError(t, err)
	return b
}

// envelopes reads a JSON array of envelopes captured from the stack's RabbitMQ.
func envelopes(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	require.NoError(t, json.Unmarshal(testdata(t, name), &out))
	require.NotEmpty(t, out)
	return out
}

func TestDecodeCapturedKeystoneEnvelopes(t *testing.T) {
	for _, body := range envelopes(t, "amqp-envelopes.json") {
		env, err := DecodeEnvelope(body)
		require.NoError(t, err)
		assert.Equal(t, "2.0", env.OsloVersion)
		assert.Equal(t, "identity.role_assignment.created", env.Message.EventType)
		assert.Equal(t, "INFO", env.Message.Priority)
		assert.Equal(t, "identity.vm", env.Message.PublisherID)
		assert.NotEmpty(t, env.Message.MessageID)
		var cadf struct {
			Action string `json:"action"`
			Role   string `json:"role"`
		}
		require.NoError(t, json.Unmarshal(env.Message.Payload, &cadf))
		assert.Equal(t, "created.role_assignment", cadf.Action)
		assert.NotEmpty(t, cadf.Role)
	}
	env, err := DecodeEnvelope(envelopes(t, "amqp-envelopes.json")[0])
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 22, 9, 12, 52, 5266000, time.UTC), env.Message.Timestamp)
}

func TestDecodeCapturedNeutronEnvelopes(t *testing.T) {
	seen := map[string]bool{}
	for _, body := range envelopes(t, "amqp-envelopes-neutron.json") {
		env, err := DecodeEnvelope(body)
		require.NoError(t, err)
		assert.Equal(t, "network.vm", env.Message.PublisherID)
		assert.False(t, env.Message.Timestamp.IsZero())
		seen[env.Message.EventType] = true
		if env.Message.EventType == "port.update.end" {
			var p struct {
				Port struct {
					ID          string `json:"id"`
					DeviceOwner string `json:"device_owner"`
				} `json:"port"`
			}
			require.NoError(t, json.Unmarshal(env.Message.Payload, &p))
			assert.NotEmpty(t, p.Port.ID)
			assert.Equal(t, "compute:nova", p.Port.DeviceOwner)
		}
	}
	assert.True(t, seen["port.create.end"] && seen["port.update.end"] && seen["network.create.end"])
}

// The log driver's lines are the same notifications unwrapped; they decode too, and wrapped in
// an envelope as messagingv2 does they decode to the same thing.
func TestDecodeLoggedNotifications(t *testing.T) {
	for _, name := range []string{"keystone-notifications.jsonl", "neutron-notifications.jsonl"} {
		f, err := os.Open(filepath.Join("..", "testdata", name))
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		n := 0
		for sc.Scan() {
			line := append([]byte(nil), sc.Bytes()...)
			plain, err := DecodeEnvelope(line)
			require.NoError(t, err, "%s line %d", name, n+1)
			assert.Empty(t, plain.OsloVersion)
			wrapped, err := json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": string(line)})
			require.NoError(t, err)
			env, err := DecodeEnvelope(wrapped)
			require.NoError(t, err)
			assert.Equal(t, plain.Message, env.Message)
			n++
		}
		require.NoError(t, sc.Err())
		f.Close()
		assert.Positive(t, n)
	}
}

func TestDecodeSingleSample(t *testing.T) {
	env, err := DecodeEnvelope(testdata(t, "port.update.end.json"))
	require.NoError(t, err)
	assert.Equal(t, "port.update.end", env.Message.EventType)
	assert.Equal(t, "7256fe27-ff6b-439e-8c2c-fab66bbcb423", env.Message.MessageID)
}

func TestDecodeMalformed(t *testing.T) {
	cases := map[string]string{
		"empty":                  ``,
		"not json":               `hello`,
		"array":                  `[1,2]`,
		"message not a string":   `{"oslo.version": "2.0", "oslo.message": {"event_type": "x"}}`,
		"message not json":       `{"oslo.version": "2.0", "oslo.message": "{not json"}`,
		"wrong version":          `{"oslo.version": "1.0", "oslo.message": "{}"}`,
		"no version":             `{"oslo.message": "{}"}`,
		"no event_type":          `{"message_id": "m", "payload": {}}`,
		"no message_id":          `{"event_type": "e", "payload": {}}`,
		"null payload":           `{"event_type": "e", "message_id": "m", "payload": null}`,
		"bad timestamp":          `{"event_type": "e", "message_id": "m", "payload": {}, "timestamp": "yesterday"}`,
		"event_type not string":  `{"event_type": 7, "message_id": "m", "payload": {}}`,
		"wrapped missing fields": `{"oslo.version": "2.0", "oslo.message": "{\"payload\": {}}"}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeEnvelope([]byte(body))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestDecodeTimestamps(t *testing.T) {
	for ts, want := range map[string]time.Time{
		"2026-11-22 09:18:21":         time.Date(2026, 11, 22, 9, 18, 21, 0, time.UTC),
		"2026-11-22 09:18:21.5":       time.Date(2026, 11, 22, 9, 18, 21, 5e8, time.UTC),
		"2026-11-22T09:18:21.000001Z": time.Date(2026, 11, 22, 9, 18, 21, 1000, time.UTC),
	} {
		b, _ := json.Marshal(map[string]any{"event_type": "e", "message_id": "m", "payload": map[string]any{}, "timestamp": ts})
		env, err := DecodeEnvelope(b)
		require.NoError(t, err, ts)
		assert.True(t, want.Equal(env.Message.Timestamp), ts)
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"oslo.version": "2.0", "oslo.message": "{\"event_type\": \"e\", \"message_id\": \"m\", \"payload\": {}}"}`))
	f.Add([]byte(`{"oslo.version": "2.0", "oslo.message": "\u0000"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := DecodeEnvelope(body)
		if err == nil && env.Message.EventType == "" {
			t.Fatalf("accepted a notification without event_type: %q", body)
		}
	})
}
