package state

import "testing"

func TestRowIndexSharedIDs(t *testing.T) {
	var x rowIndex
	x.set(2, 7, 40)
	x.set(3, 9, 1)
	x.set(4, 7, 5) // the id 7 now names records of entities 2 and 4
	for _, c := range []struct {
		e   int32
		id  Sym
		row int32
		ok  bool
	}{{2, 7, 40, true}, {4, 7, 5, true}, {3, 7, 0, false}, {3, 9, 1, true}, {2, 9, 0, false}, {2, 0, 0, false}, {2, 1000, 0, false}, {2, -3, 0, false}} {
		row, ok := x.get(c.e, c.id)
		if row != c.row || ok != c.ok {
			t.Errorf("get(%d, %d) = %d, %v; want %d, %v", c.e, c.id, row, ok, c.row, c.ok)
		}
	}
	x.unset(2, 7)
	if _, ok := x.get(2, 7); ok {
		t.Error("entity 2's record 7 is still found after unset")
	}
	if row, ok := x.get(4, 7); !ok || row != 5 {
		t.Errorf("entity 4's record 7: %d, %v", row, ok)
	}
	x.unset(3, 9)
	x.set(3, 9, 2)
	if row, ok := x.get(3, 9); !ok || row != 2 {
		t.Errorf("re-created record 9: %d, %v", row, ok)
	}
}
