package gen

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"pvsc.dev/pvsc/tables"
)

// enumNames render the tables' small enumerations by name, not number.
var enumNames = map[reflect.Type]map[int64]string{
	reflect.TypeOf(tables.TypeKind(0)):    {1: "TBool", 2: "TInt", 3: "TString", 4: "TEnum", 5: "TRef", 6: "TList"},
	reflect.TypeOf(tables.EventKind(0)):   {1: "Creates", 2: "Deletes", 3: "Updates", 4: "Associates", 5: "Dissociates"},
	reflect.TypeOf(tables.SourceKind(0)):  {1: "API", 2: "Notify", 3: "CLI", 4: "Snapshot"},
	reflect.TypeOf(tables.Kind(0)):        {0: "None", 1: "TE", 2: "WE", 3: "CE"},
	reflect.TypeOf(tables.FactKind(0)):    {1: "Exists", 2: "Linked"},
	reflect.TypeOf(tables.Enforcement(0)): {1: "Deny", 2: "Alert", 3: "Log"},
	reflect.TypeOf(tables.UpdateOp(0)):    {1: "Add", 2: "Remove", 3: "Rebuild"},
	reflect.TypeOf(tables.Direction(0)):   {1: "AtMost", 2: "AtLeast"},
	reflect.TypeOf(tables.FastOp(0)): {
		1: "FLit", 2: "FParam", 3: "FElem", 4: "FScope", 5: "FField", 6: "FExists", 7: "FInWL", 8: "FInList",
		9: "FInConsts", 10: "FNot", 11: "FAnd", 12: "FOr", 13: "FEq", 14: "FNe", 15: "FLt", 16: "FLe",
		17: "FGt", 18: "FGe", 19: "FPrefix", 20: "FSuffix", 21: "FContains", 22: "FHas",
		23: "FAll", 24: "FAny", 25: "FVar", 26: "FCond", 27: "FCount", 28: "FInPairs", 29: "FAdd",
	},
}

// literal renders a tables value as a Go composite literal; zero fields are left out,
// except the -1 sentinels which are written out.
func literal(v any) string {
	var b strings.Builder
	writeValue(&b, reflect.ValueOf(v), 0)
	return b.String()
}

func writeValue(b *strings.Builder, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		b.WriteString("&")
		writeValue(b, v.Elem(), depth)
	case reflect.Struct:
		writeStruct(b, v, depth)
	case reflect.Slice:
		writeSlice(b, v, depth)
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		writeInt(b, v.Type(), v.Int())
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		writeInt(b, v.Type(), int64(v.Uint()))
	case reflect.Interface:
		b.WriteString("nil")
	default:
		panic(fmt.Sprintf("gen: unsupported kind %s", v.Kind()))
	}
}

func writeInt(b *strings.Builder, t reflect.Type, i int64) {
	if names, ok := enumNames[t]; ok {
		if n, ok := names[i]; ok {
			b.WriteString("tables." + n)
			return
		}
	}
	b.WriteString(strconv.FormatInt(i, 10))
}

func writeStruct(b *strings.Builder, v reflect.Value, depth int) {
	t := v.Type()
	b.WriteString("tables." + t.Name() + "{")
	var fields []string
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		if t.Field(i).Type.Kind() == reflect.Interface || f.IsZero() {
			continue
		}
		var fb strings.Builder
		fb.WriteString(t.Field(i).Name + ": ")
		writeValue(&fb, f, depth+1)
		fields = append(fields, fb.String())
	}
	joinFields(b, fields, depth)
	b.WriteString("}")
}

func writeSlice(b *strings.Builder, v reflect.Value, depth int) {
	et := v.Type().Elem()
	b.WriteString("[]")
	if et.Kind() == reflect.Pointer {
		b.WriteString("*tables." + et.Elem().Name())
	} else if et.Kind() == reflect.Struct || enumNames[et] != nil {
		b.WriteString("tables." + et.Name())
	} else {
		b.WriteString(et.Name())
	}
	b.WriteString("{")
	elems := make([]string, v.Len())
	for i := range elems {
		var eb strings.Builder
		writeValue(&eb, v.Index(i), depth+1)
		elems[i] = eb.String()
	}
	if et.Kind() == reflect.Struct || et.Kind() == reflect.Pointer {
		joinFields(b, elems, depth)
	} else {
		b.WriteString(strings.Join(elems, ", "))
	}
	b.WriteString("}")
}

// joinFields puts long lists one per line; gofmt indents them.
func joinFields(b *strings.Builder, parts []string, depth int) {
	total := 0
	for _, p := range parts {
		total += len(p) + 2
	}
	if total < 80 && !strings.Contains(strings.Join(parts, ""), "\n") {
		b.WriteString(strings.Join(parts, ", "))
		return
	}
	b.WriteString("\n")
	for _, p := range parts {
		b.WriteString(p + ",\n")
	}
}
