package state

// EachScope visits every id of scope type scope that has fact counters (some
// record was ever counted in it), until fn returns false. Scopes whose
// records are all gone may still be visited; their counts read zero.
func (s *Store) EachScope(scope int32, fn func(id Sym) bool) {
	sc := s.cnt.byScope[scope]
	if sc == nil {
		return
	}
	for id := range sc.index {
		if !fn(id) {
			return
		}
	}
}
