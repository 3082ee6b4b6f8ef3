// Package jsondoc reads JSON without decoding it into Go maps: a parse tree
// that operation rows' paths walk in place, and the sections of a large
// snapshot found without parsing what no row reads.
package jsondoc

import (
	"encoding/json"

	"github.com/valyala/fastjson"

	"pvsc.dev/pvsc/tables"
)

var _ tables.Node = Node{}

// Node is one value of a parsed document. It is valid until its parser parses again.
type Node struct{ v *fastjson.Value }

// typ is the value's JSON type; the zero Node is null.
func (n Node) typ() fastjson.Type {
	if n.v == nil {
		return fastjson.TypeNull
	}
	return n.v.Type()
}

// Member is an object's member by key (a key may hold dots: Nova's "nova_object.data").
func (n Node) Member(key string) (any, bool) {
	if n.typ() != fastjson.TypeObject {
		return nil, false
	}
	c := n.v.Get(key)
	if c == nil {
		return nil, false
	}
	return Node{c}, true
}

// Index is an array's element.
func (n Node) Index(i int) (any, bool) {
	if n.typ() != fastjson.TypeArray {
		return nil, false
	}
	a, _ := n.v.Array()
	if i < 0 || i >= len(a) {
		return nil, false
	}
	return Node{a[i]}, true
}

// Null reports JSON null, which paths read as absent.
func (n Node) Null() bool { return n.typ() == fastjson.TypeNull }

// Kind names the value's JSON type as error messages do ("a string", "an object").
func (n Node) Kind() string {
	switch n.typ() {
	case fastjson.TypeString:
		return "a string"
	case fastjson.TypeNumber:
		return "a number"
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return "a boolean"
	case fastjson.TypeArray:
		return "a list"
	case fastjson.TypeObject:
		return "an object"
	}
	return "null"
}

// Str is a string's bytes (unescaped; the parser's: do not keep them).
func (n Node) Str() ([]byte, bool) {
	if n.typ() != fastjson.TypeString {
		return nil, false
	}
	b, _ := n.v.StringBytes()
	return b, true
}

// IsList reports a JSON array.
func (n Node) IsList() bool { return n.typ() == fastjson.TypeArray }

// Items lists an array's elements (nil for anything else).
func (n Node) Items() []any {
	if n.v == nil {
		return nil
	}
	a, err := n.v.Array()
	if err != nil {
		return nil
	}
	out := make([]any, len(a))
	for i, x := range a {
		out[i] = Node{x}
	}
	return out
}

// Members calls fn for each member of an object, in order.
func (n Node) Members(fn func(key string, v Node)) {
	if n.v == nil {
		return
	}
	o, err := n.v.Object()
	if err != nil {
		return
	}
	o.Visit(func(k []byte, v *fastjson.Value) { fn(string(k), Node{v}) })
}

// MembersBytes is Members with the keys as the parser's bytes (no allocation; do not keep them).
func (n Node) MembersBytes(fn func(key []byte, v Node)) {
	if n.v == nil {
		return
	}
	o, err := n.v.Object()
	if err != nil {
		return
	}
	o.Visit(func(k []byte, v *fastjson.Value) { fn(k, Node{v}) })
}

// Plain is the value as encoding/json decodes it with UseNumber: string,
// json.Number, bool, nil, []any, map[string]any.
func (n Node) Plain() any {
	switch n.typ() {
	case fastjson.TypeString:
		b, _ := n.v.StringBytes()
		return string(b)
	case fastjson.TypeNumber:
		return json.Number(n.v.String())
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	case fastjson.TypeArray:
		a, _ := n.v.Array()
		out := make([]any, len(a))
		for i, x := range a {
			out[i] = Node{x}.Plain()
		}
		return out
	case fastjson.TypeObject:
		out := map[string]any{}
		n.Members(func(k string, v Node) { out[k] = v.Plain() })
		return out
	}
	return nil
}

// Plain converts a Node to plain values and returns anything else as it is.
func Plain(x any) any {
	if n, ok := x.(Node); ok {
		return n.Plain()
	}
	return x
}

// Parser parses documents one at a time, reusing its memory: what it
// returns is valid until it parses again. It is not safe for concurrent use.
type Parser struct{ p fastjson.Parser }

// Parse parses one JSON text.
func (p *Parser) Parse(b []byte) (Node, error) {
	v, err := p.p.ParseBytes(b)
	if err != nil {
		return Node{}, err
	}
	return Node{v}, nil
}
