package state_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScopeOfARedeliveredCreateIsTheExistingRecords(t *testing.T) {
	f := newFixture(t)
	f.example4Setup()
	f.do("create_tenant", map[string]string{"tenant_id": "t2", "domain_id": "d1"})
	f.do("create_port", map[string]string{"port_id": "p1", "subnet_id": "s1", "tenant_id": "t1"})
	// The record exists, so the create acts as its update (§3): its scope is the record's, not the parameters'.
	op := f.set("create_port", map[string]string{"port_id": "p1", "subnet_id": "s1", "tenant_id": "t2"})
	assert.Equal(t, "t1", f.s.Names.String(f.s.ScopeOf(op, f.prop.Scope, -1)))
}
