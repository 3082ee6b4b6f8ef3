package satengine

import (
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/solver"
	"pvsc.dev/pvsc/tables"
)

// Source adapts the runtime's context store to what the baseline reads.
type Source struct{ st *state.Store }

// NewSource wraps a store; it must not change while the source is used.
func NewSource(st *state.Store) Source { return Source{st: st} }

// Records visits every record of an entity.
func (s Source) Records(entity int32, visit func(solver.Record) bool) {
	s.st.Each(entity, func(row int32) bool { return visit(record{st: s.st, e: entity, row: row}) })
}

// Record looks one record up by id.
func (s Source) Record(entity int32, id string) (solver.Record, bool) {
	sym, ok := s.st.Names.Lookup(id)
	if !ok {
		return nil, false
	}
	row, ok := s.st.Row(entity, sym)
	if !ok {
		return nil, false
	}
	return record{st: s.st, e: entity, row: row}, true
}

type record struct {
	st     *state.Store
	e, row int32
}

func (r record) ID() string { return r.st.Names.String(r.st.ID(r.e, r.row)) }

func (r record) Parent(k int) string { return r.st.Names.String(r.st.Parent(r.e, r.row, k)) }

func (r record) Ancestor(k int) string {
	return r.st.Names.String(r.st.Ancestor(r.e, r.row, r.st.Model.Entities[r.e].Ancestors[k]))
}

func (r record) Attr(a int) solver.Value {
	t := r.st.Model.Entities[r.e].Attrs[a].Type
	return value(r.st, t, r.st.Attr(r.e, r.row, int32(a)))
}

// value converts a store value of type t.
func value(st *state.Store, t tables.Type, v state.Value) solver.Value {
	switch t.Kind {
	case tables.TString, tables.TRef:
		return solver.Str(st.Names.String(v.Sym()))
	case tables.TBool:
		return solver.Bool(v.Bool())
	case tables.TList:
		out := solver.Value{Kind: tables.TList}
		el := tables.Type{Kind: t.Elem, Ref: t.Ref}
		for _, x := range v.L {
			out.List = append(out.List, value(st, el, state.Value{I: x}))
		}
		return out
	}
	return solver.Int(v.I)
}

// solverOp converts an operation; absent parameters stay absent (Kind 0).
func solverOp(st *state.Store, op *state.Op) solver.Op {
	ev := &st.Model.Events[op.Event]
	out := solver.Op{Event: op.Event, Params: make([]solver.Value, len(ev.Params))}
	for i, p := range ev.Params {
		if op.Present(i) {
			out.Params[i] = value(st, p.Type, op.Vals[i])
		}
	}
	return out
}
