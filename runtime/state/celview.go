package state

import (
	"fmt"
	"reflect"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// View is the CEL face of a store: the cloud object, records and operations,
// all lazy so that CEL never copies the cloud.
type View struct {
	S      *Store
	Env    *celenv.Env
	fields []tables.CloudField
}

// NewView wraps a store for CEL evaluation in the model's environment.
func NewView(s *Store, env *celenv.Env) *View {
	return &View{S: s, Env: env, fields: s.Model.CloudFields()}
}

// Cloud is the value of the `cloud` variable.
func (v *View) Cloud() ref.Val { return &cloudVal{base: base{v.Env.CloudType}, v: v} }

// Record is one record as CEL sees it; row -1 is the zero record of the entity.
func (v *View) Record(e, row int32) ref.Val {
	return &recordVal{base: base{v.Env.RecordTypes[e]}, v: v, e: e, row: row}
}

// Op is an operation as CEL sees it: `op.<param>` reads Store.Param (with fill-in).
func (v *View) Op(op *Op) ref.Val {
	return &opVal{base: base{v.Env.OpTypes[op.Event]}, v: v, op: op}
}

// Value converts a store value of type t to CEL.
func (v *View) Value(t tables.Type, x Value) ref.Val {
	switch t.Kind {
	case tables.TString, tables.TRef:
		return types.String(v.S.Names.String(x.Sym()))
	case tables.TInt, tables.TEnum:
		return types.Int(x.I)
	case tables.TBool:
		return types.Bool(x.Bool())
	case tables.TList:
		return v.list(t, x)
	}
	return types.NewErr("unsupported value type")
}

func (v *View) list(t tables.Type, x Value) ref.Val {
	if t.Elem == tables.TString || t.Elem == tables.TRef {
		strs := make([]string, len(x.L))
		for i, s := range x.L {
			strs[i] = v.S.Names.String(Sym(s))
		}
		return types.NewStringList(types.DefaultTypeAdapter, strs)
	}
	return types.NewList(types.DefaultTypeAdapter, x.L)
}

// base implements the parts of ref.Val every view object shares.
type base struct{ t *types.Type }

func (b base) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s values cannot be converted to Go", b.t.TypeName())
}

func (b base) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return b.t
	}
	return types.NewErr("type conversion from %s to %s is not supported", b.t.TypeName(), t.TypeName())
}

func (b base) Type() ref.Type { return b.t }

type recordVal struct {
	base
	v      *View
	e, row int32
}

func (r *recordVal) Value() any { return r }

func (r *recordVal) Field(i int) ref.Val {
	t := r.v.S.Model.FieldType(r.e, i)
	if r.row < 0 {
		return r.v.Value(t, Value{})
	}
	return r.v.Value(t, r.v.S.Field(r.e, r.row, i))
}

func (r *recordVal) Equal(o ref.Val) ref.Val {
	x, ok := o.(*recordVal)
	return types.Bool(ok && x.e == r.e && x.row == r.row)
}

type opVal struct {
	base
	v  *View
	op *Op
}

func (o *opVal) Value() any { return o }

func (o *opVal) Field(i int) ref.Val {
	return o.v.Value(o.v.S.Model.Events[o.op.Event].Params[i].Type, o.v.S.Param(o.op, i))
}

func (o *opVal) Equal(x ref.Val) ref.Val { return types.Bool(x == o) }

// IsSet is has(op.x): whether the parameter was given.
func (o *opVal) IsSet(i int) bool { return o.op.Present(i) }

type cloudVal struct {
	base
	v *View
}

func (c *cloudVal) Value() any              { return c }
func (c *cloudVal) Equal(x ref.Val) ref.Val { return types.Bool(x == c) }

// Field serves the cloud view's fields (tables.Model.CloudFields order).
func (c *cloudVal) Field(i int) ref.Val {
	f := c.v.fields[i]
	e := f.Entity
	lt := types.NewListType(c.v.Env.RecordTypes[e])
	switch f.Kind {
	case tables.CloudRecords:
		return &recordList{base: base{lt}, v: c.v, e: e}
	case tables.CloudIDs:
		return &idList{base: base{types.NewListType(types.StringType)}, v: c.v, e: e}
	case tables.CloudByID:
		return &byID{base: base{types.NewMapType(types.StringType, c.v.Env.RecordTypes[e])}, v: c.v, e: e}
	}
	return &indexMap{base: base{types.NewMapType(types.StringType, lt)}, v: c.v, e: e, field: f.Field, lt: lt}
}

// rows lists the live rows of an entity (only for random access, which CEL rarely needs).
func (v *View) rows(e int32) []int32 {
	out := make([]int32, 0, v.S.Len(e))
	v.S.Each(e, func(r int32) bool { out = append(out, r); return true })
	return out
}

// recordList is cloud.<plural>: every record of an entity.
type recordList struct {
	base
	v *View
	e int32
}

func (l *recordList) Value() any              { return l }
func (l *recordList) Equal(x ref.Val) ref.Val { return types.Bool(x == l) }
func (l *recordList) Size() ref.Val           { return types.Int(l.v.S.Len(l.e)) }

func (l *recordList) Get(i ref.Val) ref.Val {
	idx, ok := i.(types.Int)
	rows := l.v.rows(l.e)
	if !ok || idx < 0 || int(idx) >= len(rows) {
		return types.NewErr("index %v out of range", i)
	}
	return l.v.Record(l.e, rows[idx])
}

func (l *recordList) Contains(x ref.Val) ref.Val {
	r, ok := x.(*recordVal)
	return types.Bool(ok && r.e == l.e && r.row >= 0)
}

func (l *recordList) Add(x ref.Val) ref.Val { return concat(l, x) }

// Fold walks the rows once: CEL's comprehensions fold a list, and without
// Fold they would call Get(i) for each i, listing the rows each time (O(n²)).
func (l *recordList) Fold(f traits.Folder) {
	i := 0
	l.v.S.Each(l.e, func(row int32) bool {
		ok := f.FoldEntry(types.Int(i), l.v.Record(l.e, row))
		i++
		return ok
	})
}

func (l *recordList) Iterator() traits.Iterator {
	return &rowIter{v: l.v, e: l.e, rows: l.v.rows(l.e), elem: func(row int32) ref.Val { return l.v.Record(l.e, row) }}
}

// idList is cloud.<entity>_ids: membership is one lookup.
type idList struct {
	base
	v *View
	e int32
}

func (l *idList) Value() any              { return l }
func (l *idList) Equal(x ref.Val) ref.Val { return types.Bool(x == l) }
func (l *idList) Size() ref.Val           { return types.Int(l.v.S.Len(l.e)) }

func (l *idList) Contains(x ref.Val) ref.Val {
	s, ok := x.(types.String)
	return types.Bool(ok && l.v.S.ExistsString(l.e, string(s)))
}

func (l *idList) Get(i ref.Val) ref.Val {
	idx, ok := i.(types.Int)
	rows := l.v.rows(l.e)
	if !ok || idx < 0 || int(idx) >= len(rows) {
		return types.NewErr("index %v out of range", i)
	}
	return types.String(l.v.S.Names.String(l.v.S.ID(l.e, rows[idx])))
}

func (l *idList) Add(x ref.Val) ref.Val { return concat(l, x) }

// Fold walks the rows once (see recordList.Fold).
func (l *idList) Fold(f traits.Folder) {
	i := 0
	l.v.S.Each(l.e, func(row int32) bool {
		ok := f.FoldEntry(types.Int(i), types.String(l.v.S.Names.String(l.v.S.ID(l.e, row))))
		i++
		return ok
	})
}

func (l *idList) Iterator() traits.Iterator {
	return &rowIter{v: l.v, e: l.e, rows: l.v.rows(l.e), elem: func(row int32) ref.Val {
		return types.String(l.v.S.Names.String(l.v.S.ID(l.e, row)))
	}}
}

// byID is cloud.<entity>_by_id: a missing id yields the zero record.
type byID struct {
	base
	v *View
	e int32
}

func (m *byID) Value() any              { return m }
func (m *byID) Equal(x ref.Val) ref.Val { return types.Bool(x == m) }
func (m *byID) Size() ref.Val           { return types.Int(m.v.S.Len(m.e)) }

func (m *byID) Contains(x ref.Val) ref.Val {
	s, ok := x.(types.String)
	return types.Bool(ok && m.v.S.ExistsString(m.e, string(s)))
}

func (m *byID) Get(key ref.Val) ref.Val {
	r, _ := m.Find(key)
	return r
}

func (m *byID) Find(key ref.Val) (ref.Val, bool) {
	s, ok := key.(types.String)
	if !ok {
		return types.NewErr("%s_by_id: key must be a string", m.v.S.Model.Entities[m.e].Name), false
	}
	if sym, ok := m.v.S.Names.Lookup(string(s)); ok {
		if row, ok := m.v.S.Row(m.e, sym); ok {
			return m.v.Record(m.e, row), true
		}
	}
	return m.v.Record(m.e, -1), true
}

func (m *byID) Iterator() traits.Iterator {
	return (&idList{v: m.v, e: m.e}).Iterator()
}

type rowIter struct {
	base
	v    *View
	e    int32
	rows []int32
	i    int
	elem func(row int32) ref.Val
}

func (it *rowIter) Value() any              { return it }
func (it *rowIter) Equal(x ref.Val) ref.Val { return types.Bool(x == it) }
func (it *rowIter) HasNext() ref.Val        { return types.Bool(it.i < len(it.rows)) }

func (it *rowIter) Next() ref.Val {
	if it.i >= len(it.rows) {
		return nil
	}
	r := it.rows[it.i]
	it.i++
	return it.elem(r)
}

// concat materialises a lazy list to add another list to it.
func concat(l traits.Lister, x ref.Val) ref.Val {
	var elems []ref.Val
	for it := l.Iterator(); it.HasNext() == types.True; {
		elems = append(elems, it.Next())
	}
	return types.NewRefValList(types.DefaultTypeAdapter, elems).Add(x)
}

// RecordOf says which record a CEL value is (entity and row), for reports that name it.
func RecordOf(v ref.Val) (e, row int32, ok bool) {
	r, ok := v.(*recordVal)
	if !ok {
		return 0, 0, false
	}
	return r.e, r.row, true
}
