package findings

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
)

func violation(prop, scope string, ids ...string) runtime.Violation {
	v := runtime.Violation{Property: prop, Scope: scope, Reason: prop + " broken"}
	for _, id := range ids {
		v.Records = append(v.Records, runtime.ViolationRecord{Entity: "port", ID: id})
	}
	return v
}

func TestSetKeepsFirstSeenUntilResolved(t *testing.T) {
	var s Set
	t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	opened, resolved := s.Update([]runtime.Violation{violation("no_bypass", "t1", "p1"), violation("common_ownership", "", "a1")}, t0)
	assert.Len(t, opened, 2)
	assert.Empty(t, resolved)

	t1 := t0.Add(time.Minute)
	opened, resolved = s.Update([]runtime.Violation{violation("no_bypass", "t1", "p1"), violation("no_bypass", "t2", "p2")}, t1)
	require.Len(t, opened, 1)
	assert.Equal(t, "p2", opened[0].Records[0].ID)
	require.Len(t, resolved, 1)
	assert.Equal(t, "common_ownership", resolved[0].Property)

	all := s.List("", "")
	require.Len(t, all, 2)
	assert.Equal(t, t0, all[0].FirstSeen, "p1 was first seen in the first audit")
	assert.Equal(t, t1, all[1].FirstSeen)
	assert.Len(t, s.List("no_bypass", "t2"), 1)
	assert.Empty(t, s.List("common_ownership", ""))
	assert.NotNil(t, s.List("none", ""), "an empty list, not null, in JSON")
}
