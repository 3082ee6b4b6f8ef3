// Package state is the cloud context store: entity records under dense integer ids, the effects of model events, and per-scope fact counts that give a configuration in O(1).
package state

// Sym is an interned string: ids, and string attribute values. Sym 0 is "".
type Sym int32

// Interner maps strings to dense Syms and back. Lookups do not allocate.
type Interner struct {
	ids  map[string]Sym
	strs []string
}

// NewInterner returns an interner holding only "".
func NewInterner() *Interner {
	return &Interner{ids: map[string]Sym{"": 0}, strs: []string{""}}
}

// Intern returns s's Sym, adding it if new.
func (in *Interner) Intern(s string) Sym {
	if id, ok := in.ids[s]; ok {
		return id
	}
	id := Sym(len(in.strs))
	in.ids[s] = id
	in.strs = append(in.strs, s)
	return id
}

// Lookup returns s's Sym if s was interned.
func (in *Interner) Lookup(s string) (Sym, bool) {
	id, ok := in.ids[s]
	return id, ok
}

// InternBytes is Intern for bytes: a known string costs one lookup and no allocation.
func (in *Interner) InternBytes(b []byte) Sym {
	if id, ok := in.ids[string(b)]; ok {
		return id
	}
	s := string(b)
	id := Sym(len(in.strs))
	in.ids[s] = id
	in.strs = append(in.strs, s)
	return id
}

// LookupBytes is Lookup for bytes; it does not allocate.
func (in *Interner) LookupBytes(b []byte) (Sym, bool) {
	id, ok := in.ids[string(b)]
	return id, ok
}

// String returns the string of a Sym.
func (in *Interner) String(id Sym) string {
	if id < 0 || int(id) >= len(in.strs) {
		return ""
	}
	return in.strs[id]
}

// Len is the number of interned strings.
func (in *Interner) Len() int { return len(in.strs) }
