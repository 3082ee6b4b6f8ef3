package intercept

import (
	"errors"
	"fmt"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/jsondoc"
)

// Decoder decodes one line at a time into operations it keeps: what it
// returns is valid until its next call, and a neutral line costs no
// allocation. It is not safe for concurrent use: a replay keeps one, a server
// one per request (from a pool).
type Decoder struct {
	in  *Interceptor
	p   parsers
	ops []runtime.Op
}

// NewDecoder makes a decoder that counts into in.
func (in *Interceptor) NewDecoder() *Decoder { return &Decoder{in: in} }

// Decode is Interceptor.Decode into the decoder's memory.
func (d *Decoder) Decode(data []byte) (Decoded, error) {
	if mp, ok, err := d.in.enveloped(data, &d.p); ok {
		return Decoded{Mapping: mp, Fact: true}, err
	}
	m, err := parse(&d.p.outer, data)
	if err != nil {
		_, err = d.in.result("operation", nil, err)
		return Decoded{}, err
	}
	if m.Kind() != "an object" {
		_, err = d.in.result("operation", nil, fmt.Errorf("want a JSON object, got %s", m.Kind()))
		return Decoded{}, err
	}
	var mp runtime.Mapping
	fact := false
	switch {
	case present(m, "op"):
		mp, err = d.neutral(m)
	case present(m, "method") && present(m, "path"):
		mp, err = d.in.restLine(m)
		fact = present(m, "response")
	default:
		mp, err = d.in.notification(m, &d.p)
		fact = true
	}
	return Decoded{Mapping: mp, Fact: fact}, err
}

// neutral binds {"op": ..., "params": {...}} into the decoder's operations.
func (d *Decoder) neutral(m jsondoc.Node) (runtime.Mapping, error) {
	opv, _ := m.Member("op")
	name, ok := opv.(jsondoc.Node).Str()
	if !ok || len(name) == 0 {
		return d.in.result("neutral operation", nil, fmt.Errorf(`"op" must name an event, got %s`, kindOf(opv)))
	}
	var params jsondoc.Node
	if pv, ok := m.Member("params"); ok {
		p := pv.(jsondoc.Node)
		switch {
		case p.Null():
		case p.Kind() == "an object":
			params = p
		default:
			return d.in.result("operation "+string(name), nil, fmt.Errorf(`"params" must be an object, got %s`, p.Kind()))
		}
	}
	ops, err := d.in.eng.AppendNeutral(d.ops[:0], name, params)
	d.ops = ops[:0]
	if err == nil && len(ops) == 0 {
		err = fmt.Errorf("no model has an event %q%s", name, d.in.eng.EventHint(string(name)))
	}
	if err != nil {
		var ie *Error
		if !errors.As(err, &ie) {
			err = &Error{What: "operation " + string(name), Err: err}
		}
	}
	return d.in.result("operation", ops, err)
}
