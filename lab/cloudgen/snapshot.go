package cloudgen

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// snapWriter streams one JSON object of collections, a record per line.
type snapWriter struct {
	w     *bufio.Writer
	buf   []byte
	colls int
	p     *Progress
}

func newSnapWriter(w io.Writer, p *Progress) *snapWriter {
	return &snapWriter{w: bufio.NewWriterSize(w, 1<<20), p: p}
}

// collection writes "name": [rec(0), ..., rec(n-1)].
func (s *snapWriter) collection(name string, n int, rec func(b []byte, i int) []byte) error {
	sep := "{\n"
	if s.colls > 0 {
		sep = ",\n"
	}
	s.colls++
	s.w.WriteString(sep)
	s.w.Write(appendString(nil, name))
	s.w.WriteString(": [")
	for i := range n {
		if i > 0 {
			s.w.WriteByte(',')
		}
		s.w.WriteByte('\n')
		s.buf = rec(s.buf[:0], i)
		if _, err := s.w.Write(s.buf); err != nil {
			return err
		}
		if i&1023 == 1023 {
			s.p.Add(1024)
		}
	}
	s.p.Add(n & 1023)
	_, err := s.w.WriteString("\n]")
	return err
}

func (s *snapWriter) close() error {
	if s.colls == 0 {
		s.w.WriteString("{")
	}
	s.w.WriteString("\n}\n")
	return s.w.Flush()
}

// WriteSnapshot writes the cloud as OpenStack's list APIs return it: one JSON
// object whose keys are the collections (domains, projects, users, groups,
// roles, role_assignments, networks, subnets, routers, ports, servers,
// hypervisors), one record per line. p may be nil.
func (c *OpenStack) WriteSnapshot(w io.Writer, p *Progress) error {
	S := c.Sizes
	sw := newSnapWriter(w, p)
	colls := []struct {
		name string
		n    int
		rec  func([]byte, int) []byte
	}{
		{"domains", S.Domains, c.domainRec},
		{"projects", S.Tenants, c.projectRec},
		{"users", S.Users, c.userRec},
		{"groups", S.Groups, c.groupRec},
		{"roles", c.Roles(), c.roleRec},
		{"role_assignments", c.Assignments() + c.GroupAndDomainAssignments(), c.roleAssignmentRec},
		{"group_memberships", c.Memberships(), c.membershipRec},
		{"networks", S.Networks, c.networkRec},
		{"subnets", S.Subnets, c.subnetRec},
		{"routers", S.Routers, c.routerRec},
		{"ports", S.Ports, c.portRec},
		{"servers", S.VMs, c.serverRec},
		{"hypervisors", S.Hosts, c.hostRec},
	}
	for _, cl := range colls {
		if err := sw.collection(cl.name, cl.n, cl.rec); err != nil {
			return fmt.Errorf("write %s: %w", cl.name, err)
		}
	}
	return sw.close()
}

func (c *OpenStack) domainRec(b []byte, d int) []byte {
	return newObj(b).str("id", c.DomainID(d)).str("name", fmt.Sprintf("domain-%04d", d)).
		str("description", "").boolean("enabled", true).done()
}

func (c *OpenStack) projectRec(b []byte, t int) []byte {
	dom := c.DomainID(c.DomainOf(t))
	o := newObj(b).str("id", c.ProjectID(t)).str("name", fmt.Sprintf("project-%06d", t)).
		str("domain_id", dom).str("parent_id", dom).str("description", "").
		boolean("enabled", true).boolean("is_domain", false)
	if u := c.Avoid(t); u >= 0 {
		o.strs("avoid", []string{c.ProjectID(u)})
	}
	return o.done()
}

func (c *OpenStack) userRec(b []byte, u int) []byte {
	return newObj(b).str("id", c.UserID(u)).str("name", fmt.Sprintf("user-%07d", u)).
		str("domain_id", c.DomainID(c.UserDomain(u))).boolean("enabled", true).done()
}

func (c *OpenStack) groupRec(b []byte, g int) []byte {
	return newObj(b).str("id", c.GroupID(g)).str("name", fmt.Sprintf("group-%05d", g)).
		str("domain_id", c.DomainID(g%c.Sizes.Domains)).str("description", "").done()
}

func (c *OpenStack) roleRec(b []byte, q int) []byte {
	dom := ""
	if d := c.RoleDomain(q); d >= 0 {
		dom = c.DomainID(d)
	}
	return newObj(b).str("id", c.RoleID(q)).str("name", c.RoleName(q)).strOrNull("domain_id", dom).done()
}

// roleAssignmentRec is one record of Keystone's role assignment list: the users' project
// assignments first, then the groups' and the domain ones.
func (c *OpenStack) roleAssignmentRec(b []byte, a int) []byte {
	if a < c.Assignments() {
		return c.assignmentRec(b, a)
	}
	return c.extraAssignmentRec(b, a-c.Assignments())
}

// extraAssignmentRec: per group, a project assignment and an inherited domain assignment of
// a global role in the group's own domain; every 20th user, a domain assignment (every 40th
// inherited) of a global role on its own domain. All comply with every shipped property.
func (c *OpenStack) extraAssignmentRec(b []byte, i int) []byte {
	G := c.Sizes.Groups
	role := c.RoleID(2) // reader: global, neither capped nor in a conflict
	scope := func(o *obj, kind, id string, inherited bool) {
		o.key("scope").b = append(o.b, `{"`+kind+`":`...)
		o.b = newObj(o.b).str("id", id).done()
		if inherited {
			o.b = append(o.b, `,"OS-INHERIT:inherited_to":"projects"`...)
		}
		o.b = append(o.b, '}')
	}
	switch {
	case i < G:
		d := i % c.Sizes.Domains
		o := newObj(b).id("group", c.GroupID(i))
		scope(o, "project", c.ProjectID(c.DomainProject(d, 0)), false)
		return o.id("role", role).done()
	case i < 2*G:
		g := i - G
		o := newObj(b).id("group", c.GroupID(g))
		scope(o, "domain", c.DomainID(g%c.Sizes.Domains), true)
		return o.id("role", role).done()
	}
	u := (i - 2*G) * 20
	o := newObj(b).id("user", c.UserID(u))
	scope(o, "domain", c.DomainID(c.UserDomain(u)), u%40 == 0)
	return o.id("role", role).done()
}

// membershipRec: user u is a member of the first group of its own domain (every 10th user).
func (c *OpenStack) membershipRec(b []byte, m int) []byte {
	u := m * 10
	return newObj(b).str("group_id", c.GroupID(c.UserDomain(u))).str("user_id", c.UserID(u)).done()
}

func (c *OpenStack) assignmentRec(b []byte, a int) []byte {
	u, p, q := c.Assignment(a)
	o := newObj(b).id("user", c.UserID(u))
	o.key("scope").b = append(o.b, `{"project":`...)
	o.b = append(newObj(o.b).str("id", c.ProjectID(p)).done(), '}')
	return o.id("role", c.RoleID(q)).done()
}

func (c *OpenStack) networkRec(b []byte, n int) []byte {
	t := c.TenantOf(n)
	var subnets []string
	for s := n; s < c.Sizes.Subnets; s += c.Sizes.Networks {
		subnets = append(subnets, c.SubnetID(s))
	}
	return newObj(b).str("id", c.NetworkID(n)).str("name", fmt.Sprintf("net-%06d", n)).
		str("project_id", c.ProjectID(t)).str("tenant_id", c.ProjectID(t)).
		boolean("shared", c.NetworkShared(n)).str("status", "ACTIVE").boolean("admin_state_up", true).
		strs("subnets", subnets).done()
}

// cidr is subnet s's 10.a.b.0/24.
func cidr(s int) string {
	return "10." + strconv.Itoa(s>>8&255) + "." + strconv.Itoa(s&255) + ".0/24"
}

func (c *OpenStack) subnetRec(b []byte, s int) []byte {
	n := c.NetworkOfSubnet(s)
	t := c.TenantOf(n)
	return newObj(b).str("id", c.SubnetID(s)).str("name", fmt.Sprintf("subnet-%06d", s)).
		str("network_id", c.NetworkID(n)).str("project_id", c.ProjectID(t)).str("tenant_id", c.ProjectID(t)).
		str("cidr", cidr(s)).num("ip_version", 4).
		str("gateway_ip", "10."+strconv.Itoa(s>>8&255)+"."+strconv.Itoa(s&255)+".1").done()
}

func (c *OpenStack) routerRec(b []byte, r int) []byte {
	t := c.TenantOf(r)
	return newObj(b).str("id", c.RouterID(r)).str("name", fmt.Sprintf("router-%06d", r)).
		str("project_id", c.ProjectID(t)).str("tenant_id", c.ProjectID(t)).
		str("status", "ACTIVE").boolean("admin_state_up", true).done()
}

func (c *OpenStack) portRec(b []byte, p int) []byte {
	s, n := c.PortSubnet(p)
	t := c.TenantOf(p)
	owner, device := c.PortDevice(p)
	o := newObj(b).str("id", c.PortID(p)).str("name", "").str("network_id", c.NetworkID(n)).
		str("project_id", c.ProjectID(t)).str("tenant_id", c.ProjectID(t)).
		str("device_owner", owner).str("device_id", device)
	o.key("fixed_ips").b = append(o.b, '[')
	o.b = append(newObj(o.b).str("subnet_id", c.SubnetID(s)).str("ip_address", c.portIP(p, s)).done(), ']')
	return o.str("mac_address", c.mac(p)).str("status", "ACTIVE").boolean("admin_state_up", true).done()
}

// portIP is port p's fixed IP on subnet s.
func (c *OpenStack) portIP(p, s int) string {
	return "10." + strconv.Itoa(s>>8&255) + "." + strconv.Itoa(s&255) + "." + strconv.Itoa(2+p%250)
}

func (c *OpenStack) mac(p int) string {
	x := rnd(c.Seed, kPort, p, 8)
	b := []byte("fa:16:3e")
	for i := range 3 {
		b = append(b, ':')
		b = appendHex(b, x>>(8*uint(i)), 2)
	}
	return string(b)
}

func (c *OpenStack) serverRec(b []byte, v int) []byte {
	t := c.TenantOf(v)
	host := c.HostName(c.HostOf(v))
	o := newObj(b).str("id", c.VMID(v)).str("name", fmt.Sprintf("vm-%07d", v)).str("tenant_id", c.ProjectID(t))
	if c.Sizes.Users > 0 {
		o.str("user_id", c.UserID(t%c.Sizes.Users))
	}
	return o.str("status", "ACTIVE").str("OS-EXT-SRV-ATTR:host", host).
		str("OS-EXT-SRV-ATTR:hypervisor_hostname", host).done()
}

func (c *OpenStack) hostRec(b []byte, h int) []byte {
	return newObj(b).str("id", uuid(c.Seed, kHost, h)).str("hypervisor_hostname", c.HostName(h)).
		str("state", "up").str("status", "enabled").done()
}
