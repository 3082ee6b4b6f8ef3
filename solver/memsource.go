package solver

import "pvsc.dev/pvsc/tables"

// MemSource is an in-memory Source: records by entity, indexed by id.
type MemSource struct {
	m    *tables.Model
	recs [][]*MemRecord
	at   []map[string]int
}

// MemRecord is a record of a MemSource.
type MemRecord struct {
	Id      string
	Parents []string
	// Ancs are the ancestors' ids; Put resolves them from the parents when nil.
	Ancs  []string
	Attrs []Value
}

// ID is the record's id.
func (r *MemRecord) ID() string { return r.Id }

// Parent is the id of the k-th parent.
func (r *MemRecord) Parent(k int) string {
	if k < len(r.Parents) {
		return r.Parents[k]
	}
	return ""
}

// Ancestor is the id of the k-th ancestor.
func (r *MemRecord) Ancestor(k int) string {
	if k < len(r.Ancs) {
		return r.Ancs[k]
	}
	return ""
}

// Attr is attribute a's value.
func (r *MemRecord) Attr(a int) Value {
	if a < len(r.Attrs) {
		return r.Attrs[a]
	}
	return Value{}
}

// NewMemSource makes an empty source for a model.
func NewMemSource(m *tables.Model) *MemSource {
	s := &MemSource{m: m, recs: make([][]*MemRecord, len(m.Entities)), at: make([]map[string]int, len(m.Entities))}
	for i := range s.at {
		s.at[i] = map[string]int{}
	}
	return s
}

// Put adds or replaces a record. A record without ancestors gets them as a
// cloud would when it is created now: breadth-first over its parents, a
// parent counting by its id, records walked through (SEMANTICS §1).
func (s *MemSource) Put(entity int32, r *MemRecord) {
	if r.Ancs == nil {
		r.Ancs = s.resolve(entity, r)
	}
	if i, ok := s.at[entity][r.Id]; ok {
		s.recs[entity][i] = r
		return
	}
	s.at[entity][r.Id] = len(s.recs[entity])
	s.recs[entity] = append(s.recs[entity], r)
}

func (s *MemSource) resolve(entity int32, r *MemRecord) []string {
	anc := s.m.Entities[entity].Ancestors
	out := make([]string, len(anc))
	for k, a := range anc {
		type node struct {
			e  int32
			id string
		}
		var queue []node
		for i, p := range s.m.Entities[entity].Parents {
			queue = append(queue, node{p, r.Parent(i)})
		}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			if n.id == "" {
				continue
			}
			if n.e == a {
				out[k] = n.id
				break
			}
			if pr, ok := s.Record(n.e, n.id); ok {
				for i, p := range s.m.Entities[n.e].Parents {
					queue = append(queue, node{p, pr.Parent(i)})
				}
			}
		}
	}
	return out
}

// Records visits every record of an entity.
func (s *MemSource) Records(entity int32, visit func(Record) bool) {
	for _, r := range s.recs[entity] {
		if !visit(r) {
			return
		}
	}
}

// Record looks one record up.
func (s *MemSource) Record(entity int32, id string) (Record, bool) {
	i, ok := s.at[entity][id]
	if !ok {
		return nil, false
	}
	return s.recs[entity][i], true
}

// Len is the number of records of an entity.
func (s *MemSource) Len(entity int32) int { return len(s.recs[entity]) }
