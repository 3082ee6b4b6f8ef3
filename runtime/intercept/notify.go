package intercept

import (
	"errors"
	"fmt"
	"strings"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/tables"
)

// cadfEvent is the typeURI of a CADF event (Keystone's notification_format = cadf).
const cadfEvent = "http://schemas.dmtf.org/cloud/audit/1.0/event"

// Notification decodes an oslo.messaging notification: the messaging v2
// envelope {"oslo.version": "2.0", "oslo.message": "<json>"}, a bare
// message, or a bare Keystone CADF event. The document the rows read is the
// message with "context" built from its _context_* keys. Neutron's
// unversioned payloads (payload.port{...}) and Nova's versioned ones
// (payload.nova_object.data{...}) are read as they are: row paths name them.
func (in *Interceptor) Notification(data []byte) ([]runtime.Op, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return ops(in.result("notification", nil, err))
	}
	m, ok := v.(map[string]any)
	if !ok {
		return ops(in.result("notification", nil, fmt.Errorf("want a JSON object, got %s", kindOf(v))))
	}
	return ops(in.notification(m))
}

func (in *Interceptor) notification(m map[string]any) (runtime.Mapping, error) {
	msg, err := unwrap(m)
	if err != nil {
		return in.result("notification", nil, err)
	}
	et, ok := msg["event_type"].(string)
	if !ok || et == "" {
		return in.result("notification", nil, fmt.Errorf(`no "event_type" (got %s): not an oslo notification`, kindOf(msg["event_type"])))
	}
	what := "notification " + et
	if id, ok := msg["message_id"].(string); ok {
		what += " (message " + id + ")"
	}
	if _, ok := msg["payload"]; !ok {
		return in.result(what, nil, errors.New(`no "payload"`))
	}
	mp, err := in.eng.Match(tables.Notify, et, document(msg))
	return in.mapped(what, mp, err)
}

// unwrap opens the oslo envelope, or turns a bare CADF event into the notification Keystone would send.
func unwrap(m map[string]any) (map[string]any, error) {
	if raw, ok := m["oslo.message"]; ok {
		ver, _ := m["oslo.version"].(string)
		if !strings.HasPrefix(ver, "2.") {
			return nil, fmt.Errorf(`oslo.version %q: want 2.x`, ver)
		}
		s, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("oslo.message: want a JSON string, got %s", kindOf(raw))
		}
		v, err := decodeJSON([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("oslo.message: %w", err)
		}
		inner, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("oslo.message: want a JSON object, got %s", kindOf(v))
		}
		return inner, nil
	}
	if uri, _ := m["typeURI"].(string); uri == cadfEvent && m["event_type"] == nil {
		return cadfNotification(m)
	}
	return m, nil
}

// cadfNotification is the notification Keystone wraps a CADF event in: its
// event_type is identity.<resource>.<operation>, from the action
// "<operation>.<resource>" ("created.role_assignment").
func cadfNotification(ev map[string]any) (map[string]any, error) {
	action, _ := ev["action"].(string)
	op, resource, ok := strings.Cut(action, ".")
	if !ok || op == "" || resource == "" {
		return nil, fmt.Errorf(`CADF event: action %q: want "<operation>.<resource>", e.g. "created.role_assignment"`, action)
	}
	if outcome, _ := ev["outcome"].(string); outcome != "" && outcome != "success" {
		// A failed operation changed nothing; it maps to no event.
		return map[string]any{"event_type": "identity." + resource + "." + op + ".failed", "payload": ev}, nil
	}
	return map[string]any{"event_type": "identity." + resource + "." + op, "payload": ev, "publisher_id": "identity", "message_id": ev["id"]}, nil
}

// document is the message rows read, with "context" from the _context_* keys.
func document(msg map[string]any) map[string]any {
	ctx := map[string]any{}
	for k, v := range msg {
		if c, ok := strings.CutPrefix(k, "_context_"); ok {
			ctx[c] = v
		}
	}
	if c, ok := msg["context"].(map[string]any); ok {
		for k, v := range c {
			ctx[k] = v
		}
	}
	if len(ctx) == 0 {
		return msg
	}
	out := make(map[string]any, len(msg)+1)
	for k, v := range msg {
		out[k] = v
	}
	out["context"] = ctx
	return out
}
