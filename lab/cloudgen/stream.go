package cloudgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
)

// Properties whose critical operations a stream can generate.
const (
	NoBypass        = "no_bypass"
	CommonOwnership = "common_ownership"
)

// StreamProperties are the properties streams target by default.
var StreamProperties = []string{NoBypass, CommonOwnership}

// StreamConfig says what operation stream to generate.
type StreamConfig struct {
	// Critical is the share of operations critical for one of Properties.
	Critical float64
	// Violating is the share of critical operations that violate their property.
	Violating float64
	// Properties are the properties critical operations are drawn for (default StreamProperties).
	Properties []string
}

// Line is one operation in the neutral form {"op": ..., "params": {...}}, with
// what the generator meant by it: the property it is critical for, and whether
// it violates it (its expected verdict is deny, and it is not applied).
type Line struct {
	Op       string         `json:"op"`
	Params   map[string]any `json:"params"`
	Critical string         `json:"critical,omitempty"`
	Violates bool           `json:"violates,omitempty"`
}

// portState is a port as the stream has left it.
type portState struct {
	tenant, subnet int
	owner, device  string
	vm             int // the VM index device names, -1 if none
	deleted        bool
}

// Stream generates operations that are consistent with an OpenStack cloud and
// with the operations it generated before: it keeps only what it changed.
type Stream struct {
	c   *OpenStack
	cfg StreamConfig
	r   *rand.Rand

	ports       map[int]*portState
	nPorts      int
	vmTenant    map[int]int // VMs booted by the stream
	deadVMs     map[int]bool
	nVMs        int
	newNets     map[int]int // network -> tenant
	nNets       int
	nSubnets    int
	nRouters    int
	userDomain  map[int]int // users created by the stream
	nUsers      int
	nRoles      int
	revoked     map[string]bool
	weightTotal int
}

// NewStream starts a stream over the cloud; the same seed and cloud give the same stream.
func (c *OpenStack) NewStream(seed uint64, cfg StreamConfig) (*Stream, error) {
	if cfg.Properties == nil {
		cfg.Properties = StreamProperties
	}
	for _, p := range cfg.Properties {
		if p != NoBypass && p != CommonOwnership {
			return nil, fmt.Errorf("streams generate critical operations for %s, not %q", strings.Join(StreamProperties, " and "), p)
		}
	}
	if cfg.Critical < 0 || cfg.Critical > 1 || cfg.Violating < 0 || cfg.Violating > 1 {
		return nil, fmt.Errorf("critical and violating shares must be in [0, 1], got %g and %g", cfg.Critical, cfg.Violating)
	}
	S := c.Sizes
	g := &Stream{
		c: c, cfg: cfg, r: rand.New(rand.NewPCG(seed, c.Seed^0x5eed)),
		ports: map[int]*portState{}, nPorts: S.Ports, vmTenant: map[int]int{}, deadVMs: map[int]bool{},
		nVMs: S.VMs, newNets: map[int]int{}, nNets: S.Networks, nSubnets: S.Subnets, nRouters: S.Routers,
		userDomain: map[int]int{}, nUsers: S.Users, nRoles: c.Roles(), revoked: map[string]bool{},
	}
	for _, w := range nonCritical {
		g.weightTotal += w.weight
	}
	return g, nil
}

// Next is the next operation of the stream.
func (g *Stream) Next() Line {
	if len(g.cfg.Properties) > 0 && g.r.Float64() < g.cfg.Critical {
		p := g.cfg.Properties[g.r.IntN(len(g.cfg.Properties))]
		if l, ok := g.Critical(p, g.r.Float64() < g.cfg.Violating); ok {
			return l
		}
	}
	for {
		x := g.r.IntN(g.weightTotal)
		for _, w := range nonCritical {
			if x -= w.weight; x < 0 {
				if l, ok := w.gen(g); ok {
					return l
				}
				break
			}
		}
	}
}

// Write writes n operations as JSON lines. p may be nil.
func (g *Stream) Write(w io.Writer, n int, p *Progress) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	for i := range n {
		if err := enc.Encode(g.Next()); err != nil {
			return err
		}
		if i&255 == 255 {
			p.Add(256)
		}
	}
	p.Add(n & 255)
	return bw.Flush()
}

// Critical makes a critical operation for a property, violating it or not, on
// the stream's current state; false when the cloud has nothing to make it from.
// A violating operation is not applied (the verifier denies it).
func (g *Stream) Critical(property string, violate bool) (Line, bool) {
	var l Line
	var ok bool
	switch property {
	case NoBypass:
		l, ok = g.noBypass(violate)
	case CommonOwnership:
		l, ok = g.grant(violate)
	}
	if ok {
		l.Critical, l.Violates = property, violate
	}
	return l, ok
}

// weighted is one non-critical operation kind and its weight in the mix.
type weighted struct {
	weight int
	gen    func(*Stream) (Line, bool)
}

// nonCritical is the mix of non-critical operations: creates, attaches, updates, deletes and revokes.
var nonCritical = []weighted{
	{18, (*Stream).createPort},
	{14, (*Stream).attach},
	{10, (*Stream).bootVM},
	{6, (*Stream).detach},
	{5, (*Stream).renamePortOwner},
	{5, (*Stream).deletePort},
	{3, (*Stream).deleteVM},
	{3, (*Stream).createNetwork},
	{3, (*Stream).createSubnet},
	{2, (*Stream).createRouter},
	{2, (*Stream).networkPort},
	{6, (*Stream).createUser},
	{1, (*Stream).createRole},
	{5, (*Stream).revoke},
}

// ---- state

func (g *Stream) port(p int) *portState {
	if s, ok := g.ports[p]; ok {
		return s
	}
	c := g.c
	s, _ := c.PortSubnet(p)
	owner, device := c.PortDevice(p)
	vm := -1
	if k, i := c.PortKind(p); k == Compute {
		vm = i
	}
	return &portState{tenant: c.TenantOf(p), subnet: s, owner: owner, device: device, vm: vm}
}

func (g *Stream) setPort(p int, s *portState) { g.ports[p] = s }

func (g *Stream) vmAlive(v int) bool { return v >= 0 && v < g.nVMs && !g.deadVMs[v] }

func (g *Stream) vmTenantOf(v int) int {
	if t, ok := g.vmTenant[v]; ok {
		return t
	}
	return g.c.TenantOf(v)
}

// onVM says whether the port is bound to a VM that exists.
func (s *portState) onVM(g *Stream) bool { return s.vm >= 0 && g.vmAlive(s.vm) }

func (s *portState) networkOwned() bool { return strings.HasPrefix(s.owner, "network:") }

// pickPort finds a live port that satisfies ok, by sampling.
func (g *Stream) pickPort(ok func(*portState) bool) (int, *portState, bool) {
	if g.nPorts == 0 {
		return 0, nil, false
	}
	for range 64 {
		p := g.r.IntN(g.nPorts)
		if s := g.port(p); !s.deleted && ok(s) {
			return p, s, true
		}
	}
	return 0, nil, false
}

// pickVM finds a live VM, optionally of tenant t (t < 0: any).
func (g *Stream) pickVM(t int) (int, bool) {
	S := g.c.Sizes
	for range 64 {
		var v int
		if t >= 0 {
			if v = nth(S.VMs, S.Tenants, t, g.r.IntN(S.VMs/S.Tenants+1)); v < 0 {
				return 0, false
			}
		} else if g.nVMs == 0 {
			return 0, false
		} else {
			v = g.r.IntN(g.nVMs)
		}
		if g.vmAlive(v) {
			return v, true
		}
	}
	return 0, false
}

// tenantSubnet is a random subnet of tenant t, and its network.
func (g *Stream) tenantSubnet(t int) (int, int) {
	S := g.c.Sizes
	n := nth(S.Networks, S.Tenants, t, g.r.IntN(S.Networks/S.Tenants+1))
	return nth(S.Subnets, S.Networks, n, g.r.IntN(S.Subnets/S.Networks+1)), n
}

func line(op string, kv ...any) Line {
	params := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		params[kv[i].(string)] = kv[i+1]
	}
	return Line{Op: op, Params: params}
}

// ---- critical operations

// noBypass updates a port to network-owned, or creates a network-owned port:
// violating when the port's device is a VM (OSSA-2015-018).
func (g *Stream) noBypass(violate bool) (Line, bool) {
	owner := []string{"network:router_interface", "network:dhcp"}[g.r.IntN(2)]
	if violate {
		p, _, ok := g.pickPort(func(s *portState) bool { return s.onVM(g) && !s.networkOwned() })
		if !ok {
			return Line{}, false
		}
		// The exploit names the owner, and now and then clears device_id in the same call:
		// either way the port stays plugged into its VM.
		if g.r.IntN(3) == 0 {
			return line("update_port", "port_id", g.c.PortID(p), "device_owner", owner, "device_id", ""), true
		}
		return line("update_port", "port_id", g.c.PortID(p), "device_owner", owner), true
	}
	p, s, ok := g.pickPort(func(s *portState) bool { return !s.onVM(g) && !s.networkOwned() })
	if !ok {
		return Line{}, false
	}
	device := g.c.DHCPDevice(g.c.NetworkOfSubnet(s.subnet))
	if r := nth(g.c.Sizes.Routers, g.c.Sizes.Tenants, s.tenant, g.r.IntN(4)); owner == "network:router_interface" && r >= 0 {
		device = g.c.RouterID(r)
	}
	ns := *s
	ns.owner, ns.device, ns.vm = owner, device, -1
	g.setPort(p, &ns)
	return line("update_port", "port_id", g.c.PortID(p), "device_owner", owner, "device_id", device), true
}

// networkPort creates a DHCP port: a create plugs no VM, so it never violates no_bypass.
func (g *Stream) networkPort() (Line, bool) {
	t := g.r.IntN(g.c.Sizes.Tenants)
	s, n := g.tenantSubnet(t)
	device := g.c.DHCPDevice(n)
	p := g.nPorts
	g.nPorts++
	st := &portState{tenant: t, subnet: s, owner: "network:dhcp", device: device, vm: -1}
	g.setPort(p, st)
	return line("create_network_port", "port_id", g.c.PortID(p), "subnet_id", g.c.SubnetID(s),
		"network_id", g.c.NetworkID(n), "tenant_id", g.c.ProjectID(t), "device_owner", st.owner, "device_id", device), true
}

// grant gives a user a role on a project: violating when the project, or the
// role, belongs to another domain than the user's.
func (g *Stream) grant(violate bool) (Line, bool) {
	c := g.c
	D := c.Sizes.Domains
	for range 64 {
		if g.nUsers == 0 {
			return Line{}, false
		}
		u := g.r.IntN(g.nUsers)
		d := g.userDomainOf(u)
		p := c.DomainProject(d, g.r.IntN(c.Sizes.Tenants/D+1))
		if p < 0 {
			continue
		}
		role := 1 // member
		if c.Sizes.RolesPerTenant > 0 && g.r.IntN(2) == 0 {
			role = c.TenantRole(p, g.r.IntN(c.Sizes.RolesPerTenant))
		}
		if violate {
			if D < 2 {
				return Line{}, false
			}
			other := c.DomainProject((d+1+g.r.IntN(D-1))%D, g.r.IntN(c.Sizes.Tenants/D+1))
			if other < 0 {
				continue
			}
			if g.r.IntN(2) == 0 || c.Sizes.RolesPerTenant == 0 {
				p, role = other, 1
			} else {
				role = c.TenantRole(other, g.r.IntN(c.Sizes.RolesPerTenant))
			}
		}
		uid, pid, rid := c.UserID(u), c.ProjectID(p), c.RoleID(role)
		delete(g.revoked, AssignmentID(uid, pid, rid))
		return line("grant_role", "assignment_id", AssignmentID(uid, pid, rid), "user_id", uid, "project_id", pid, "role_id", rid), true
	}
	return Line{}, false
}

func (g *Stream) userDomainOf(u int) int {
	if d, ok := g.userDomain[u]; ok {
		return d
	}
	return g.c.UserDomain(u)
}

// ---- non-critical operations

func (g *Stream) createPort() (Line, bool) {
	t := g.r.IntN(g.c.Sizes.Tenants)
	s, n := g.tenantSubnet(t)
	p := g.nPorts
	g.nPorts++
	g.setPort(p, &portState{tenant: t, subnet: s, vm: -1})
	return line("create_port", "port_id", g.c.PortID(p), "subnet_id", g.c.SubnetID(s), "network_id", g.c.NetworkID(n),
		"tenant_id", g.c.ProjectID(t), "device_owner", "", "device_id", ""), true
}

// attach binds a VM of the port's tenant to an unbound port (Nova's port update).
func (g *Stream) attach() (Line, bool) {
	p, s, ok := g.pickPort(func(s *portState) bool { return s.owner == "" })
	if !ok {
		return Line{}, false
	}
	v, ok := g.pickVM(s.tenant)
	if !ok {
		return Line{}, false
	}
	ns := *s
	ns.owner, ns.device, ns.vm = "compute:nova", g.c.VMID(v), v
	g.setPort(p, &ns)
	return line("create_vm", "port_id", g.c.PortID(p), "vm_id", ns.device, "device_owner", ns.owner), true
}

func (g *Stream) bootVM() (Line, bool) {
	t := g.r.IntN(g.c.Sizes.Tenants)
	v := g.nVMs
	g.nVMs++
	g.vmTenant[v] = t
	return line("boot_vm", "vm_id", g.c.VMID(v), "tenant_id", g.c.ProjectID(t)), true
}

func (g *Stream) detach() (Line, bool) {
	p, s, ok := g.pickPort(func(s *portState) bool { return s.onVM(g) && !s.networkOwned() })
	if !ok {
		return Line{}, false
	}
	ns := *s
	ns.owner, ns.device, ns.vm = "", "", -1
	g.setPort(p, &ns)
	return line("detach_port", "port_id", g.c.PortID(p), "device_id", "", "device_owner", ""), true
}

// renamePortOwner moves a VM's port to another compute zone: an update that is not critical.
func (g *Stream) renamePortOwner() (Line, bool) {
	p, s, ok := g.pickPort(func(s *portState) bool { return s.onVM(g) && strings.HasPrefix(s.owner, "compute:") })
	if !ok {
		return Line{}, false
	}
	ns := *s
	ns.owner = []string{"compute:nova", "compute:az-2"}[g.r.IntN(2)]
	g.setPort(p, &ns)
	return line("update_port", "port_id", g.c.PortID(p), "device_owner", ns.owner), true
}

func (g *Stream) deletePort() (Line, bool) {
	p, s, ok := g.pickPort(func(*portState) bool { return true })
	if !ok {
		return Line{}, false
	}
	ns := *s
	ns.deleted = true
	g.setPort(p, &ns)
	return line("delete_port", "port_id", g.c.PortID(p)), true
}

func (g *Stream) deleteVM() (Line, bool) {
	v, ok := g.pickVM(-1)
	if !ok {
		return Line{}, false
	}
	g.deadVMs[v] = true
	return line("delete_vm", "vm_id", g.c.VMID(v)), true
}

func (g *Stream) createNetwork() (Line, bool) {
	t := g.r.IntN(g.c.Sizes.Tenants)
	n := g.nNets
	g.nNets++
	g.newNets[n] = t
	return line("create_network", "network_id", g.c.NetworkID(n), "tenant_id", g.c.ProjectID(t), "shared", false), true
}

func (g *Stream) createSubnet() (Line, bool) {
	n := g.r.IntN(g.nNets)
	s := g.nSubnets
	g.nSubnets++
	return line("create_subnet", "subnet_id", g.c.SubnetID(s), "network_id", g.c.NetworkID(n), "cidr", cidr(s)), true
}

func (g *Stream) createRouter() (Line, bool) {
	t := g.r.IntN(g.c.Sizes.Tenants)
	r := g.nRouters
	g.nRouters++
	return line("create_router", "router_id", g.c.RouterID(r), "tenant_id", g.c.ProjectID(t)), true
}

func (g *Stream) createUser() (Line, bool) {
	d := g.r.IntN(g.c.Sizes.Domains)
	u := g.nUsers
	g.nUsers++
	g.userDomain[u] = d
	return line("create_user", "user_id", g.c.UserID(u), "domain_id", g.c.DomainID(d)), true
}

func (g *Stream) createRole() (Line, bool) {
	d := g.r.IntN(g.c.Sizes.Domains)
	q := g.nRoles
	g.nRoles++
	return line("create_role", "role_id", g.c.RoleID(q), "domain_id", g.c.DomainID(d), "name", fmt.Sprintf("stream-role-%d", q)), true
}

// revoke removes one of the cloud's role assignments.
func (g *Stream) revoke() (Line, bool) {
	n := g.c.Assignments()
	if n == 0 {
		return Line{}, false
	}
	u, p, q := g.c.Assignment(g.r.IntN(n))
	id := AssignmentID(g.c.UserID(u), g.c.ProjectID(p), g.c.RoleID(q))
	if g.revoked[id] {
		return Line{}, false
	}
	g.revoked[id] = true
	return line("revoke_role", "assignment_id", id), true
}

// Lines collects n operations.
func (g *Stream) Lines(n int) []Line {
	out := make([]Line, 0, n)
	for range n {
		out = append(out, g.Next())
	}
	return slices.Clip(out)
}
