package state

// symIndex numbers the scope ids it is given, densely and for good, through an
// array indexed by Sym: one read where a hash map lookup costs several cache
// misses at a hundred thousand scopes. It takes 4 bytes per interned string.
type symIndex struct {
	slot []int32 // by Sym: slot+1, 0 when the id has none
	ids  []Sym   // by slot
}

// get is the slot of an id.
func (x *symIndex) get(id Sym) (int32, bool) {
	if uint(id) >= uint(len(x.slot)) {
		return 0, false
	}
	s := x.slot[id]
	return s - 1, s != 0
}

// add is the slot of an id, numbered next if it had none; added says so.
func (x *symIndex) add(id Sym) (slot int32, added bool) {
	if s, ok := x.get(id); ok {
		return s, false
	}
	if int(id) >= len(x.slot) {
		x.slot = append(x.slot, make([]int32, int(id)+1-len(x.slot))...)
		x.slot = x.slot[:cap(x.slot)]
	}
	slot = int32(len(x.ids))
	x.ids = append(x.ids, id)
	x.slot[id] = slot + 1
	return slot, true
}
