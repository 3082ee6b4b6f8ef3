// Package cloudgen generates seeded OpenStack and MuSIC clouds in the snapshot format, and operation streams over them.
//
// Every record is a pure function of the seed, the sizes and its index, so a
// cloud of a million ports is written as a stream without being held in memory,
// and the operation stream can ask what any record looks like.
package cloudgen

import (
	"fmt"
	"math"
)

// Sizes are the entity counts of an OpenStack cloud.
type Sizes struct {
	Domains  int
	Tenants  int // Keystone projects, Neutron/Nova tenants
	Users    int
	Groups   int
	Networks int
	Subnets  int
	Routers  int
	Ports    int
	VMs      int
	Hosts    int // hypervisors
	// RolesPerTenant domain-specific roles exist per tenant, owned by the tenant's domain
	// (the paper's "5 roles in each tenant"); GlobalRoles global roles exist besides.
	RolesPerTenant int
	// AssignmentsPerUser role assignments per user, on projects of the user's domain.
	AssignmentsPerUser int
	// AvoidShare is the share of tenants with an avoid-list (no_co_residency).
	AvoidShare float64
}

// GlobalRoles are the global (domain-less) roles every generated cloud has.
var GlobalRoles = []string{"admin", "member", "reader"}

// Paper is the paper's largest dataset (§4.2): 100,000 users, 10,000 tenants,
// 500 domains, 100,000 VMs, 40,000 subnets, 20,000 routers, 100,000 ports and
// 5 roles per tenant. Networks (not given) are half the subnets; hosts one per 20 VMs.
func Paper() Sizes {
	return Sizes{
		Domains: 500, Tenants: 10_000, Users: 100_000, Groups: 1_000,
		Networks: 20_000, Subnets: 40_000, Routers: 20_000, Ports: 100_000,
		VMs: 100_000, Hosts: 5_000, RolesPerTenant: 5, AssignmentsPerUser: 1, AvoidShare: 0.01,
	}
}

// GridPoints is the number of datasets of the paper's grid.
const GridPoints = 10

// Dataset is point i (1..10) of the paper's grid: the varied factors, ports
// (10,000·i) and tenants (1,000·i), with everything else at the largest value.
func Dataset(i int) Sizes {
	s := Paper()
	s.Ports = 10_000 * i
	s.Tenants = 1_000 * i
	return s.Normalize()
}

// Scale multiplies every count by f (10 gives the 10× cloud: a million ports and users).
func (s Sizes) Scale(f float64) Sizes {
	m := func(n int) int { return int(math.Round(float64(n) * f)) }
	s.Domains, s.Tenants, s.Users, s.Groups = m(s.Domains), m(s.Tenants), m(s.Users), m(s.Groups)
	s.Networks, s.Subnets, s.Routers, s.Ports = m(s.Networks), m(s.Subnets), m(s.Routers), m(s.Ports)
	s.VMs, s.Hosts = m(s.VMs), m(s.Hosts)
	return s.Normalize()
}

// Normalize raises counts the generator's layout needs: at least one domain and
// tenant, a network per tenant and a subnet per network, one host.
func (s Sizes) Normalize() Sizes {
	s.Domains = max(s.Domains, 1)
	s.Tenants = max(s.Tenants, 1)
	s.Networks = max(s.Networks, s.Tenants)
	s.Subnets = max(s.Subnets, s.Networks)
	s.Hosts = max(s.Hosts, 1)
	s.Users, s.Groups, s.Routers = max(s.Users, 0), max(s.Groups, 0), max(s.Routers, 0)
	s.Ports, s.VMs = max(s.Ports, 0), max(s.VMs, 0)
	s.RolesPerTenant, s.AssignmentsPerUser = max(s.RolesPerTenant, 0), max(s.AssignmentsPerUser, 0)
	return s
}

// Records is the number of records a snapshot of these sizes holds.
func (s Sizes) Records() int {
	return s.Domains + s.Tenants + s.Users + s.Groups + len(GlobalRoles) + s.Tenants*s.RolesPerTenant +
		s.Users*s.AssignmentsPerUser + 2*s.Groups + (s.Users+19)/20 + s.memberships() +
		s.Networks + s.Subnets + s.Routers + s.Ports + s.VMs + s.Hosts
}

// memberships is how many group memberships a snapshot holds (OpenStack.Memberships).
func (s Sizes) memberships() int {
	if s.Groups < s.Domains {
		return 0
	}
	return (s.Users + 9) / 10
}

func (s Sizes) String() string {
	return fmt.Sprintf("%d ports, %d tenants, %d domains, %d users, %d VMs, %d networks, %d subnets, %d routers, %d hosts, %d roles/tenant",
		s.Ports, s.Tenants, s.Domains, s.Users, s.VMs, s.Networks, s.Subnets, s.Routers, s.Hosts, s.RolesPerTenant)
}
