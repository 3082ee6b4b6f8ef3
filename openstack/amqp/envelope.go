// Package amqp consumes OpenStack's oslo.messaging notifications from RabbitMQ.
package amqp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrMalformed marks a message that can never be processed; the consumer dead-letters it
// instead of redelivering it. Handlers wrap it to say the same of a message they cannot use.
var ErrMalformed = errors.New("malformed notification")

// Envelope is an oslo.messaging notification as it travels on the bus: with the messagingv2
// driver, {"oslo.version": "2.0", "oslo.message": "<the notification as a JSON string>"}.
type Envelope struct {
	OsloVersion string // "" when the message came unwrapped (oslo's old "messaging" driver)
	Message     Notification
}

// Notification is the decoded "oslo.message".
type Notification struct {
	MessageID   string          `json:"message_id"`
	EventType   string          `json:"event_type"` // e.g. "port.update.end", "identity.project.created"
	PublisherID string          `json:"publisher_id"`
	Priority    string          `json:"priority"` // e.g. "INFO", "ERROR"
	Payload     json.RawMessage `json:"payload"`
	Timestamp   time.Time       `json:"-"` // UTC
}

// oslo writes str(datetime.utcnow()), which drops the fraction when it is zero
const osloTime = "2006-01-02 15:04:05.999999999"

// DecodeEnvelope decodes a message body. Every failure wraps ErrMalformed and says what is wrong.
func DecodeEnvelope(body []byte) (Envelope, error) {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(body, &outer); err != nil {
		return Envelope{}, fmt.Errorf("%w: body is not a JSON object: %v", ErrMalformed, err)
	}
	rawMsg, wrapped := outer["oslo.message"]
	if !wrapped {
		n, err := decodeNotification(body)
		return Envelope{Message: n}, err
	}
	var env Envelope
	if err := json.Unmarshal(outer["oslo.version"], &env.OsloVersion); err != nil || !strings.HasPrefix(env.OsloVersion, "2.") {
		return Envelope{}, fmt.Errorf("%w: oslo.version %s is not 2.x", ErrMalformed, outer["oslo.version"])
	}
	var inner string
	if err := json.Unmarshal(rawMsg, &inner); err != nil {
		return Envelope{}, fmt.Errorf("%w: oslo.message is not a string: %v", ErrMalformed, err)
	}
	n, err := decodeNotification([]byte(inner))
	if err != nil {
		return Envelope{}, fmt.Errorf("oslo.message: %w", err)
	}
	env.Message = n
	return env, nil
}

func decodeNotification(data []byte) (Notification, error) {
	var n struct {
		Notification
		Timestamp *string `json:"timestamp"`
	}
	if err := json.Unmarshal(data, &n); err != nil {
		return Notification{}, fmt.Errorf("%w: notification is not a JSON object: %v", ErrMalformed, err)
	}
	switch {
	case n.EventType == "":
		return Notification{}, fmt.Errorf("%w: no event_type", ErrMalformed)
	case n.MessageID == "":
		return Notification{}, fmt.Errorf("%w: %s: no message_id", ErrMalformed, n.EventType)
	case len(n.Payload) == 0 || bytes.Equal(n.Payload, []byte("null")):
		return Notification{}, fmt.Errorf("%w: %s %s: no payload", ErrMalformed, n.EventType, n.MessageID)
	}
	if n.Timestamp != nil {
		ts, err := parseTime(*n.Timestamp)
		if err != nil {
			return Notification{}, fmt.Errorf("%w: %s %s: timestamp %q", ErrMalformed, n.EventType, n.MessageID, *n.Timestamp)
		}
		n.Notification.Timestamp = ts
	}
	return n.Notification, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(osloTime, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
