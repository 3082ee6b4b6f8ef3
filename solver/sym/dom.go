package sym

// Dom interns the strings of a bounded problem: a string scalar's keys index it. "" is key 0.
type Dom struct {
	strs []string
	keys map[string]int64
}

// NewDom returns a domain holding "".
func NewDom() *Dom {
	d := &Dom{keys: map[string]int64{}}
	d.Key("")
	return d
}

// Key interns s.
func (d *Dom) Key(s string) int64 {
	if k, ok := d.keys[s]; ok {
		return k
	}
	k := int64(len(d.strs))
	d.strs = append(d.strs, s)
	d.keys[s] = k
	return k
}

// Find returns the key of s if it is interned.
func (d *Dom) Find(s string) (int64, bool) {
	k, ok := d.keys[s]
	return k, ok
}

// Str is the string of a key.
func (d *Dom) Str(k int64) string { return d.strs[k] }

// Len is the number of interned strings.
func (d *Dom) Len() int { return len(d.strs) }
