// Package feedtest makes notification streams and compares engine states, for the event pipeline's tests and the crash test.
package feedtest

import (
	"encoding/json"
	"fmt"
	"strings"

	"pvsc.dev/pvsc/lab/cloudgen"
	"pvsc.dev/pvsc/runtime"
)

// Stream is a seeded cloud for specs/openstack and a stream of notifications about it.
type Stream struct {
	Snapshot []byte
	// Messages are oslo messagingv2 envelopes, each with a unique message_id.
	Messages [][]byte
	// IDs are the message ids, in order.
	IDs []string
	// Scopes are the ids of every project and domain, the scopes of the shipped properties.
	Scopes []string
}

// NewStream generates at least n notifications (Neutron and Nova, in oslo envelopes) over a
// cloud of the given number of projects. The workload's REST calls are left out: the bus
// carries notifications only.
func NewStream(seed uint64, tenants, n int) *Stream {
	w := cloudgen.OpenStackWorkload(cloudgen.WorkloadConfig{Seed: seed, Tenants: tenants, PortsPerTenant: 6, Ops: n * 2, Native: true, AttackRate: 0.3})
	s := &Stream{}
	var err error
	if s.Snapshot, err = json.Marshal(w.Snapshot); err != nil {
		panic(err)
	}
	for _, coll := range []string{"projects", "domains"} {
		for _, r := range w.Snapshot[coll] {
			s.Scopes = append(s.Scopes, r["id"].(string))
		}
	}
	for _, raw := range w.Ops {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil || m["event_type"] == nil {
			continue
		}
		id := fmt.Sprintf("msg-%06d", len(s.Messages))
		m["message_id"], m["priority"], m["timestamp"] = id, "INFO", "2026-11-22 10:00:00.000000"
		s.Messages = append(s.Messages, Envelope(m))
		s.IDs = append(s.IDs, id)
		if len(s.Messages) == n {
			break
		}
	}
	return s
}

// Envelope wraps a notification as oslo's messagingv2 driver does.
func Envelope(msg map[string]any) []byte {
	inner, err := json.Marshal(msg)
	if err != nil {
		panic(err)
	}
	out, err := json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": string(inner)})
	if err != nil {
		panic(err)
	}
	return out
}

// Digest writes every property's N-cp and watchlist in each scope, and the record count of
// every entity: two engines with equal digests hold the same context as far as verdicts go.
func Digest(e *runtime.Engine, scopes []string) string {
	var b strings.Builder
	for _, m := range e.Spec().Models {
		for _, ent := range m.Entities {
			n, _ := e.Len(ent.Name)
			fmt.Fprintf(&b, "%s.%s %d\n", m.Name, ent.Name, n)
		}
	}
	for _, p := range e.Spec().Properties {
		for _, s := range scopes {
			st, err := e.Scope(p.Name, s)
			if err != nil {
				fmt.Fprintf(&b, "%s %s: %v\n", p.Name, s, err)
				continue
			}
			fmt.Fprintf(&b, "%s %s n=%d watched=%v %s\n", p.Name, s, st.NCP, st.Watched, strings.Join(st.Elements, " "))
		}
	}
	return b.String()
}
