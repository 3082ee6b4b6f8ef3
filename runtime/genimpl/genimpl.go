// Package genimpl is the narrow surface that code written by pvsc gen is compiled against: the Ctx a predicate reads, the Pred type, the binding of predicates to table expressions and the version guard. Only generated code imports it.
package genimpl

import (
	"sync"

	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// Version is the generated-code contract this pvsc implements. Generated files pin the version
// they were written for with two EnforceVersion constants; a file written for a version outside
// [MinVersion, MaxVersion] fails to compile on the line that says "run go generate ./...".
const (
	Version    = 3 // 3: Ctx.Indexed, RowField and Lookup, the quantifiers over an index; 2: Ctx.Has
	MinVersion = 3
	MaxVersion = 3
)

// EnforceVersion is unsigned so that a negative constant conversion, a stale file, is a compile error.
type EnforceVersion uint

// Value and Sym are the runtime's cell and interned-string types as predicates see them.
type (
	Value = state.Value
	Sym   = state.Sym
)

// Ctx is what a generated predicate reads while it runs; the runtime's evaluation context implements it.
type Ctx interface {
	// Param is parameter i of the operation (an absent one reads as the value it would set).
	Param(i int) Value
	// Has reports whether parameter i was given at all.
	Has(i int) bool
	// Elem is field f (tables.Model.FieldNames numbering) of the record an init predicate looks at.
	Elem(field int) Value
	// Scope is the id of the scope the expression runs for.
	Scope() Sym
	// Field is field f of the entity's record with this id; the zero value when there is none.
	Field(entity int32, id Sym, field int) Value
	// Exists reports whether the entity has a record with this id.
	Exists(entity int32, id Sym) bool
	// InWatchlist reports whether the scope's watchlist holds (a, b); b is 0 for single elements.
	InWatchlist(a, b Sym) bool
	// InList reports whether a list value holds x.
	InList(x int64, list Value) bool
	// Str is the text of a string or id.
	Str(s Sym) string
	// Indexed is the rows of the entity whose field holds key (cloud.<plural>_by_<field>[key]);
	// read it, do not keep it.
	Indexed(entity int32, field int, key Sym) []int32
	// RowField is field f of the entity's record in a row Indexed gave.
	RowField(entity, row int32, field int) Value
	// Lookup is the id of one of the expression's string literals (the runtime interned them all).
	Lookup(s string) Sym
}

// All reports whether every row passes: cloud.<plural>_by_<field>[key].all(v, ...).
func All(rows []int32, pass func(row int32) bool) bool {
	for _, r := range rows {
		if !pass(r) {
			return false
		}
	}
	return true
}

// Any reports whether some row passes: cloud.<plural>_by_<field>[key].exists(v, ...).
func Any(rows []int32, pass func(row int32) bool) bool {
	for _, r := range rows {
		if pass(r) {
			return true
		}
	}
	return false
}

// InPairs reports whether [a, b] is one of the pairs flat holds (a0, b0, a1, b1, ...).
func InPairs(a, b string, flat []string) bool {
	for i := 0; i+1 < len(flat); i += 2 {
		if flat[i] == a && flat[i+1] == b {
			return true
		}
	}
	return false
}

// Pred is a boolean table expression compiled to Go.
type Pred func(Ctx) bool

// Binding attaches a predicate to the expression of the tables it was compiled from.
type Binding struct {
	Expr *tables.Expr
	Pred Pred
}

var (
	mu    sync.RWMutex
	preds = map[*tables.Expr]Pred{}
)

// Bind records the predicates of a generated file; generated code calls it from init. The tables
// themselves stay plain data: copies of a spec share its expressions, so they share the bindings.
func Bind(bs []Binding) {
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bs {
		if b.Expr != nil && b.Pred != nil {
			preds[b.Expr] = b.Pred
		}
	}
}

// PredOf is the predicate bound to an expression, or nil (a spec compiled at run time has none).
// The runtime asks once per expression when it builds an engine, never per operation.
func PredOf(x *tables.Expr) Pred {
	if x == nil {
		return nil
	}
	mu.RLock()
	defer mu.RUnlock()
	return preds[x]
}
