package intercept

import (
	"errors"
	"fmt"
	"strings"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/jsondoc"
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
	p := in.parsers()
	defer in.pool.Put(p)
	if mp, ok, err := in.enveloped(data, p); ok {
		return ops(mp, err)
	}
	v, err := parse(&p.outer, data)
	if err != nil {
		return ops(in.result("notification", nil, err))
	}
	if v.Kind() != "an object" {
		return ops(in.result("notification", nil, fmt.Errorf("want a JSON object, got %s", v.Kind())))
	}
	return ops(in.notification(v, p))
}

func (in *Interceptor) notification(m jsondoc.Node, p *parsers) (runtime.Mapping, error) {
	msg, err := unwrap(m, p)
	if err != nil {
		return in.result("notification", nil, err)
	}
	return in.message(msg)
}

// enveloped decodes data when it is an oslo envelope of exactly its two members (ok),
// opened by osloMessage; otherwise the caller parses it.
func (in *Interceptor) enveloped(data []byte, p *parsers) (runtime.Mapping, bool, error) {
	msg, ok := osloMessage(data, p.esc[:0])
	if !ok {
		return runtime.Mapping{}, false, nil
	}
	p.esc = msg
	inner, err := openMessage(&p.inner, msg)
	if err != nil {
		mp, err := in.result("notification", nil, err)
		return mp, true, err
	}
	mp, err := in.message(inner)
	return mp, true, err
}

// openMessage parses an envelope's oslo.message.
func openMessage(p *jsondoc.Parser, b []byte) (jsondoc.Node, error) {
	inner, err := parse(p, b)
	if err != nil {
		return inner, fmt.Errorf("oslo.message: %w", err)
	}
	if inner.Kind() != "an object" {
		return inner, fmt.Errorf("oslo.message: want a JSON object, got %s", inner.Kind())
	}
	return inner, nil
}

// message decodes an oslo message, unwrapped.
func (in *Interceptor) message(msg any) (runtime.Mapping, error) {
	etv, _ := tables.Member(msg, "event_type")
	et, ok := str(etv)
	if !ok || et == "" {
		return in.result("notification", nil, fmt.Errorf(`no "event_type" (got %s): not an oslo notification`, kindOf(etv)))
	}
	what := label{kind: "notification", name: et}
	what.id, _ = tables.Member(msg, "message_id")
	if _, ok := tables.Member(msg, "payload"); !ok {
		return in.mapped(what, runtime.Mapping{}, errors.New(`no "payload"`))
	}
	mp, err := in.eng.Match(tables.Notify, et, document(msg))
	return in.mapped(what, mp, err)
}

// unwrap opens the oslo envelope, or turns a bare CADF event into the notification Keystone would send.
func unwrap(m jsondoc.Node, p *parsers) (any, error) {
	if raw, ok := m.Member("oslo.message"); ok {
		verv, _ := m.Member("oslo.version")
		ver, _ := str(verv)
		if !strings.HasPrefix(ver, "2.") {
			return nil, fmt.Errorf(`oslo.version %q: want 2.x`, ver)
		}
		b, ok := raw.(jsondoc.Node).Str()
		if !ok {
			return nil, fmt.Errorf("oslo.message: want a JSON string, got %s", kindOf(raw))
		}
		inner, err := openMessage(&p.inner, b)
		if err != nil {
			return nil, err
		}
		return inner, nil
	}
	if uri, _ := str(member(m, "typeURI")); uri == cadfEvent && !present(m, "event_type") {
		ev, _ := m.Plain().(map[string]any)
		return cadfNotification(ev)
	}
	return m, nil
}

func member(m jsondoc.Node, key string) any {
	v, _ := m.Member(key)
	return v
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

// document is the message rows read, with "context" from the _context_* keys
// (and a "context" object's members), read in place when a row asks.
func document(msg any) any {
	n, ok := msg.(jsondoc.Node)
	if !ok {
		return mapDocument(msg.(map[string]any))
	}
	return &notifDoc{msg: n}
}

// notifDoc is a message seen with its context gathered under "context".
type notifDoc struct {
	msg jsondoc.Node
	key [64]byte // room for "_context_<key>"
}

func (d *notifDoc) Member(key string) (any, bool) {
	if key == "context" {
		return (*contextDoc)(d), true
	}
	return d.msg.Member(key)
}

func (d *notifDoc) Index(int) (any, bool) { return nil, false }
func (d *notifDoc) Null() bool            { return false }

// contextDoc is a message's context: a "context" object's member, else its _context_ key.
type contextDoc notifDoc

func (c *contextDoc) Member(key string) (any, bool) {
	if ctx, ok := c.msg.Member("context"); ok {
		if v, ok := ctx.(jsondoc.Node).Member(key); ok {
			return v, true
		}
	}
	k := append(append(c.key[:0], "_context_"...), key...)
	return c.msg.Member(string(k))
}

func (c *contextDoc) Index(int) (any, bool) { return nil, false }
func (c *contextDoc) Null() bool            { return false }

// mapDocument is document for a message built as a map (a CADF event's).
func mapDocument(msg map[string]any) map[string]any {
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
