package state

import "pvsc.dev/pvsc/tables"

// fieldIndex is cloud.<plural>_by_<field>: the rows of one entity by the value
// of one field (by every element, for a list field). It is kept as records
// come, change and go, so that reaching a tenant's VMs or a host's VMs is a
// lookup, not a scan of the entity.
type fieldIndex struct {
	e     int32
	field int
	list  bool
	index symIndex  // value → its list
	rows  [][]int32 // by list: the rows holding that value
	pos   []int32   // scalar fields: row → position in its value's list, -1 when none
}

// Index keeps records of entity e indexed by field (FieldNames order); it
// indexes the records already there. The runtime asks for the indexes its
// expressions read before it loads a cloud.
func (s *Store) Index(e int32, field int) {
	if s.index(e, field) != nil {
		return
	}
	t := s.Model.FieldType(e, field)
	x := &fieldIndex{e: e, field: field, list: t.Kind == tables.TList}
	s.idx[e] = append(s.idx[e], x)
	s.Each(e, func(row int32) bool { x.insert(s, row); return true })
}

func (s *Store) index(e int32, field int) *fieldIndex {
	for _, x := range s.idx[e] {
		if x.field == field {
			return x
		}
	}
	return nil
}

// Indexed lists the rows of entity e whose field holds key (contains it, for a
// list field); ok is false when the field is not indexed. The slice is the
// store's: read it, do not keep it across a write.
func (s *Store) Indexed(e int32, field int, key Sym) (rows []int32, ok bool) {
	x := s.index(e, field)
	if x == nil {
		return nil, false
	}
	if i, found := x.index.get(key); found {
		return x.rows[i], true
	}
	return nil, true
}

// Rows is the rows of entity e whose field holds key: the index's list, or for a field
// nobody indexed, the rows a scan finds (Holding).
func (s *Store) Rows(e int32, field int, key Sym) []int32 {
	if rows, ok := s.Indexed(e, field, key); ok {
		return rows
	}
	return s.Holding(e, field, key)
}

// Holding finds by a scan the rows of entity e whose field holds key (contains
// it, for a list field): what Indexed answers for a field nobody indexed.
func (s *Store) Holding(e int32, field int, key Sym) []int32 {
	var out []int32
	list := s.Model.FieldType(e, field).Kind == tables.TList
	s.Each(e, func(row int32) bool {
		if v := s.Field(e, row, field); list && v.Contains(int64(key)) || !list && v.Sym() == key {
			out = append(out, row)
		}
		return true
	})
	return out
}

// IndexKeys is the number of values an index holds a list for (some may be empty).
func (s *Store) IndexKeys(e int32, field int) int {
	if x := s.index(e, field); x != nil {
		return len(x.rows)
	}
	return 0
}

func (s *Store) indexInserted(e, row int32) {
	for _, x := range s.idx[e] {
		x.insert(s, row)
	}
}

func (s *Store) indexRemoving(e, row int32) {
	for _, x := range s.idx[e] {
		x.remove(s, row)
	}
}

// indexAttr moves a record whose attribute changes from old to its new value.
func (s *Store) indexAttr(e, row int32, field int, old Value) {
	for _, x := range s.idx[e] {
		if x.field == field {
			x.removeValue(row, old)
			x.insert(s, row)
		}
	}
}

func (x *fieldIndex) insert(s *Store, row int32) {
	v := s.Field(x.e, row, x.field)
	if x.list {
		for i, k := range v.L {
			if !seenBefore(v.L, i) {
				x.add(Sym(k), row)
			}
		}
		return
	}
	for int(row) >= len(x.pos) {
		x.pos = append(x.pos, -1)
	}
	x.pos[row] = x.add(v.Sym(), row)
}

func (x *fieldIndex) add(k Sym, row int32) int32 {
	i, added := x.index.add(k)
	if added {
		x.rows = append(x.rows, nil)
	}
	x.rows[i] = append(x.rows[i], row)
	return int32(len(x.rows[i]) - 1)
}

func (x *fieldIndex) remove(s *Store, row int32) {
	x.removeValue(row, s.Field(x.e, row, x.field))
}

func (x *fieldIndex) removeValue(row int32, v Value) {
	if !x.list {
		x.drop(v.Sym(), row, x.pos[row])
		x.pos[row] = -1
		return
	}
	for j, k := range v.L {
		if seenBefore(v.L, j) {
			continue
		}
		i, _ := x.index.get(Sym(k))
		// A list value's records per key are few (tenants avoiding one tenant): find the row.
		for p, r := range x.rows[i] {
			if r == row {
				x.drop(Sym(k), row, int32(p))
				break
			}
		}
	}
}

// drop removes the row at position p of k's list, moving the last row there.
func (x *fieldIndex) drop(k Sym, row, p int32) {
	if p < 0 {
		return
	}
	i, _ := x.index.get(k)
	rows := x.rows[i]
	last := rows[len(rows)-1]
	rows[p] = last
	if !x.list {
		x.pos[last] = p
	}
	x.rows[i] = rows[:len(rows)-1]
}

// seenBefore: a list naming a value twice holds the record once under it, as a filter would find it.
func seenBefore(l []int64, i int) bool {
	for _, y := range l[:i] {
		if y == l[i] {
			return true
		}
	}
	return false
}
