// Package music holds the compiled tables of the shipped music specs, generated from its .pvsc files.
package music

//go:generate go run ../../cmd/pvsc-gen .
