// Package revision drops changes that arrive after newer ones: Neutron stamps every resource with a revision_number, and a late notification must not undo a newer state.
package revision

import (
	"encoding/json"
	"strings"
	"sync"
)

// Guard remembers, per resource, the newest revision applied. It is safe for concurrent use.
type Guard struct {
	mu   sync.Mutex
	last map[string]int64
}

// NewGuard returns an empty guard.
func NewGuard() *Guard { return &Guard{last: map[string]int64{}} }

// Change is what one document says about one resource.
type Change struct {
	Key      string // "port/<id>"
	Revision int64
	Delete   bool
}

// Admit reports whether a change is not older than what was applied for its
// resource, and records it when it is admitted. A delete is remembered as
// newer than every revision, so a late create cannot bring the resource back.
func (g *Guard) Admit(c Change) bool {
	if c.Key == "" {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	last, seen := g.last[c.Key]
	if seen && c.Revision < last {
		return false
	}
	if c.Delete {
		g.last[c.Key] = 1 << 62
	} else {
		g.last[c.Key] = c.Revision
	}
	return true
}

// Len is how many resources the guard remembers.
func (g *Guard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.last)
}

// Notification reads the change an oslo notification reports: its event type
// names the resource ("port.update.end") and its payload carries the resource
// with id and revision_number. ok is false for documents without a revision.
func Notification(doc []byte) (Change, bool) {
	var env struct {
		Message string `json:"oslo.message"`
	}
	if json.Unmarshal(doc, &env) == nil && env.Message != "" {
		doc = []byte(env.Message)
	}
	var msg struct {
		EventType string                     `json:"event_type"`
		Payload   map[string]json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(doc, &msg) != nil || !strings.HasSuffix(msg.EventType, ".end") {
		return Change{}, false
	}
	resource, _, _ := strings.Cut(msg.EventType, ".")
	c, ok := fromObject(resource, msg.Payload[resource])
	c.Delete = strings.HasSuffix(msg.EventType, ".delete.end")
	return c, ok
}

// Response reads the change a REST call's JSON response reports ({"port": {...}}).
func Response(method string, body []byte) (Change, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || len(top) != 1 {
		return Change{}, false
	}
	for resource, raw := range top {
		c, ok := fromObject(resource, raw)
		c.Delete = method == "DELETE"
		return c, ok
	}
	return Change{}, false
}

func fromObject(resource string, raw json.RawMessage) (Change, bool) {
	var obj struct {
		ID       string `json:"id"`
		Revision *int64 `json:"revision_number"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil || obj.ID == "" || obj.Revision == nil {
		return Change{}, false
	}
	return Change{Key: resource + "/" + obj.ID, Revision: *obj.Revision}, true
}

// Line reads the change one replay line reports: a notification, or a REST call written with
// its response ({"method", "path", "response"}).
func Line(doc []byte) (Change, bool) {
	var call struct {
		Method   string          `json:"method"`
		Response json.RawMessage `json:"response"`
	}
	if json.Unmarshal(doc, &call) == nil && call.Method != "" {
		if len(call.Response) == 0 {
			return Change{}, false
		}
		return Response(call.Method, call.Response)
	}
	return Notification(doc)
}

// Fresh admits the change a replay line reports (see Line); lines that report none are fresh.
func (g *Guard) Fresh(doc []byte) bool {
	c, ok := Line(doc)
	return !ok || g.Admit(c)
}
