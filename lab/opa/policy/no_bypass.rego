# no_bypass (specs/openstack/no_bypass.pvsc), intercept-and-check in Rego:
# a port bound to a VM never becomes network-owned (OSSA-2015-018).
#
# data.openstack is the snapshot, each collection keyed by id; input is the
# operation in pvsc's neutral form {"op": <event>, "params": {...}}. The cloud
# is compliant before the operation, so the invariant after it can only break
# on the port the operation writes: that port is checked as the operation
# leaves it (an absent parameter keeps the port's current value). Which VM a
# port is plugged into is Nova's binding ("vm", kept by the data sync), not
# device_id: clearing device_id in the same update does not unplug the VM.
package pvsc.no_bypass

params := input.params

default current_owner := ""

current_owner := data.openstack.ports[params.port_id].device_owner

default current_vm := ""

current_vm := data.openstack.ports[params.port_id].vm

owner := object.get(params, "device_owner", current_owner)

# A port update does not change the binding; a VM it names must still exist.
bound_to_vm if data.openstack.servers[current_vm]

# The operation that can turn a plugged port network-owned: an update of a
# port that exists (a create makes a port no VM is plugged into yet).
writes if {
	input.op == "update_port"
	data.openstack.ports[params.port_id]
}

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
