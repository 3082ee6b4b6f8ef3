package state

import (
	"fmt"
	"strconv"

	"pvsc.dev/pvsc/tables"
)

// Value is one typed value: strings and entity ids are Syms in I, ints and enum ranks are I, bools are 0/1; lists are L.
type Value struct {
	I int64
	L []int64
}

// Str is a string or id value.
func Str(s Sym) Value { return Value{I: int64(s)} }

// Int is an int or enum value.
func Int(i int64) Value { return Value{I: i} }

// Bool is a bool value.
func Bool(b bool) Value {
	if b {
		return Value{I: 1}
	}
	return Value{}
}

// Sym reads a string or id value.
func (v Value) Sym() Sym { return Sym(v.I) }

// Bool reads a bool value.
func (v Value) Bool() bool { return v.I != 0 }

// IsZero reports whether v is the zero value of its type.
func (v Value) IsZero() bool { return v.I == 0 && len(v.L) == 0 }

// Equal compares two values of the same type.
func (v Value) Equal(w Value) bool {
	if v.I != w.I || len(v.L) != len(w.L) {
		return false
	}
	for i := range v.L {
		if v.L[i] != w.L[i] {
			return false
		}
	}
	return true
}

// Contains reports whether a list value holds x.
func (v Value) Contains(x int64) bool {
	for _, y := range v.L {
		if y == x {
			return true
		}
	}
	return false
}

// FromJSON converts a decoded JSON value (as encoding/json produces with
// UseNumber or float64) to a Value of type t, interning strings. Enum values
// may be given by name or rank.
func FromJSON(in *Interner, m *tables.Model, t tables.Type, x any) (Value, error) {
	if t.Kind == tables.TList {
		return listFromJSON(in, m, t, x)
	}
	i, err := scalarFromJSON(in, m, t.Kind, t.Ref, x)
	return Value{I: i}, err
}

func listFromJSON(in *Interner, m *tables.Model, t tables.Type, x any) (Value, error) {
	if x == nil {
		return Value{}, nil
	}
	xs, ok := x.([]any)
	if !ok {
		return Value{}, fmt.Errorf("want a list, got %s", JSONKind(x))
	}
	out := Value{L: make([]int64, 0, len(xs))}
	for i, e := range xs {
		v, err := scalarFromJSON(in, m, t.Elem, t.Ref, e)
		if err != nil {
			return Value{}, fmt.Errorf("element %d: %w", i, err)
		}
		out.L = append(out.L, v)
	}
	return out, nil
}

func scalarFromJSON(in *Interner, m *tables.Model, k tables.TypeKind, ref int32, x any) (int64, error) {
	if x == nil {
		return 0, nil
	}
	switch k {
	case tables.TString, tables.TRef:
		s, ok := x.(string)
		if !ok {
			return 0, fmt.Errorf("want a string, got %s", JSONKind(x))
		}
		return int64(in.Intern(s)), nil
	case tables.TBool:
		b, ok := x.(bool)
		if !ok {
			return 0, fmt.Errorf("want true or false, got %s", JSONKind(x))
		}
		return int64(Bool(b).I), nil
	case tables.TInt:
		return intFromJSON(x)
	case tables.TEnum:
		return enumFromJSON(m.Enums[ref], x)
	}
	return 0, fmt.Errorf("unsupported type")
}

func intFromJSON(x any) (int64, error) {
	switch n := x.(type) {
	case float64:
		if n != float64(int64(n)) {
			return 0, fmt.Errorf("want an integer, got %v", n)
		}
		return int64(n), nil
	case interface{ Int64() (int64, error) }:
		return n.Int64()
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	}
	return 0, fmt.Errorf("want an integer, got %s", JSONKind(x))
}

func enumFromJSON(e tables.Enum, x any) (int64, error) {
	if s, ok := x.(string); ok {
		for i, v := range e.Values {
			if v == s {
				return int64(i), nil
			}
		}
		return 0, fmt.Errorf("%q is not a value of enum %s", s, e.Name)
	}
	i, err := intFromJSON(x)
	if err != nil {
		return 0, fmt.Errorf("want a value of enum %s, got %s", e.Name, JSONKind(x))
	}
	if i < 0 || i >= int64(len(e.Values)) {
		return 0, fmt.Errorf("rank %d is out of enum %s", i, e.Name)
	}
	return i, nil
}

// ConstValue converts an operation row's constant to a Value of type t.
func ConstValue(in *Interner, m *tables.Model, t tables.Type, s string) (Value, error) {
	switch t.Kind {
	case tables.TInt:
		i, err := strconv.ParseInt(s, 10, 64)
		return Value{I: i}, err
	case tables.TBool:
		return Bool(s == "true"), nil
	case tables.TEnum:
		i, err := enumFromJSON(m.Enums[t.Ref], s)
		return Value{I: i}, err
	case tables.TList:
		return Value{}, fmt.Errorf("list constants are not supported")
	}
	return Str(in.Intern(s)), nil
}

// JSONKind names the kind of a decoded JSON value for an error message.
func JSONKind(x any) string {
	switch x.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	if _, ok := x.(interface{ Int64() (int64, error) }); ok {
		return "a number"
	}
	if n, ok := x.(interface{ Kind() string }); ok {
		return n.Kind()
	}
	return fmt.Sprintf("%T", x)
}
