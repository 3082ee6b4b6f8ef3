package cloudgen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// Chaos draws facts with random ids of the snapshot: VMs moved to any host, roles granted
// to anyone (directly and through groups), ports and router interfaces on any network, a
// tenant past its port quota now and then, so that every property's invariant gets broken
// somewhere.
func Chaos(snap []byte, seed uint64, n int) ([]Line, error) {
	var doc map[string][]map[string]any
	if err := json.Unmarshal(snap, &doc); err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	pick := func(coll, key string) string {
		recs := doc[coll]
		if len(recs) == 0 {
			return "none"
		}
		s, _ := recs[r.IntN(len(recs))][key].(string)
		return s
	}
	admin := "admin"
	for _, q := range doc["roles"] {
		if q["name"] == "admin" {
			admin, _ = q["id"].(string)
		}
	}
	out := []Line{{Op: "create_role", Params: map[string]any{"role_id": "chaos-auditor", "domain_id": "", "name": "auditor"}}}
	if seed%50 == 7 { // now and then a tenant past Neutron's default quota of 500 ports
		t := pick("projects", "id")
		for i := range 501 {
			out = append(out, Line{Op: "create_port", Params: map[string]any{"port_id": fmt.Sprint("chaos-quota-", i),
				"subnet_id": pick("subnets", "id"), "tenant_id": t, "device_owner": "", "device_id": ""}})
		}
	}
	for i := range n {
		id := fmt.Sprintf("chaos-%d", i)
		var l Line
		switch i % 7 {
		case 6: // a router's interface on any network
			l = Line{Op: "create_network_port", Params: map[string]any{"port_id": id, "subnet_id": pick("subnets", "id"),
				"tenant_id": pick("projects", "id"), "network_id": pick("networks", "id"),
				"device_owner": "network:router_interface", "device_id": pick("routers", "id")}}
		case 5: // a user holding both roles of a conflict on one project, now and then with more admins
			u, p := pick("users", "id"), pick("projects", "id")
			for j, q := range []string{admin, "chaos-auditor"} {
				out = append(out, Line{Op: "grant_role", Params: map[string]any{"assignment_id": fmt.Sprint(id, "-", j),
					"user_id": u, "project_id": p, "role_id": q, "inherited": false}})
			}
			for j := range 2 * r.IntN(2) { // past role_cardinality's cap of 2 admins
				out = append(out, Line{Op: "grant_role", Params: map[string]any{"assignment_id": fmt.Sprint(id, "-admin-", j),
					"user_id": pick("users", "id"), "project_id": p, "role_id": admin, "inherited": false}})
			}
			continue
		case 0:
			l = Line{Op: "migrate_vm", Params: map[string]any{"vm_id": pick("servers", "id"), "host": pick("hypervisors", "hypervisor_hostname")}}
		case 1:
			l = Line{Op: "grant_role", Params: map[string]any{"assignment_id": id, "user_id": pick("users", "id"),
				"project_id": pick("projects", "id"), "role_id": pick("roles", "id"), "inherited": false}}
		case 2:
			l = Line{Op: "add_member", Params: map[string]any{"membership_id": id, "group_id": pick("groups", "id"), "user_id": pick("users", "id")}}
		case 3:
			l = Line{Op: "grant_group_role", Params: map[string]any{"group_assignment_id": id, "group_id": pick("groups", "id"),
				"project_id": pick("projects", "id"), "role_id": pick("roles", "id"), "inherited": false}}
		case 4:
			l = Line{Op: "create_port", Params: map[string]any{"port_id": id, "subnet_id": pick("subnets", "id"),
				"tenant_id": pick("projects", "id"), "network_id": pick("networks", "id"), "device_owner": "", "device_id": ""}}
		}
		out = append(out, l)
	}
	return out, nil
}
