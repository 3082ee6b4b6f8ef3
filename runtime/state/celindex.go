package state

import (
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"pvsc.dev/pvsc/tables"
)

// indexMap is cloud.<plural>_by_<field>: a value's records, read from the
// store's index (or, for a field the runtime did not index, found by a scan).
type indexMap struct {
	base
	v     *View
	e     int32
	field int
	lt    *types.Type // list(record)
}

func (m *indexMap) Value() any              { return m }
func (m *indexMap) Equal(x ref.Val) ref.Val { return types.Bool(x == m) }

func (m *indexMap) Get(key ref.Val) ref.Val {
	r, _ := m.Find(key)
	return r
}

// Find is the records holding key; a value no record holds has the empty list.
func (m *indexMap) Find(key ref.Val) (ref.Val, bool) {
	s, ok := key.(types.String)
	if !ok {
		return types.NewErr("index keys are strings"), false
	}
	return &rowList{base: base{m.lt}, v: m.v, e: m.e, rows: m.rowsOf(string(s))}, true
}

func (m *indexMap) rowsOf(key string) []int32 {
	sym, ok := m.v.S.Names.Lookup(key)
	if !ok {
		return nil
	}
	return m.v.S.Rows(m.e, m.field, sym)
}

// Contains is `key in cloud.<plural>_by_<field>`: some record holds the value.
func (m *indexMap) Contains(key ref.Val) ref.Val {
	s, ok := key.(types.String)
	return types.Bool(ok && len(m.rowsOf(string(s))) > 0)
}

func (m *indexMap) Size() ref.Val { return types.Int(len(m.keys())) }

func (m *indexMap) Iterator() traits.Iterator {
	keys := m.keys()
	return &rowIter{v: m.v, e: m.e, rows: keys, elem: func(k int32) ref.Val { return types.String(m.v.S.Names.String(Sym(k))) }}
}

// keys lists the values some record holds (iterating an index is rare: a scan).
func (m *indexMap) keys() []int32 {
	seen := map[Sym]bool{}
	var out []int32
	add := func(k Sym) {
		if !seen[k] {
			seen[k] = true
			out = append(out, int32(k))
		}
	}
	m.v.S.Each(m.e, func(row int32) bool {
		v := m.v.S.Field(m.e, row, m.field)
		if !m.isList() {
			add(v.Sym())
		}
		for _, k := range v.L {
			add(Sym(k))
		}
		return true
	})
	return out
}

func (m *indexMap) isList() bool { return m.v.S.Model.FieldType(m.e, m.field).Kind == tables.TList }

// rowList is a list of given records.
type rowList struct {
	base
	v    *View
	e    int32
	rows []int32
}

func (l *rowList) Value() any              { return l }
func (l *rowList) Equal(x ref.Val) ref.Val { return types.Bool(x == l) }
func (l *rowList) Size() ref.Val           { return types.Int(len(l.rows)) }
func (l *rowList) Add(x ref.Val) ref.Val   { return concat(l, x) }

func (l *rowList) Get(i ref.Val) ref.Val {
	idx, ok := i.(types.Int)
	if !ok || idx < 0 || int(idx) >= len(l.rows) {
		return types.NewErr("index %v out of range", i)
	}
	return l.v.Record(l.e, l.rows[idx])
}

func (l *rowList) Contains(x ref.Val) ref.Val {
	r, ok := x.(*recordVal)
	if !ok || r.e != l.e {
		return types.False
	}
	for _, row := range l.rows {
		if row == r.row {
			return types.True
		}
	}
	return types.False
}

func (l *rowList) Fold(f traits.Folder) {
	for i, row := range l.rows {
		if !f.FoldEntry(types.Int(i), l.v.Record(l.e, row)) {
			return
		}
	}
}

func (l *rowList) Iterator() traits.Iterator {
	return &rowIter{v: l.v, e: l.e, rows: l.rows, elem: func(row int32) ref.Val { return l.v.Record(l.e, row) }}
}
