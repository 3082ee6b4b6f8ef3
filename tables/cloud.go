package tables

// CloudKind says what a field of the cloud view holds.
type CloudKind uint8

// Cloud view fields. An index (cloud.<plural>_by_<field>) maps a value to the
// records whose field holds it, or whose list field contains it: it reaches a
// record's children or neighbours without scanning the entity.
const (
	CloudRecords CloudKind = iota // cloud.<plural>: every record
	CloudIDs                      // cloud.<entity>_ids: every id
	CloudByID                     // cloud.<entity>_by_id: the record with an id
	CloudIndex                    // cloud.<plural>_by_<field>: the records with a field value
)

// CloudField is one field of the cloud view.
type CloudField struct {
	Name   string
	Kind   CloudKind
	Entity int32
	Field  int // CloudIndex: the indexed field (FieldNames order)
}

// CloudFields lists the cloud view's fields in the order CEL numbers them:
// per entity its records, ids and records by id, then its indexes.
func (m *Model) CloudFields() []CloudField {
	var out []CloudField
	for i, ent := range m.Entities {
		e := int32(i)
		out = append(out,
			CloudField{Name: ent.Plural, Kind: CloudRecords, Entity: e},
			CloudField{Name: ent.Name + "_ids", Kind: CloudIDs, Entity: e},
			CloudField{Name: ent.Name + "_by_id", Kind: CloudByID, Entity: e})
	}
	for i, ent := range m.Entities {
		for f, name := range m.FieldNames(int32(i)) {
			if f > 0 && Indexable(m.FieldType(int32(i), f)) {
				out = append(out, CloudField{Name: ent.Plural + "_by_" + name, Kind: CloudIndex, Entity: int32(i), Field: f})
			}
		}
	}
	return out
}

// Indexable reports whether records can be indexed by a field of this type:
// strings and ids, or lists of them.
func Indexable(t Type) bool {
	k := t.Kind
	if k == TList {
		k = t.Elem
	}
	return k == TString || k == TRef
}
