package solver

// MemSource is an in-memory Source: records by entity, indexed by id.
type MemSource struct {
	recs [][]*MemRecord
	at   []map[string]int
}

// MemRecord is a record of a MemSource.
type MemRecord struct {
	Id      string
	Parents []string
	Attrs   []Value
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

// Attr is attribute a's value.
func (r *MemRecord) Attr(a int) Value {
	if a < len(r.Attrs) {
		return r.Attrs[a]
	}
	return Value{}
}

// NewMemSource makes an empty source for a model with n entities.
func NewMemSource(n int) *MemSource {
	s := &MemSource{recs: make([][]*MemRecord, n), at: make([]map[string]int, n)}
	for i := range s.at {
		s.at[i] = map[string]int{}
	}
	return s
}

// Put adds or replaces a record.
func (s *MemSource) Put(entity int32, r *MemRecord) {
	if i, ok := s.at[entity][r.Id]; ok {
		s.recs[entity][i] = r
		return
	}
	s.at[entity][r.Id] = len(s.recs[entity])
	s.recs[entity] = append(s.recs[entity], r)
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
