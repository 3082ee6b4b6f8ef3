package compiler

import (
	"maps"
	"slices"

	"pvsc.dev/pvsc/tables"
)

// didYouMean is "; did you mean X?" when a candidate is a typo away from name, else "".
func didYouMean(name string, candidates []string) string { return tables.Hint(name, candidates) }

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// entityHint suggests an entity of the model for a misspelt name.
func (m *modelInfo) entityHint(name string) string { return didYouMean(name, keys(m.entities)) }

// eventHint suggests an event of the model for a misspelt name.
func (m *modelInfo) eventHint(name string) string { return didYouMean(name, keys(m.events)) }

// typeHint suggests a type: a scalar, an enum or an entity.
func (m *modelInfo) typeHint(name string) string {
	return didYouMean(name, append(append([]string{"string", "int", "bool"}, keys(m.enums)...), keys(m.entities)...))
}
