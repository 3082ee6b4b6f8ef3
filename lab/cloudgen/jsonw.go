package cloudgen

import "strconv"

// obj appends one JSON object field by field, in the order given.
type obj struct {
	b    []byte
	more bool
}

func newObj(b []byte) *obj { return &obj{b: append(b, '{')} }

func (o *obj) key(k string) *obj {
	if o.more {
		o.b = append(o.b, ',')
	}
	o.more = true
	o.b = appendString(o.b, k)
	o.b = append(o.b, ':')
	return o
}

func (o *obj) str(k, v string) *obj {
	o.key(k).b = appendString(o.b, v)
	return o
}

func (o *obj) boolean(k string, v bool) *obj {
	o.key(k).b = strconv.AppendBool(o.b, v)
	return o
}

func (o *obj) num(k string, v int) *obj {
	o.key(k).b = strconv.AppendInt(o.b, int64(v), 10)
	return o
}

// strOrNull writes v, or null when v is "".
func (o *obj) strOrNull(k, v string) *obj {
	if v == "" {
		o.key(k).b = append(o.b, "null"...)
		return o
	}
	return o.str(k, v)
}

func (o *obj) strs(k string, vs []string) *obj {
	o.key(k).b = append(o.b, '[')
	for i, v := range vs {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendString(o.b, v)
	}
	o.b = append(o.b, ']')
	return o
}

// id writes {"id": v} under k.
func (o *obj) id(k, v string) *obj {
	o.key(k).b = append(o.b, `{"id":`...)
	o.b = append(appendString(o.b, v), '}')
	return o
}

// raw writes an already-encoded JSON value.
func (o *obj) raw(k string, v []byte) *obj {
	o.key(k).b = append(o.b, v...)
	return o
}

func (o *obj) done() []byte { return append(o.b, '}') }

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
