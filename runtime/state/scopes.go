package state

// EachScope visits every id of scope type scope that has fact counters (some
// record was ever counted in it), until fn returns false. Scopes whose
// records are all gone may still be visited; their counts read zero.
func (s *Store) EachScope(scope int32, fn func(id Sym) bool) {
	if scope < 0 || s.cnt.byScope[scope] == nil {
		return
	}
	for _, id := range s.cnt.byScope[scope].index.ids {
		if !fn(id) {
			return
		}
	}
}
