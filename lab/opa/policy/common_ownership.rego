# common_ownership (specs/openstack/common_ownership.pvsc), intercept-and-check
# in Rego: a user gets roles only on projects of its own domain, and only
# global roles or roles of that domain.
#
# data.openstack is the snapshot, each collection keyed by id; input is the
# operation in pvsc's neutral form. The cloud is compliant before the grant, so
# only the assignment it creates is checked. A grant naming a user or project
# that does not exist breaks nothing; a role that does not exist reads as global.
package pvsc.common_ownership

params := input.params

user_domain := data.openstack.users[params.user_id].domain_id

project_domain := data.openstack.projects[params.project_id].domain_id

default role_domain := null

role_domain := data.openstack.roles[params.role_id].domain_id

violates if project_domain != user_domain

violates if {
	role_domain != null
	role_domain != ""
	role_domain != user_domain
}

default decision := "pass"

decision := "deny" if {
	input.op == "grant_role"
	violates
}

decision := "allow" if {
	input.op == "grant_role"
	not violates
}
