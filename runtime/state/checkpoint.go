package state

import (
	"fmt"

	"pvsc.dev/pvsc/runtime/ckpt"
	"pvsc.dev/pvsc/tables"
)

// WriteCheckpoint appends the store's records to w: its interned strings in
// Sym order, then per entity its rows column by column. Counts and indexes
// are not written: they follow from the records.
func (s *Store) WriteCheckpoint(w *ckpt.Writer) {
	n := s.Names.Len()
	w.Uvarint(uint64(n))
	total := 0
	for i := 1; i < n; i++ {
		total += len(s.Names.strs[i])
	}
	w.Uvarint(uint64(total))
	for i := 1; i < n; i++ {
		w.Uvarint(uint64(len(s.Names.strs[i])))
	}
	for i := 1; i < n; i++ {
		w.B = append(w.B, s.Names.strs[i]...)
	}
	for e, t := range s.tabs {
		s.writeTable(w, int32(e), t)
	}
}

func (s *Store) writeTable(w *ckpt.Writer, e int32, t *table) {
	w.Uvarint(uint64(len(t.ids)))
	w.Uvarint(uint64(len(t.free)))
	for _, r := range t.free {
		w.U32(uint32(r))
	}
	syms := func(col []Sym) {
		for _, x := range col {
			w.U32(uint32(x))
		}
	}
	syms(t.ids)
	for _, col := range t.parents {
		syms(col)
	}
	for _, col := range t.anc {
		syms(col)
	}
	for a, col := range t.attrs {
		list := s.Model.Entities[e].Attrs[a].Type.Kind == tables.TList
		for _, v := range col {
			if !list {
				w.Varint(v.I)
				continue
			}
			w.Uvarint(uint64(len(v.L)))
			for _, x := range v.L {
				w.Varint(x)
			}
		}
	}
}

// ReadCheckpoint fills a store without records (New, with its indexes asked
// for) from a checkpoint, then counts its facts and indexes its records as
// inserting them would have. Its strings become the checkpoint's: Syms
// interned before (literals) must be looked up again.
func (s *Store) ReadCheckpoint(r *ckpt.Reader) error {
	if s.liveRecords() > 0 {
		return fmt.Errorf("checkpoint: the store is not empty")
	}
	if err := s.readNames(r); err != nil {
		return err
	}
	for e, t := range s.tabs {
		if err := s.readTable(r, int32(e), t); err != nil {
			return fmt.Errorf("entity %s: %w", s.Model.Entities[e].Name, err)
		}
	}
	for e, t := range s.tabs {
		for row, id := range t.ids {
			if id == 0 {
				continue
			}
			if _, dup := s.rows.get(int32(e), id); dup {
				return fmt.Errorf("entity %s: id %q twice: %w", s.Model.Entities[e].Name, s.Names.String(id), ckpt.ErrCorrupt)
			}
			s.restored(int32(e), int32(row))
		}
	}
	return nil
}

func (s *Store) liveRecords() int {
	n := 0
	for _, t := range s.tabs {
		n += t.live
	}
	return n
}

func (s *Store) readNames(r *ckpt.Reader) error {
	n := r.Len(1)
	total := r.Len(1)
	if r.Err != nil || n == 0 {
		return fmt.Errorf("strings: %w", orCorrupt(r.Err))
	}
	lens := make([]int, n)
	sum := 0
	for i := 1; i < n && r.Err == nil; i++ {
		lens[i] = r.Len(0)
		sum += lens[i]
	}
	if r.Err != nil || sum != total || len(r.B)-r.Off < total {
		return fmt.Errorf("strings: %w", orCorrupt(r.Err))
	}
	// One string holds them all: each Sym's string is a slice of it.
	blob := string(r.B[r.Off : r.Off+total])
	r.Off += total
	in := &Interner{ids: make(map[string]Sym, n), strs: make([]string, n)}
	in.ids[""] = 0
	off := 0
	for i := 1; i < n; i++ {
		str := blob[off : off+lens[i]]
		off += lens[i]
		// One hash per string: a string seen before does not grow the map.
		if in.ids[str] = Sym(i); len(in.ids) != i+1 {
			return fmt.Errorf("strings: %q twice: %w", str, ckpt.ErrCorrupt)
		}
		in.strs[i] = str
	}
	*s.Names = *in
	return nil
}

func (s *Store) readTable(r *ckpt.Reader, e int32, t *table) error {
	rows := r.Len(4)
	nfree := r.Len(4)
	if r.Err != nil || nfree > rows {
		return orCorrupt(r.Err)
	}
	t.free = make([]int32, nfree)
	for i := range t.free {
		t.free[i] = int32(r.U32())
	}
	names := Sym(s.Names.Len())
	bad := false
	syms := func() []Sym {
		col := make([]Sym, rows)
		for i := range col {
			if r.Err != nil {
				break
			}
			col[i] = Sym(r.U32())
			bad = bad || col[i] < 0 || col[i] >= names
		}
		return col
	}
	t.ids = syms()
	for k := range t.parents {
		t.parents[k] = syms()
	}
	for i := range t.anc {
		t.anc[i] = syms()
	}
	for a := range t.attrs {
		if r.Err != nil {
			break
		}
		t.attrs[a] = s.readAttr(r, e, a, rows)
		if r.Err == nil && !s.validAttr(e, a, t.attrs[a]) {
			return fmt.Errorf("attribute %s: a value out of its type: %w", s.Model.Entities[e].Attrs[a].Name, ckpt.ErrCorrupt)
		}
	}
	if r.Err != nil || bad {
		return orCorrupt(r.Err)
	}
	for _, f := range t.free {
		if f < 0 || int(f) >= rows || t.ids[f] != 0 {
			return fmt.Errorf("free row %d: %w", f, ckpt.ErrCorrupt)
		}
	}
	return nil
}

func (s *Store) readAttr(r *ckpt.Reader, e int32, a, rows int) []Value {
	col := make([]Value, rows)
	if s.Model.Entities[e].Attrs[a].Type.Kind != tables.TList {
		for i := range col {
			if r.Err != nil {
				break
			}
			col[i].I = r.Varint()
		}
		return col
	}
	for i := range col {
		if r.Err != nil {
			break
		}
		n := r.Len(1)
		if n > 0 {
			col[i].L = make([]int64, n)
			for j := range col[i].L {
				col[i].L[j] = r.Varint()
			}
		}
	}
	return col
}

// validAttr checks a column's values fit the attribute's type: known strings,
// enum ranks, booleans.
func (s *Store) validAttr(e int32, a int, col []Value) bool {
	t := s.Model.Entities[e].Attrs[a].Type
	k := t.Kind
	if k == tables.TList {
		k = t.Elem
	}
	ok := func(x int64) bool {
		switch k {
		case tables.TString, tables.TRef:
			return x >= 0 && x < int64(s.Names.Len())
		case tables.TEnum:
			return x >= 0 && x < int64(len(s.Model.Enums[t.Ref].Values))
		case tables.TBool:
			return x == 0 || x == 1
		}
		return true
	}
	for _, v := range col {
		if t.Kind != tables.TList && !ok(v.I) {
			return false
		}
		for _, x := range v.L {
			if !ok(x) {
				return false
			}
		}
	}
	return true
}

// restored counts and indexes a record read from a checkpoint: what insert and
// setAttr do, with its ancestors and attributes as they were written.
func (s *Store) restored(e, row int32) {
	t := s.tabs[e]
	s.rows.set(e, t.ids[row], row)
	t.live++
	s.cnt.inserted(e, row)
	for a := range t.attrs {
		if v := t.attrs[a][row]; !v.IsZero() {
			s.cnt.attrChanged(e, row, int32(a), Value{})
		}
	}
	s.indexInserted(e, row)
	s.cnt.resetChanged() // no one reads which scopes a restore changed
}

func orCorrupt(err error) error {
	if err != nil {
		return err
	}
	return ckpt.ErrCorrupt
}
