// Package e2e runs pvsc serve and proxy against the real Keystone, Neutron and RabbitMQ of scripts/openstack/stack.sh (PVSC_OPENSTACK=1).
package e2e
