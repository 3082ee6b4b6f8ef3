package state_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime/state"
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

func TestScopeByOfTheCreateOfTheScopeByRecord(t *testing.T) {
	res, err := compiler.CompileDir("../../specs/openstack")
	require.NoError(t, err)
	p := res.Spec.Property("common_ownership")
	m := res.Spec.Models[p.Model]
	s := state.New(res.Spec, p.Model)
	var op state.Op
	ev := m.EventIndex("create_user")
	op.Reset(ev, len(m.Events[ev].Params))
	op.Set(int(m.Events[ev].ParamIndex("user_id")), state.Str(s.Names.Intern("alice")))
	op.Set(int(m.Events[ev].ParamIndex("domain_id")), state.Str(s.Names.Intern("acme")))
	// common_ownership is scoped by the user: a new user's scope is the domain it is created in.
	assert.Equal(t, "acme", s.Names.String(s.ScopeOf(&op, p.Scope, p.ScopeBy)))
}
