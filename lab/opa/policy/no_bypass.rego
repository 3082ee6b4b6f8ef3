# no_bypass (specs/openstack/no_bypass.pvsc), intercept-and-check in Rego:
# a port bound to a VM never becomes network-owned (OSSA-2015-018).
#
# data.openstack is the snapshot, each collection keyed by id; input is the
# operation in pvsc's neutral form {"op": <event>, "params": {...}}. The cloud
# is compliant before the operation, so the invariant after it can only break
# on the port the operation writes: that port is checked as the operation
# leaves it (an absent parameter keeps the port's current value).
package pvsc.no_bypass

params := input.params

default current_owner := ""

current_owner := data.openstack.ports[params.port_id].device_owner

default current_device := ""

current_device := data.openstack.ports[params.port_id].device_id

owner := object.get(params, "device_owner", current_owner)

device := object.get(params, "device_id", current_device)

# The generated clouds list every VM a port is bound to among the servers.
bound_to_vm if data.openstack.servers[device]

# The operations that write a port's owner: a create (or re-delivery), or an
# update of a port that exists.
writes if input.op == "create_network_port"

writes if {
	input.op == "update_port"
	data.openstack.ports[params.port_id]
}

critical if input.op == "create_network_port"

critical if {
	input.op == "update_port"
	startswith(owner, "network:")
}

violates if {
	writes
	startswith(owner, "network:")
	bound_to_vm
}

default decision := "pass"

decision := "deny" if {
	critical
	violates
}

decision := "allow" if {
	critical
	not violates
}
