package symcel

import (
	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/tables"
)

type cloudKind uint8

const (
	cloudRecords cloudKind = iota
	cloudIDs
	cloudByID
	cloudIndex
)

type cloudField struct {
	entity int32
	kind   cloudKind
	field  int // cloudIndex
}

// Names resolves the field names of a model's records, operations and cloud view.
type Names struct {
	M      *tables.Model
	fields []map[string]int
	params []map[string]int
	cloud  map[string]cloudField
}

// NewNames indexes a model's names.
func NewNames(m *tables.Model) *Names {
	n := &Names{M: m, cloud: map[string]cloudField{}}
	for e := range m.Entities {
		idx := map[string]int{}
		for i, f := range m.FieldNames(int32(e)) {
			idx[f] = i
		}
		n.fields = append(n.fields, idx)
	}
	for _, f := range m.CloudFields() {
		n.cloud[f.Name] = cloudField{entity: f.Entity, kind: cloudKind(f.Kind), field: f.Field}
	}
	for _, ev := range m.Events {
		idx := map[string]int{}
		for i, p := range ev.Params {
			idx[p.Name] = i
		}
		n.params = append(n.params, idx)
	}
	return n
}

// CloudEntity is the entity a cloud field is about, and whether the field lists its records
// (cloud.<plural>, or an index: cloud.<plural>_by_<field>).
func (n *Names) CloudEntity(field string) (e int32, records bool, ok bool) {
	cf, ok := n.cloud[field]
	return cf.entity, cf.kind == cloudRecords || cf.kind == cloudIndex, ok
}

func (n *Names) field(e int32, name string) int {
	if i, ok := n.fields[e][name]; ok {
		return i
	}
	return -1
}

func (n *Names) param(ev int32, name string) int {
	if i, ok := n.params[ev][name]; ok {
		return i
	}
	return -1
}

// Zero is the zero value of a type: "", 0, false, the empty list.
func Zero(b *sym.B, t tables.Type) sym.Val {
	switch t.Kind {
	case tables.TBool:
		return sym.Bool(b.F)
	case tables.TInt, tables.TEnum:
		return sym.Int(b.Const(0))
	case tables.TList:
		return sym.ListOf(b.NewSet(elemKind(t.Elem), nil, nil))
	}
	return sym.Str(b.Const(0))
}

// elemKind is the value kind of a list's elements.
func elemKind(k tables.TypeKind) sym.Kind {
	if k == tables.TInt || k == tables.TEnum {
		return sym.KInt
	}
	if k == tables.TBool {
		return sym.KBool
	}
	return sym.KStr
}

// ValueKind is the kind of a value of type t.
func ValueKind(t tables.Type) sym.Kind {
	if t.Kind == tables.TList {
		return sym.KList
	}
	return elemKind(t.Kind)
}
