package state

// rowIndex finds a record's row from its id with one array read: Syms are
// dense, so an array indexed by Sym replaces a hash map per entity (a map
// lookup at a million records costs two or three cache misses, the array one).
// An id names records of one entity type almost always; an id that names
// records of several types is marked shared and looked up in a small map.
type rowIndex struct {
	at     []rowRef // by Sym
	shared map[entityID]int32
}

// rowRef is where an id's record lives: entity+1 (0: no record, shared: see
// rowIndex.shared) and its row.
type rowRef struct {
	e   int32
	row int32
}

const shared = -1

type entityID struct {
	e  int32
	id Sym
}

func (x *rowIndex) get(e int32, id Sym) (int32, bool) {
	if uint(id) >= uint(len(x.at)) || id == 0 {
		return 0, false
	}
	r := x.at[id]
	switch r.e {
	case e + 1:
		return r.row, true
	case shared:
		row, ok := x.shared[entityID{e, id}]
		return row, ok
	}
	return 0, false
}

// set records that the record of entity e with this id is at row; it must not be there yet.
func (x *rowIndex) set(e int32, id Sym, row int32) {
	if int(id) >= len(x.at) {
		x.at = append(x.at, make([]rowRef, int(id)+1-len(x.at))...)
		x.at = x.at[:cap(x.at)]
	}
	r := &x.at[id]
	switch r.e {
	case 0:
		*r = rowRef{e: e + 1, row: row}
		return
	case shared:
	default:
		if x.shared == nil {
			x.shared = map[entityID]int32{}
		}
		x.shared[entityID{r.e - 1, id}] = r.row
		*r = rowRef{e: shared}
	}
	x.shared[entityID{e, id}] = row
}

// unset forgets the record of entity e with this id. A shared id stays
// shared: the map answers for it from then on.
func (x *rowIndex) unset(e int32, id Sym) {
	r := &x.at[id]
	if r.e == shared {
		delete(x.shared, entityID{e, id})
		return
	}
	*r = rowRef{}
}
