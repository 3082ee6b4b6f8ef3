package findings

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"pvsc.dev/pvsc/runtime"
)

// Set is the findings a node knows of: each violation with when it was first seen, kept
// until an audit no longer finds it. It is safe for concurrent use.
type Set struct {
	mu   sync.Mutex
	open map[string]Finding
}

// key names a violation across audits: its property and its records.
func key(v *runtime.Violation) string {
	var b strings.Builder
	b.WriteString(v.Property)
	for _, r := range v.Records {
		b.WriteByte(0)
		b.WriteString(r.Entity)
		b.WriteByte(':')
		b.WriteString(r.ID)
	}
	return b.String()
}

// Update makes vs (one whole audit) the open findings: a violation seen before keeps its
// first-seen time; it returns the findings that opened and those that were resolved.
func (s *Set) Update(vs []runtime.Violation, now time.Time) (opened, resolved []Finding) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]Finding, len(vs))
	for _, v := range vs {
		k := key(&v)
		f, ok := s.open[k]
		if !ok {
			f = Finding{FirstSeen: now}
			opened = append(opened, Finding{Violation: v, FirstSeen: now})
		}
		f.Violation = v
		next[k] = f
	}
	for k, f := range s.open {
		if _, ok := next[k]; !ok {
			resolved = append(resolved, f)
		}
	}
	s.open = next
	sortFindings(resolved)
	return opened, resolved
}

// List is the open findings, of one property and scope when given, sorted.
func (s *Set) List(property, scope string) []Finding {
	s.mu.Lock()
	out := []Finding{}
	for _, f := range s.open {
		if (property == "" || f.Property == property) && (scope == "" || f.Scope == scope) {
			out = append(out, f)
		}
	}
	s.mu.Unlock()
	sortFindings(out)
	return out
}

func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Property, b.Property), cmp.Compare(a.Scope, b.Scope), cmp.Compare(key(&a.Violation), key(&b.Violation)))
	})
}
