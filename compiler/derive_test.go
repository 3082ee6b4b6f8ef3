package compiler_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/lab/golden"
	"pvsc.dev/pvsc/tables"
)

// TestDerivedPlansOfShippedSpecs keeps, for every shipped property, the plan derive
// computes from its invariant alone, or why it cannot (the proofs are in solver).
func TestDerivedPlansOfShippedSpecs(t *testing.T) {
	for _, dir := range []string{"openstack", "music"} {
		t.Run(dir, func(t *testing.T) {
			res, err := compiler.CompileDirDerived(filepath.Join("..", "specs", dir))
			require.NoError(t, err)
			c := golden.Load(t, filepath.Join("testdata", "derive", dir+".txtar"))
			for _, p := range res.Spec.Properties {
				if d := res.Derived[p.Name]; d != nil {
					c.Check(t, p.Name+".plan", []byte(d.Text("")))
				} else {
					c.Check(t, p.Name+".underived", []byte(res.Underived[p.Name]+"\n"))
				}
			}
			c.Save(t)
		})
	}
}

const portModel = `model m {
  entity tenant
  entity net in tenant { shared: bool }
  entity port in net, tenant { owner: string }
  event create_net creates net (net_id: net, tenant_id: tenant, shared: bool)
  event update_net updates net (net_id: net, shared: bool)
  event delete_net deletes net (net_id: net)
  event create_port creates port (port_id: port, net_id: net, tenant_id: tenant, owner: string)
  event update_port updates port (port_id: port, owner: string)
}
`

// A property that gives only its invariant compiles with the derived plan, as if it were
// written in the property: critical events, conditions, allow rules, the scope and N-th.
func TestAPropertyWithoutAPlanGetsTheDerivedOne(t *testing.T) {
	res, err := compiler.CompileSources("m", map[string][]byte{"m.pvsc": []byte(portModel), "p.pvsc": []byte(`property own_net on m {
  invariant ` + "`" + `cloud.ports.all(p, !(p.net in cloud.net_ids) || cloud.net_by_id[p.net].tenant == p.tenant || cloud.net_by_id[p.net].shared)` + "`" + `
  enforce alert
}
`)})
	require.NoError(t, err)
	p := res.Spec.Property("own_net")
	require.NotNil(t, p)
	m := res.Spec.Models[p.Model]
	var crit []string
	fast := map[string]bool{}
	for _, c := range p.Criticals {
		w := ""
		if c.When != nil {
			w = " when " + c.When.Src
		}
		crit = append(crit, m.Events[c.Event].Name+w)
		fast[m.Events[c.Event].Name] = c.Allow.Fast != nil
	}
	// Unsharing a network is critical (its ports are checked through the index by
	// network); so is a new port (or a re-delivered one), its tenant read as the scope.
	// Creating or deleting a network cannot break it (ids are fresh; a port on a deleted
	// network is skipped), nor can an update of a port's owner.
	assert.Equal(t, []string{"update_net when !op.shared", "create_port"}, crit)
	assert.True(t, fast["create_port"], "a new port's rule is lookups: it runs in the fast form")
	assert.Contains(t, p.Criticals[1].Allow.Src, "== tenant")
	assert.Equal(t, "tenant", m.Entities[p.Scope].Name)
	assert.Equal(t, tables.Alert, p.Enforce)
	assert.Equal(t, p.NMax, p.Threshold, "without a threshold, every scope is ready")
	assert.Empty(t, p.Watchlist.Inits, "the derived watchlist only names the scope")
	require.Contains(t, res.Derived, "own_net")
	assert.Empty(t, compiler.Coverage(res), "derive chose the critical events: no coverage warning")
}

// A property with a hand-written plan keeps it; CompileDirDerived sets it aside.
func TestHandWrittenPlansAreKeptUnlessDerivingAll(t *testing.T) {
	res, err := compiler.CompileDir("../specs/openstack")
	require.NoError(t, err)
	assert.NotContains(t, res.Derived, "no_bypass")
	assert.Contains(t, res.Derived, "router_owner_isolation", "shipped with its invariant only")
	all, err := compiler.CompileDirDerived("../specs/openstack")
	require.NoError(t, err)
	assert.Contains(t, all.Derived, "no_bypass")
	assert.Contains(t, all.Underived["role_cardinality"], "`cloud.assignments` reads more than records looked up by a key")
	// The underived property keeps its own plan.
	assert.Equal(t, "holders", all.Spec.Property("role_cardinality").Watchlist.Name)
	// separation_of_duties reaches a user's holdings through the indexes by user and group.
	// Removing a member only takes holdings away: the deleted membership is out of the range
	// its user's memberships are read from, so remove_member is not critical (reading it with
	// its fields zeroed would look up the group "", which records with an empty reference hold).
	require.Contains(t, all.Derived, "separation_of_duties")
	sod := all.Derived["separation_of_duties"].Text("")
	assert.NotContains(t, sod, "critical remove_member")
	assert.Contains(t, sod, "critical add_member")
	assert.NotContains(t, sod, "\nrare ", "every rule is lookups and indexes: no scan")
	assert.NotContains(t, sod, "critical create_role", "a new role's id is fresh: no assignment names it yet")
	assert.Contains(t, sod, "cloud.memberships_by_group[op.group_id].all(", "a group's grant reaches its members' holdings through the index by group")
	// no_co_residency reaches the VMs on a host through the index by host: derived, and a
	// migration that moves a VM onto a host is checked against that host's VMs.
	require.Contains(t, all.Derived, "no_co_residency")
	// A migration moves the VM between two hosts' ranges: the VMs of those two hosts are
	// checked, found by the index, not scanned.
	coRes := all.Derived["no_co_residency"].Text("")
	assert.NotContains(t, coRes, "rare migrate_vm")
	assert.Contains(t, coRes, "cloud.vms_by_host[op.host].all(v,")
	assert.True(t, strings.HasPrefix(all.Spec.Property("no_bypass").Watchlist.Name, "derived"))
}
