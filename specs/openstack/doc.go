// Package openstack holds the compiled tables of the shipped openstack specs, generated from its .pvsc files.
package openstack

//go:generate go run ../../cmd/pvsc-gen .
