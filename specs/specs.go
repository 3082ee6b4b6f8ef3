// Package specs holds the shipped models and properties (openstack, music) with their generated tables, and picks those tables for a spec read from disk.
package specs

import (
	"bytes"

	"pvsc.dev/pvsc/gen"
	"pvsc.dev/pvsc/specs/music"
	"pvsc.dev/pvsc/specs/openstack"
	"pvsc.dev/pvsc/tables"
)

// Shipped are the specs whose tables are compiled into the binary, with Go predicates.
var Shipped = []*tables.Spec{openstack.Spec, music.Spec}

// PreferGenerated returns the compiled-in tables of a shipped spec when the spec read from
// disk is that spec, so that its rules run as generated Go instead of interpreted; otherwise
// the spec as compiled. Two specs are the same when gen writes the same Go for them.
func PreferGenerated(compiled *tables.Spec) *tables.Spec {
	want, err := genSource(compiled)
	if err != nil {
		return compiled
	}
	for _, s := range Shipped {
		if len(s.Models) != len(compiled.Models) || len(s.Properties) != len(compiled.Properties) {
			continue
		}
		if got, err := genSource(s); err == nil && bytes.Equal(got, want) {
			out := *s
			out.Name = compiled.Name
			return &out
		}
	}
	return compiled
}

func genSource(s *tables.Spec) ([]byte, error) {
	cp := *s
	cp.Name = "spec"
	return gen.Generate(&cp, gen.Options{Package: "spec", Source: "pvsc"})
}
