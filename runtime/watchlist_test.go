package runtime

import (
	"math/rand/v2"
	"testing"
)

// TestWatchlistTableAgreesWithAMap puts, drops and finds watchlists in a
// property's shards at random and checks every answer against a Go map.
func TestWatchlistTableAgreesWithAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var pw propWorld
	model := map[sym]int8{}
	for i := range 200_000 {
		// Evenly spaced ids, as tenants among their records are, and a few others.
		s := sym(1 + 18*r.IntN(3000))
		if i%7 == 0 {
			s = sym(1 + r.IntN(60_000))
		}
		switch r.IntN(3) {
		case 0:
			n := int8(r.IntN(5))
			pw.put(s, wlist{n: n})
			model[s] = n
		case 1:
			_, had := model[s]
			if pw.drop(s) != had {
				t.Fatalf("step %d: drop(%d) = %v, want %v", i, s, !had, had)
			}
			delete(model, s)
		}
		l, ok := pw.get(s)
		n, want := model[s]
		if ok != want || l.n != n {
			t.Fatalf("step %d: get(%d) = %d, %v; want %d, %v", i, s, l.n, ok, n, want)
		}
	}
	seen := 0
	pw.eachWatchlist(func(s sym, l *wlist) {
		seen++
		if n, ok := model[s]; !ok || n != l.n {
			t.Errorf("eachWatchlist visits %d (N %d), the map has %d, %v", s, l.n, n, ok)
		}
	})
	if seen != len(model) {
		t.Errorf("eachWatchlist visited %d scopes, want %d", seen, len(model))
	}
	if _, ok := pw.get(0); ok {
		t.Error("scope 0 has a watchlist")
	}
}
