// Package neutral turns a runtime operation back into its neutral form, an event name and
// its present parameters by name, for the MuSIC modules that read operations (the trust
// level manager) rather than decide them.
package neutral

import (
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// Op is an operation in the neutral form {"op": ..., "params": {...}}: strings, ids and enum
// values as strings, ints as int64, bools, lists as []string (ids, strings, enums) or []int64.
type Op struct {
	Event  string         `json:"op"`
	Params map[string]any `json:"params"`
}

// Of is op in neutral form; only the parameters the operation carries are set.
func Of(e *runtime.Engine, op *runtime.Op) Op {
	m := e.Spec().Models[op.Model]
	ev := &m.Events[op.Event]
	out := Op{Event: ev.Name, Params: make(map[string]any, len(ev.Params))}
	e.ReadState(op.Model, func(st *state.Store) {
		for i, p := range ev.Params {
			if op.Present(i) {
				out.Params[p.Name] = value(m, st, p.Type, op.Vals[i])
			}
		}
	})
	return out
}

func value(m *tables.Model, st *state.Store, t tables.Type, v state.Value) any {
	switch t.Kind {
	case tables.TString, tables.TRef:
		return st.Names.String(v.Sym())
	case tables.TBool:
		return v.I != 0
	case tables.TEnum:
		return enumName(m, t.Ref, v.I)
	case tables.TList:
		return list(m, st, t, v)
	}
	return v.I
}

func list(m *tables.Model, st *state.Store, t tables.Type, v state.Value) any {
	if t.Elem == tables.TInt || t.Elem == tables.TBool {
		return append([]int64{}, v.L...)
	}
	out := make([]string, len(v.L))
	for i, x := range v.L {
		out[i], _ = value(m, st, tables.Type{Kind: t.Elem, Ref: t.Ref}, state.Value{I: x}).(string)
	}
	return out
}

func enumName(m *tables.Model, enum int32, rank int64) string {
	if vals := m.Enums[enum].Values; rank >= 0 && int(rank) < len(vals) {
		return vals[rank]
	}
	return ""
}
