package examples

// OSSA is the paper's Example 4: the OSSA-2015-018 port exploit, stopped by no_bypass.
func OSSA() Example {
	return Example{
		Name:  "ossa",
		Title: "OSSA-2015-018: a port bound to a VM must not become network-owned (no_bypass, paper Example 4)",
		Spec:  "openstack",
		Watch: []watch{{"no_bypass", "tenant1"}},
		Steps: []Step{
			{"tenant1 exists in domain d1", neutral("create_tenant", "tenant_id", "tenant1", "domain_id", "d1")},
			{"it creates a network (a trigger event)", neutral("create_network", "network_id", "net1", "tenant_id", "tenant1")},
			{"and a subnet: N-cp reaches N-th = 3, the watchlist is built", neutral("create_subnet", "subnet_id", "subnet1", "network_id", "net1")},
			{"create_port port1187: a watchlist event at N-cp 3, the port is added",
				neutral("create_port", "port_id", "port1187", "subnet_id", "subnet1", "tenant_id", "tenant1")},
			{"Nova binds VM vm127 to port1187 (create_vm, a watchlist event): the port is removed",
				neutral("create_vm", "port_id", "port1187", "vm_id", "vm127", "device_owner", "compute:nova")},
			{"the attack: PUT /v2.0/ports/port1187 {device_owner: network:dhcp} is critical; one lookup denies it",
				`{"method": "PUT", "path": "/v2.0/ports/port1187", "body": {"port": {"device_owner": "network:dhcp"}}, "token": {"project_id": "tenant1"}}`},
			{"a port that no VM uses may become a DHCP port: allowed",
				neutral("create_port", "port_id", "port2", "subnet_id", "subnet1", "tenant_id", "tenant1")},
			{"", `{"method": "PUT", "path": "/v2.0/ports/port2", "body": {"port": {"device_owner": "network:dhcp"}}, "token": {"project_id": "tenant1"}}`},
		},
	}
}

// CrossDomainGrant is a Keystone role grant across domains, denied by common_ownership.
func CrossDomainGrant() Example {
	return Example{
		Name:  "keystone",
		Title: "Keystone: a user gets roles only on projects of its own domain (common_ownership)",
		Spec:  "openstack",
		Watch: []watch{{"common_ownership", "acme"}},
		Steps: []Step{
			{"domains acme and globex", neutral("create_domain", "domain_id", "acme")},
			{"", neutral("create_domain", "domain_id", "globex")},
			{"project acme-web in acme, project globex-billing in globex",
				neutral("create_project", "project_id", "acme-web", "domain_id", "acme")},
			{"", neutral("create_project", "project_id", "globex-billing", "domain_id", "globex")},
			{"user alice in acme; the global role member", neutral("create_user", "user_id", "alice", "domain_id", "acme")},
			{"", neutral("create_role", "role_id", "member", "name", "member")},
			{"grant alice member on acme-web (PUT /v3/projects/acme-web/users/alice/roles/member): same domain, allowed",
				`{"method": "PUT", "path": "/v3/projects/acme-web/users/alice/roles/member", "token": {"project_id": "admin", "user_id": "admin"}}`},
			{"grant alice member on globex-billing: the project belongs to another domain, denied",
				`{"method": "PUT", "path": "/v3/projects/globex-billing/users/alice/roles/member", "token": {"project_id": "admin", "user_id": "admin"}}`},
		},
	}
}

// MusicWorkflow is a MuSIC workflow step handing secret data to a cloud whose trust level is too low.
func MusicWorkflow() Example {
	return Example{
		Name:  "music",
		Title: "MuSIC: a workflow hands data only to clouds whose trust level reaches its protection class (workflow_admissibility, data_placement)",
		Spec:  "music",
		Watch: []watch{{"workflow_admissibility", "nav-route"}, {"data_placement", "nav-logs"}},
		Steps: []Step{
			{"the navigation inter-community cloud, organisation nav-corp", neutral("create_community", "community_id", "icc")},
			{"", neutral("join_community", "organisation_id", "nav-corp", "community_id", "icc")},
			{"cloud-secure: trust and SLA secret, tagged navigation",
				neutral("register_provider", "provider_id", "cloud-secure", "community_id", "icc", "trust", "secret", "sla", "secret", "tags", `["navigation"]`)},
			{"cloud-budget: trust and SLA internal, tagged navigation",
				neutral("register_provider", "provider_id", "cloud-budget", "community_id", "icc", "trust", "internal", "sla", "internal", "tags", `["navigation"]`)},
			{"nav-logs: secret data of nav-corp, tagged navigation; workflow nav-route processes it",
				neutral("create_data", "data_id", "nav-logs", "organisation_id", "nav-corp", "class", "secret", "criticality", "3", "tags", `["navigation"]`)},
			{"", neutral("create_workflow", "workflow_id", "nav-route", "organisation_id", "nav-corp", "data", "nav-logs")},
			{"step 1 hands nav-logs to cloud-secure: admissible",
				`{"method": "POST", "path": "/v1/workflows/nav-route/steps", "body": {"step": {"id": "s1", "provider_id": "cloud-secure"}}}`},
			{"step 2 hands nav-logs to cloud-budget: its trust level (internal) is below the data's class (secret), denied",
				`{"method": "POST", "path": "/v1/workflows/nav-route/steps", "body": {"step": {"id": "s2", "provider_id": "cloud-budget"}}}`},
			{"storing nav-logs on cloud-budget is denied as well (data_placement)",
				`{"method": "PUT", "path": "/v1/data/nav-logs/location", "body": {"provider_id": "cloud-budget"}}`},
		},
	}
}
