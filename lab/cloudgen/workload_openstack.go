package cloudgen

import (
	"fmt"
)

// osTenant is what the OpenStack generator knows of one project.
type osTenant struct {
	id, domain  string
	net, subnet string
	free        []string  // ports bound to no VM
	bound       []binding // ports bound to a VM
	users       []string
}

type binding struct{ port, vm string }

type osGen struct {
	*wgen
	tenants []*osTenant
	domains []string
	hosts   []string
	roles   []string // global roles
	grants  []string // assignment ids "user:project:role"
}

// OpenStack generates a cloud for specs/openstack: domains, projects, users,
// role assignments, one network and subnet per project, ports (a DHCP port,
// then half bound to VMs) and servers on hypervisors; then a stream in which
// ports are created, bound, unbound and deleted, ports are updated (some to a
// network owner: allowed on free ports, denied on bound ones), networks are
// added, VMs boot, move and go, and roles are granted (some across domains)
// and revoked.
func OpenStackWorkload(cfg WorkloadConfig) *Workload {
	g := &osGen{wgen: newWGen(cfg), roles: []string{"member", "reader", "owner", "admin", "auditor"}}
	g.snapshot()
	for range cfg.Ops {
		g.op()
	}
	return g.w
}

func (g *osGen) snapshot() {
	nd := max(2, g.cfg.Tenants/50)
	for i := range nd {
		d := fmt.Sprintf("dom-%d", i)
		g.domains = append(g.domains, d)
		g.record("domains", map[string]any{"id": d, "name": d, "enabled": true})
		g.record("roles", map[string]any{"id": "role-ops-" + d, "name": "ops", "domain_id": d})
	}
	for _, r := range g.roles {
		g.record("roles", map[string]any{"id": "role-" + r, "name": r, "domain_id": nil})
	}
	for i := range max(2, g.cfg.Tenants/20) {
		h := fmt.Sprintf("cmp-%d", i)
		g.hosts = append(g.hosts, h)
		g.record("hypervisors", map[string]any{"id": i + 1, "hypervisor_hostname": h, "state": "up"})
	}
	for i := range g.cfg.Tenants {
		g.tenant(i)
	}
}

func (g *osGen) tenant(i int) {
	t := &osTenant{id: fmt.Sprintf("p-%d", i), domain: g.domains[i%len(g.domains)]}
	g.tenants = append(g.tenants, t)
	var avoid []any
	if i > 0 && g.r.IntN(50) == 0 {
		avoid = append(avoid, g.tenants[g.r.IntN(i)].id)
	}
	g.record("projects", map[string]any{"id": t.id, "name": t.id, "domain_id": t.domain, "enabled": true, "avoid": avoid})
	for _, u := range []string{"a", "b"} {
		uid := fmt.Sprintf("u-%d-%s", i, u)
		t.users = append(t.users, uid)
		g.record("users", map[string]any{"id": uid, "name": uid, "domain_id": t.domain, "enabled": true})
	}
	g.grants = append(g.grants, AssignmentID(t.users[0], t.id, "role-member"))
	g.record("role_assignments", map[string]any{"user": map[string]any{"id": t.users[0]}, "scope": map[string]any{"project": map[string]any{"id": t.id}}, "role": map[string]any{"id": "role-member"}})
	t.net, t.subnet = "net-"+t.id, "sub-"+t.id
	g.record("networks", map[string]any{"id": t.net, "name": t.net, "project_id": t.id, "tenant_id": t.id, "shared": false, "status": "ACTIVE"})
	g.record("subnets", map[string]any{"id": t.subnet, "network_id": t.net, "project_id": t.id, "cidr": fmt.Sprintf("10.%d.%d.0/24", i/256%256, i%256), "ip_version": 4})
	g.record("ports", g.portRecord(t, "dhcp-"+t.id, "network:dhcp", "dhcp-"+t.net))
	for k := 1; k < g.cfg.PortsPerTenant; k++ {
		port := fmt.Sprintf("port-%d-%d", i, k)
		if k%2 == 1 {
			vm := fmt.Sprintf("vm-%d-%d", i, k)
			t.bound = append(t.bound, binding{port, vm})
			g.record("servers", map[string]any{"id": vm, "name": vm, "tenant_id": t.id, "status": "ACTIVE", "OS-EXT-SRV-ATTR:host": g.host()})
			g.record("ports", g.portRecord(t, port, "compute:nova", vm))
			continue
		}
		t.free = append(t.free, port)
		g.record("ports", g.portRecord(t, port, "", ""))
	}
}

func (g *osGen) host() string { return g.hosts[g.r.IntN(len(g.hosts))] }

func (g *osGen) portRecord(t *osTenant, id, owner, device string) map[string]any {
	return map[string]any{"id": id, "network_id": t.net, "project_id": t.id, "tenant_id": t.id,
		"device_owner": owner, "device_id": device, "status": "ACTIVE",
		"fixed_ips": []any{map[string]any{"subnet_id": t.subnet, "ip_address": "10.0.0.1"}}}
}

// op emits one operation, chosen by weight.
func (g *osGen) op() {
	t := g.tenants[g.r.IntN(len(g.tenants))]
	switch n := g.r.IntN(100); {
	case n < 22:
		g.createPort(t)
	case n < 36:
		g.bind(t)
	case n < 44:
		g.unbind(t)
	case n < 52:
		g.deletePort(t)
	case n < 70:
		g.criticalUpdate(t)
	case n < 74:
		g.createNetwork(t)
	case n < 76:
		g.bootVM(t)
	case n < 77:
		g.deleteVM(t)
	case n < 92:
		g.grant(t)
	default:
		g.revoke()
	}
}

func (g *osGen) portNotification(event string, t *osTenant, id, owner, device string) {
	g.emit(map[string]any{"event_type": event, "publisher_id": "network.ctl", "priority": "INFO",
		"message_id": fmt.Sprintf("msg-%d", g.next()), "timestamp": "2026-11-22 10:00:00.000000",
		"payload": map[string]any{"port": g.portRecord(t, id, owner, device)}})
}

func (g *osGen) createPort(t *osTenant) {
	id := fmt.Sprintf("port-new-%d", g.next())
	t.free = append(t.free, id)
	if g.cfg.Native {
		g.portNotification("port.create.end", t, id, "", "")
		return
	}
	g.neutral("create_port", map[string]any{"port_id": id, "subnet_id": t.subnet, "network_id": t.net, "tenant_id": t.id})
}

func (g *osGen) bind(t *osTenant) {
	port, ok := pick(g.r, &t.free)
	if !ok {
		g.createPort(t)
		return
	}
	vm := fmt.Sprintf("vm-new-%d", g.next())
	t.bound = append(t.bound, binding{port, vm})
	if g.cfg.Native {
		g.portNotification("port.update.end", t, port, "compute:nova", vm)
		return
	}
	g.neutral("create_vm", map[string]any{"port_id": port, "vm_id": vm, "device_owner": "compute:nova"})
}

func (g *osGen) unbind(t *osTenant) {
	b, ok := pick(g.r, &t.bound)
	if !ok {
		g.bind(t)
		return
	}
	t.free = append(t.free, b.port)
	if g.cfg.Native {
		g.portNotification("port.update.end", t, b.port, "", "")
		return
	}
	g.neutral("detach_port", map[string]any{"port_id": b.port, "device_owner": ""})
}

func (g *osGen) deletePort(t *osTenant) {
	port, ok := pick(g.r, &t.free)
	if !ok {
		g.createPort(t)
		return
	}
	if g.cfg.Native {
		g.emit(map[string]any{"event_type": "port.delete.end", "publisher_id": "network.ctl", "message_id": fmt.Sprintf("msg-%d", g.next()),
			"payload": map[string]any{"port_id": port}})
		return
	}
	g.neutral("delete_port", map[string]any{"port_id": port})
}

// criticalUpdate makes a port network-owned: the OSSA-2015-018 move on a bound port, a legitimate one on a free port.
func (g *osGen) criticalUpdate(t *osTenant) {
	var port string
	if g.r.Float64() < g.cfg.AttackRate && len(t.bound) > 0 {
		port = t.bound[g.r.IntN(len(t.bound))].port
	} else {
		p, ok := pick(g.r, &t.free)
		if !ok {
			g.createPort(t)
			return
		}
		port = p // network-owned now: no longer a candidate for binding
	}
	if g.cfg.Native {
		g.emit(map[string]any{"method": "PUT", "path": "/v2.0/ports/" + port,
			"body": map[string]any{"port": map[string]any{"device_owner": "network:router_interface"}}, "token": map[string]any{"project_id": t.id}})
		return
	}
	g.neutral("update_port", map[string]any{"port_id": port, "device_owner": "network:router_interface"})
}

func (g *osGen) createNetwork(t *osTenant) {
	n := g.next()
	net, sub := fmt.Sprintf("net-new-%d", n), fmt.Sprintf("sub-new-%d", n)
	if g.cfg.Native {
		g.emit(map[string]any{"event_type": "network.create.end", "publisher_id": "network.ctl", "message_id": fmt.Sprintf("msg-%d", n),
			"payload": map[string]any{"network": map[string]any{"id": net, "project_id": t.id, "tenant_id": t.id, "shared": false}}})
		g.emit(map[string]any{"event_type": "subnet.create.end", "publisher_id": "network.ctl", "message_id": fmt.Sprintf("msg-%d", g.next()),
			"payload": map[string]any{"subnet": map[string]any{"id": sub, "network_id": net, "cidr": "192.168.0.0/24"}}})
		return
	}
	g.neutral("create_network", map[string]any{"network_id": net, "tenant_id": t.id, "shared": false})
	g.neutral("create_subnet", map[string]any{"subnet_id": sub, "network_id": net, "cidr": "192.168.0.0/24"})
}

func (g *osGen) bootVM(t *osTenant) {
	vm := fmt.Sprintf("vm-boot-%d", g.next())
	if g.cfg.Native {
		g.emit(map[string]any{"event_type": "instance.create.end", "publisher_id": "nova-compute:" + g.host(), "message_id": fmt.Sprintf("msg-%d", g.next()),
			"payload": map[string]any{"nova_object.name": "InstanceCreatePayload", "nova_object.namespace": "nova", "nova_object.version": "1.12",
				"nova_object.data": map[string]any{"uuid": vm, "tenant_id": t.id, "host": g.host(), "state": "active"}}})
		return
	}
	g.neutral("boot_vm", map[string]any{"vm_id": vm, "tenant_id": t.id, "host": g.host()})
}

func (g *osGen) deleteVM(t *osTenant) {
	b, ok := pick(g.r, &t.bound)
	if !ok {
		return
	}
	t.free = append(t.free, b.port)
	if g.cfg.Native {
		g.emit(map[string]any{"method": "DELETE", "path": "/v2.1/servers/" + b.vm, "token": map[string]any{"project_id": t.id}})
		return
	}
	g.neutral("delete_vm", map[string]any{"vm_id": b.vm})
}

// grant gives a user a role on a project: mostly its own, sometimes one of another domain (denied by common_ownership).
func (g *osGen) grant(t *osTenant) {
	user := t.users[g.r.IntN(len(t.users))]
	project := t.id
	if g.r.IntN(10) == 0 {
		project = g.tenants[g.r.IntN(len(g.tenants))].id
	}
	role := "role-" + g.roles[g.r.IntN(len(g.roles))]
	id := AssignmentID(user, project, role)
	g.grants = append(g.grants, id)
	if g.cfg.Native {
		g.emit(map[string]any{"method": "PUT", "path": "/v3/projects/" + project + "/users/" + user + "/roles/" + role, "token": map[string]any{"project_id": "admin"}})
		return
	}
	g.neutral("grant_role", map[string]any{"assignment_id": id, "user_id": user, "project_id": project, "role_id": role})
}

func (g *osGen) revoke() {
	id, ok := pick(g.r, &g.grants)
	if !ok {
		return
	}
	g.neutral("revoke_role", map[string]any{"assignment_id": id})
}
