package cloudgen

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Oracle is a plain in-memory OpenStack cloud for checking verifiers on small
// clouds: it loads a snapshot, applies neutral operations with the effects of
// docs/SEMANTICS.md §3, and evaluates the no_bypass and common_ownership
// invariants by scanning every record, as written in the specs.
type Oracle struct {
	Ports       map[string]*OraclePort
	VMs         map[string]string // id -> tenant
	Users       map[string]string // id -> domain
	Projects    map[string]string // id -> domain
	Roles       map[string]string // id -> domain ("" for a global role)
	Assignments map[string][3]string
}

// OraclePort is a port's tenant, owner and device.
type OraclePort struct {
	Tenant, Owner, Device string
	VM                    string // the VM the port is plugged into (Nova's binding), "" if none
}

// LoadOracle reads an OpenStack snapshot.
func LoadOracle(r io.Reader) (*Oracle, error) {
	var snap map[string][]map[string]any
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return nil, fmt.Errorf("oracle: %w", err)
	}
	o := &Oracle{Ports: map[string]*OraclePort{}, VMs: map[string]string{}, Users: map[string]string{},
		Projects: map[string]string{}, Roles: map[string]string{}, Assignments: map[string][3]string{}}
	for _, p := range snap["ports"] {
		port := &OraclePort{Tenant: str(p, "tenant_id"), Owner: str(p, "device_owner"), Device: str(p, "device_id")}
		if strings.HasPrefix(port.Owner, "compute:") {
			port.VM = port.Device // the snapshot's create_vm row
		}
		o.Ports[str(p, "id")] = port
	}
	for _, s := range snap["servers"] {
		o.VMs[str(s, "id")] = str(s, "tenant_id")
	}
	for _, u := range snap["users"] {
		o.Users[str(u, "id")] = str(u, "domain_id")
	}
	for _, p := range snap["projects"] {
		o.Projects[str(p, "id")] = str(p, "domain_id")
	}
	for _, q := range snap["roles"] {
		o.Roles[str(q, "id")] = str(q, "domain_id")
	}
	for _, a := range snap["role_assignments"] {
		u, p, q := str(a, "user", "id"), str(a, "scope", "project", "id"), str(a, "role", "id")
		if u == "" || p == "" || str(a, "scope", "OS-INHERIT:inherited_to") != "" {
			continue // the oracle checks users' direct project grants (common_ownership, no_bypass)
		}
		o.Assignments[AssignmentID(u, p, q)] = [3]string{u, p, q}
	}
	return o, nil
}

// str reads a string at a path of nested objects, "" when absent or not a string.
func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	s, _ := cur.(string)
	return s
}

// NoBypass is the no_bypass invariant: no port a VM is plugged into is network-owned.
func (o *Oracle) NoBypass() bool {
	for _, p := range o.Ports {
		if _, vm := o.VMs[p.VM]; vm && strings.HasPrefix(p.Owner, "network:") {
			return false
		}
	}
	return true
}

// CommonOwnership is the common_ownership invariant: grants stay in the user's domain.
func (o *Oracle) CommonOwnership() bool {
	for _, a := range o.Assignments {
		ud, uok := o.Users[a[0]]
		pd, pok := o.Projects[a[1]]
		if !uok || !pok {
			continue
		}
		if rd := o.Roles[a[2]]; pd != ud || (rd != "" && rd != ud) {
			return false
		}
	}
	return true
}

// Invariant evaluates a property's invariant by name.
func (o *Oracle) Invariant(property string) bool {
	if property == CommonOwnership {
		return o.CommonOwnership()
	}
	return o.NoBypass()
}

// Violates says whether applying the operation would break the property's invariant; the state is left as it was.
func (o *Oracle) Violates(property string, l Line) bool {
	undo := o.save(l)
	o.Apply(l)
	bad := !o.Invariant(property)
	undo()
	return bad
}

// save returns a function that restores the records an operation can change.
func (o *Oracle) save(l Line) func() {
	pid := param(l, "port_id")
	old, had := o.Ports[pid]
	var cp OraclePort
	if had {
		cp = *old
	}
	aid := param(l, "assignment_id")
	oldA, hadA := o.Assignments[aid]
	vid := param(l, "vm_id")
	oldV, hadV := o.VMs[vid]
	return func() {
		if had {
			*old = cp
			o.Ports[pid] = old
		} else {
			delete(o.Ports, pid)
		}
		if hadA {
			o.Assignments[aid] = oldA
		} else {
			delete(o.Assignments, aid)
		}
		if hadV {
			o.VMs[vid] = oldV
		} else {
			delete(o.VMs, vid)
		}
	}
}

func param(l Line, k string) string {
	s, _ := l.Params[k].(string)
	return s
}

func has(l Line, k string) bool {
	_, ok := l.Params[k]
	return ok
}

// Apply applies an operation (the events streams generate).
func (o *Oracle) Apply(l Line) {
	p := func(k string) string { return param(l, k) }
	switch l.Op {
	case "create_port", "create_network_port":
		if port, ok := o.Ports[p("port_id")]; ok {
			o.setPort(port, l)
			return
		}
		o.Ports[p("port_id")] = &OraclePort{Tenant: p("tenant_id"), Owner: p("device_owner"), Device: p("device_id")}
	case "update_port":
		if port, ok := o.Ports[p("port_id")]; ok {
			o.setPort(port, l)
		}
	case "create_vm":
		if port, ok := o.Ports[p("port_id")]; ok {
			if _, ok := o.VMs[p("vm_id")]; !ok {
				o.VMs[p("vm_id")] = port.Tenant
			}
			port.VM, port.Device = p("vm_id"), p("vm_id")
			if has(l, "device_id") {
				port.Device = p("device_id")
			}
			if has(l, "device_owner") {
				port.Owner = p("device_owner")
			}
		}
	case "detach_port":
		if port, ok := o.Ports[p("port_id")]; ok {
			port.VM, port.Device = "", ""
			if has(l, "device_owner") {
				port.Owner = p("device_owner")
			}
		}
	case "delete_port":
		delete(o.Ports, p("port_id"))
	case "boot_vm":
		if _, ok := o.VMs[p("vm_id")]; !ok {
			o.VMs[p("vm_id")] = p("tenant_id")
		}
	case "delete_vm":
		delete(o.VMs, p("vm_id"))
	default:
		o.applyIdentity(l)
	}
}

func (o *Oracle) applyIdentity(l Line) {
	p := func(k string) string { return param(l, k) }
	switch l.Op {
	case "create_user":
		o.Users[p("user_id")] = p("domain_id")
	case "create_project":
		o.Projects[p("project_id")] = p("domain_id")
	case "create_role":
		o.Roles[p("role_id")] = p("domain_id")
	case "grant_role":
		if _, ok := o.Assignments[p("assignment_id")]; !ok {
			o.Assignments[p("assignment_id")] = [3]string{p("user_id"), p("project_id"), p("role_id")}
		}
	case "revoke_role":
		delete(o.Assignments, p("assignment_id"))
	}
}

func (o *Oracle) setPort(port *OraclePort, l Line) {
	if has(l, "device_owner") {
		port.Owner = param(l, "device_owner")
	}
	if has(l, "device_id") {
		port.Device = param(l, "device_id")
	}
}
