package solver

import "pvsc.dev/pvsc/tables"

// Value is a concrete value of a record attribute or an operation parameter.
// Kind 0 is an absent parameter; lists hold their elements in List.
type Value struct {
	Kind tables.TypeKind
	Str  string
	Int  int64
	Bool bool
	List []Value
}

// Str, Int, Bool and List make values.
func Str(s string) Value     { return Value{Kind: tables.TString, Str: s} }
func Int(i int64) Value      { return Value{Kind: tables.TInt, Int: i} }
func Bool(b bool) Value      { return Value{Kind: tables.TBool, Bool: b} }
func List(vs ...Value) Value { return Value{Kind: tables.TList, List: vs} }

// Record is one record of the cloud as the baseline reads it.
type Record interface {
	ID() string
	// Parent is the id of the k-th precedence parent ("" when none).
	Parent(k int) string
	// Ancestor is the id of the k-th ancestor (tables.Entity.Ancestors order),
	// fixed when the record was created ("" when unknown; SEMANTICS §1).
	Ancestor(k int) string
	// Attr is attribute a's value (its zero value when never set).
	Attr(a int) Value
}

// Source is the cloud state the intercept-and-check baseline reads; the
// runtime's state store is adapted to it by whoever runs both engines.
type Source interface {
	// Records visits every record of an entity until visit returns false.
	Records(entity int32, visit func(Record) bool)
	// Record looks one record up by id.
	Record(entity int32, id string) (Record, bool)
}
