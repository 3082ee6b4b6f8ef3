package cloudgen

import "fmt"

// OpenStack is a generated OpenStack cloud: its sizes and seed. Its methods say
// what any record is; nothing is stored.
//
// Layout: record i of a per-tenant type (network, router, port, VM, user's home)
// belongs to tenant i mod Tenants; tenant t is in domain t mod Domains; subnet s
// is on network s mod Networks. A port is on one of its tenant's subnets and is
// either bound to one of its tenant's VMs (compute:nova), a DHCP port
// (network:dhcp), a router interface of one of its tenant's routers
// (network:router_interface), or unbound. The cloud satisfies every shipped
// OpenStack property: no VM port is network-owned, every grant stays in the
// user's domain, tenants that avoid each other share no host.
type OpenStack struct {
	Seed  uint64
	Sizes Sizes
}

// NewOpenStack is the cloud of these sizes and seed.
func NewOpenStack(seed uint64, s Sizes) *OpenStack {
	return &OpenStack{Seed: seed, Sizes: s.Normalize()}
}

// PortKind is what a port is attached to.
type PortKind uint8

// Port kinds, and their shares of the generated ports.
const (
	Unbound   PortKind = iota // no device: 12%
	Compute                   // bound to a VM of its tenant: 70%
	DHCP                      // a network's DHCP port: 10%
	RouterIfc                 // a router interface: 8%
)

// Device owners of the port kinds.
var deviceOwners = [...]string{Unbound: "", Compute: "compute:nova", DHCP: "network:dhcp", RouterIfc: "network:router_interface"}

// Owner is the device_owner Neutron shows for a port of this kind.
func (k PortKind) Owner() string { return deviceOwners[k] }

// perTenant counts the records i < n with i mod T == t.
func perTenant(n, T, t int) int {
	if t >= n {
		return 0
	}
	return (n - t + T - 1) / T
}

// nth is the j-th record (mod the tenant's count) of a per-tenant type, -1 when the tenant has none.
func nth(n, T, t, j int) int {
	c := perTenant(n, T, t)
	if c == 0 {
		return -1
	}
	return t + T*(j%c)
}

// Ids.

func (c *OpenStack) DomainID(d int) string  { return hexID(c.Seed, kDomain, d) }
func (c *OpenStack) ProjectID(t int) string { return hexID(c.Seed, kProject, t) }
func (c *OpenStack) UserID(u int) string    { return hexID(c.Seed, kUser, u) }
func (c *OpenStack) GroupID(g int) string   { return hexID(c.Seed, kGroup, g) }
func (c *OpenStack) NetworkID(n int) string { return uuid(c.Seed, kNetwork, n) }
func (c *OpenStack) SubnetID(s int) string  { return uuid(c.Seed, kSubnet, s) }
func (c *OpenStack) RouterID(r int) string  { return uuid(c.Seed, kRouter, r) }
func (c *OpenStack) PortID(p int) string    { return uuid(c.Seed, kPort, p) }
func (c *OpenStack) VMID(v int) string      { return uuid(c.Seed, kVM, v) }

// RoleID is the id of role q: the global roles first, then RolesPerTenant per tenant.
func (c *OpenStack) RoleID(q int) string { return hexID(c.Seed, kRole, q) }

// HostName is hypervisor h's name, the host a server runs on.
func (c *OpenStack) HostName(h int) string { return fmt.Sprintf("compute-%05d", h) }

// Structure.

// DomainOf is the domain of tenant t.
func (c *OpenStack) DomainOf(t int) int { return t % c.Sizes.Domains }

// TenantOf is the tenant of record i of a per-tenant type.
func (c *OpenStack) TenantOf(i int) int { return i % c.Sizes.Tenants }

// NetworkOfSubnet is the network of subnet s.
func (c *OpenStack) NetworkOfSubnet(s int) int { return s % c.Sizes.Networks }

// PortNetwork is the subnet and network of port p: one of its tenant's.
func (c *OpenStack) PortSubnet(p int) (subnet, network int) {
	S := c.Sizes
	t, j := c.TenantOf(p), p/S.Tenants
	network = nth(S.Networks, S.Tenants, t, j)
	subnet = nth(S.Subnets, S.Networks, network, j/perTenant(S.Networks, S.Tenants, t))
	return subnet, network
}

// PortKind is what port p is attached to in the generated cloud, and the index of its
// VM (Compute) or router (RouterIfc); a tenant without VMs or routers gets unbound ports.
func (c *OpenStack) PortKind(p int) (PortKind, int) {
	S := c.Sizes
	t, j := c.TenantOf(p), p/S.Tenants
	x := frac(rnd(c.Seed, kPort, p, 1))
	switch {
	case x < 0.70:
		if v := nth(S.VMs, S.Tenants, t, j); v >= 0 {
			return Compute, v
		}
	case x < 0.80:
		return DHCP, -1
	case x < 0.88:
		if r := nth(S.Routers, S.Tenants, t, j); r >= 0 {
			return RouterIfc, r
		}
	}
	return Unbound, -1
}

// DHCPDevice is the device_id of network n's DHCP port, as Neutron names it.
func (c *OpenStack) DHCPDevice(n int) string {
	return "dhcp" + uuid(c.Seed, kDHCP, n%max(c.Sizes.Hosts, 1)) + "-" + c.NetworkID(n)
}

// PortDevice is port p's device_owner and device_id.
func (c *OpenStack) PortDevice(p int) (owner, device string) {
	k, i := c.PortKind(p)
	switch k {
	case Compute:
		return k.Owner(), c.VMID(i)
	case RouterIfc:
		return k.Owner(), c.RouterID(i)
	case DHCP:
		_, n := c.PortSubnet(p)
		return k.Owner(), c.DHCPDevice(n)
	}
	return "", ""
}

// HostOf is the host VM v runs on.
func (c *OpenStack) HostOf(v int) int { return int(rnd(c.Seed, kVM, v, 2) % uint64(c.Sizes.Hosts)) }

// NetworkShared says whether network n is shared (1 in 100 is).
func (c *OpenStack) NetworkShared(n int) bool { return rnd(c.Seed, kNetwork, n, 3)%100 == 0 }

// Avoid is tenant t's avoid-list: for a share of tenants, one tenant whose VMs
// share no host with t's (so the cloud satisfies no_co_residency); -1 when none.
func (c *OpenStack) Avoid(t int) int {
	S := c.Sizes
	if S.Tenants < 2 || frac(rnd(c.Seed, kProject, t, 4)) >= S.AvoidShare {
		return -1
	}
	mine := c.tenantHosts(t)
	for try := range 8 {
		u := int(rnd(c.Seed, kProject, t, 5+uint64(try)) % uint64(S.Tenants))
		if u != t && disjoint(mine, c.tenantHosts(u)) {
			return u
		}
	}
	return -1
}

func (c *OpenStack) tenantHosts(t int) map[int]bool {
	S := c.Sizes
	hs := map[int]bool{}
	for v := t; v < S.VMs; v += S.Tenants {
		hs[c.HostOf(v)] = true
	}
	return hs
}

func disjoint(a, b map[int]bool) bool {
	for h := range a {
		if b[h] {
			return false
		}
	}
	return true
}

// Roles: q < len(GlobalRoles) are global; the others belong to tenant (q-G) mod T's domain.

// Roles is the number of roles.
func (c *OpenStack) Roles() int { return len(GlobalRoles) + c.Sizes.Tenants*c.Sizes.RolesPerTenant }

// RoleDomain is role q's domain, -1 for a global role.
func (c *OpenStack) RoleDomain(q int) int {
	if q < len(GlobalRoles) {
		return -1
	}
	return c.DomainOf((q - len(GlobalRoles)) % c.Sizes.Tenants)
}

// RoleName is role q's name, unique in its domain.
func (c *OpenStack) RoleName(q int) string {
	if q < len(GlobalRoles) {
		return GlobalRoles[q]
	}
	i := q - len(GlobalRoles)
	return fmt.Sprintf("project-%06d-role-%d", i%c.Sizes.Tenants, i/c.Sizes.Tenants)
}

// TenantRole is the k-th domain role created for tenant t.
func (c *OpenStack) TenantRole(t, k int) int { return len(GlobalRoles) + t + c.Sizes.Tenants*k }

// UserDomain is user u's domain: its home tenant's.
func (c *OpenStack) UserDomain(u int) int { return c.DomainOf(c.TenantOf(u)) }

// DomainProject is the j-th project (mod their number) of domain d, -1 when it has none.
func (c *OpenStack) DomainProject(d, j int) int { return nth(c.Sizes.Tenants, c.Sizes.Domains, d, j) }

// Assignment is role assignment a: a user gets a role on a project of its own
// domain, either the global role "member" or a role of that domain.
func (c *OpenStack) Assignment(a int) (user, project, role int) {
	S := c.Sizes
	user = a % S.Users
	j := a / S.Users
	home := c.TenantOf(user)
	d := c.DomainOf(home)
	project = c.DomainProject(d, home/S.Domains+j)
	if S.RolesPerTenant == 0 || rnd(c.Seed, kUser, a, 6)%2 == 0 {
		return user, project, 1 // member
	}
	return user, project, c.TenantRole(project, int(rnd(c.Seed, kUser, a, 7)%uint64(S.RolesPerTenant)))
}

// Assignments is the number of role assignments.
// GroupAndDomainAssignments counts the group and domain assignments (see extraAssignmentRec).
func (c *OpenStack) GroupAndDomainAssignments() int {
	return 2*c.Sizes.Groups + (c.Sizes.Users+19)/20
}

// Memberships counts the group memberships: every 10th user, when its domain has a group.
func (c *OpenStack) Memberships() int { return c.Sizes.memberships() }

func (c *OpenStack) Assignments() int {
	if c.Sizes.Users == 0 {
		return 0
	}
	return c.Sizes.Users * c.Sizes.AssignmentsPerUser
}
