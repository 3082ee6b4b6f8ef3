// Package intercept decodes what a cloud says about an operation — OpenStack REST requests, oslo.messaging notifications, Keystone CADF events — and the neutral form into the engine's operations.
package intercept

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/jsondoc"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// Interceptor turns operations in their wire forms into engine operations,
// counting what it recognised, what it did not know (those pass) and what
// was malformed (refused). It is safe for concurrent use.
type Interceptor struct {
	eng                       *runtime.Engine
	known, unknown, malformed atomic.Int64
	pool                      sync.Pool // of *parsers
}

// New makes an interceptor for an engine; the engine's operation blocks say what each operation means.
func New(e *runtime.Engine) *Interceptor { return &Interceptor{eng: e} }

// Counts is what an interceptor has seen.
type Counts struct {
	Known     int64 // operations that mapped to model events
	Unknown   int64 // operations no row maps: passed untouched
	Malformed int64 // operations refused: broken JSON, wrong types, missing ids
}

// Counts returns the interceptor's counters.
func (in *Interceptor) Counts() Counts {
	return Counts{Known: in.known.Load(), Unknown: in.unknown.Load(), Malformed: in.malformed.Load()}
}

// Error is an operation that cannot be decoded: what it was and where it went wrong.
type Error struct {
	What string // "notification port.update.end", "request PUT /v2.0/ports/x", "neutral operation"
	Err  error
}

func (e *Error) Error() string { return e.What + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// label names an operation in an error: kind, then name and detail when
// given. It is built into a string only when there is an error to report.
type label struct {
	kind, name, detail string
	id                 any // a notification's message_id, read when reported
}

func (l label) String() string {
	if id, ok := str(l.id); ok && l.detail == "" {
		l.detail = id
	}
	switch {
	case l.detail != "" && l.kind == "notification":
		return l.kind + " " + l.name + " (message " + l.detail + ")"
	case l.detail != "":
		return l.kind + " " + l.name + " " + l.detail
	case l.name != "":
		return l.kind + " " + l.name
	}
	return l.kind
}

// result counts one decoded operation.
func (in *Interceptor) result(what string, ops []runtime.Op, err error) (runtime.Mapping, error) {
	return in.mapped(label{kind: what}, runtime.Mapping{Ops: ops, Known: len(ops) > 0}, err)
}

// mapped counts one operation the rows matched: known (some row recognised it, even as
// changing nothing), unknown, or malformed.
func (in *Interceptor) mapped(what label, m runtime.Mapping, err error) (runtime.Mapping, error) {
	switch {
	case err != nil:
		in.malformed.Add(1)
		var ie *Error
		if errors.As(err, &ie) {
			return runtime.Mapping{}, err
		}
		return runtime.Mapping{}, &Error{What: what.String(), Err: err}
	case !m.Known:
		in.unknown.Add(1)
	default:
		in.known.Add(1)
	}
	return m, nil
}

// ops drops a mapping to its operations, for the entry points that return only those.
func ops(m runtime.Mapping, err error) ([]runtime.Op, error) { return m.Ops, err }

// Token is the identity Keystone's token validation gave a request.
type Token struct {
	ProjectID, UserID, DomainID string
	Roles                       []string
}

// Request is one REST call as a proxy sees it.
type Request struct {
	Method, Path string
	Query        url.Values
	Body         []byte // JSON, may be empty
	Token        Token
	// Response is the service's JSON answer, given only when a call that
	// succeeded is applied (it carries ids the cloud assigned).
	Response []byte
}

// Request decodes a REST call (SEMANTICS.md §2: the document is path,
// query, body, context and response). An unknown call gives no operations.
func (in *Interceptor) Request(r Request) ([]runtime.Op, error) { return ops(in.request(r)) }

// RequestMapping is Request that also says whether a row recognised the call.
func (in *Interceptor) RequestMapping(r Request) (runtime.Mapping, error) { return in.request(r) }

func (in *Interceptor) request(r Request) (runtime.Mapping, error) {
	p := in.parsers()
	defer in.pool.Put(p)
	what := label{kind: "request", name: r.Method, detail: r.Path}
	doc := &reqDoc{ctx: tokenDoc{t: &r.Token}, query: queryDoc(r.Query)}
	for _, part := range []struct {
		name string
		data []byte
		p    *jsondoc.Parser
		to   *any
	}{{"body", r.Body, &p.body, &doc.body}, {"response", r.Response, &p.resp, &doc.resp}} {
		if len(bytes.TrimSpace(part.data)) == 0 {
			continue
		}
		v, err := parse(part.p, part.data)
		if err != nil {
			return in.mapped(what, runtime.Mapping{}, fmt.Errorf("%s: %w", part.name, err))
		}
		*part.to = v
	}
	m, err := in.eng.Match(tables.API, strings.ToUpper(r.Method)+" "+r.Path, doc)
	return in.mapped(what, m, err)
}

// reqDoc is a REST call's document (SEMANTICS.md §2): context, query, body and
// response, read in place rather than gathered into maps.
type reqDoc struct {
	ctx        tokenDoc
	query      queryDoc
	body, resp any // nil when absent
}

func (d *reqDoc) Member(key string) (any, bool) {
	switch key {
	case "context":
		return &d.ctx, true
	case "query":
		return d.query, true
	case "body":
		return d.body, d.body != nil
	case "response":
		return d.resp, d.resp != nil
	}
	return nil, false
}

func (d *reqDoc) Index(int) (any, bool) { return nil, false }
func (d *reqDoc) Null() bool            { return false }

// tokenDoc is the identity Keystone gave a request: ids that are set, and its roles.
type tokenDoc struct {
	t     *Token
	roles []any // built when a row first reads them
}

func (d *tokenDoc) Member(key string) (any, bool) {
	var v string
	switch key {
	case "roles":
		if d.roles == nil {
			d.roles = make([]any, len(d.t.Roles))
			for i, r := range d.t.Roles {
				d.roles[i] = r
			}
		}
		return d.roles, true
	case "project_id":
		v = d.t.ProjectID
	case "user_id":
		v = d.t.UserID
	case "domain_id":
		v = d.t.DomainID
	}
	return v, v != ""
}

func (d *tokenDoc) Index(int) (any, bool) { return nil, false }
func (d *tokenDoc) Null() bool            { return false }

// queryDoc is a request's query: a parameter's first value.
type queryDoc url.Values

func (q queryDoc) Member(key string) (any, bool) {
	if v := q[key]; len(v) > 0 {
		return v[0], true
	}
	return nil, false
}

func (q queryDoc) Index(int) (any, bool) { return nil, false }
func (q queryDoc) Null() bool            { return false }

// HTTP decodes an http.Request; its body is read and put back for the upstream.
func (in *Interceptor) HTTP(r *http.Request, tok Token) ([]runtime.Op, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return ops(in.result("request "+r.Method+" "+r.URL.Path, nil, fmt.Errorf("body: %w", err)))
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return in.Request(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, Token: tok})
}

// Neutral decodes the neutral form {"op": "<event>", "params": {...}}.
func (in *Interceptor) Neutral(data []byte) ([]runtime.Op, error) {
	p := in.parsers()
	defer in.pool.Put(p)
	v, err := parse(&p.outer, data)
	if err != nil {
		return ops(in.result("neutral operation", nil, err))
	}
	if v.Kind() != "an object" {
		return ops(in.result("neutral operation", nil, fmt.Errorf("want a JSON object, got %s", v.Kind())))
	}
	return ops(in.neutral(v))
}

func (in *Interceptor) neutral(m jsondoc.Node) (runtime.Mapping, error) {
	opv, _ := m.Member("op")
	name, ok := str(opv)
	if !ok || name == "" {
		return in.result("neutral operation", nil, fmt.Errorf(`"op" must name an event, got %s`, kindOf(opv)))
	}
	what := "operation " + name
	var params any
	if pv, ok := m.Member("params"); ok {
		switch p := pv.(jsondoc.Node); {
		case p.Null():
		case p.Kind() == "an object":
			params = p
		default:
			return in.result(what, nil, fmt.Errorf(`"params" must be an object, got %s`, p.Kind()))
		}
	}
	bound, err := in.eng.NeutralDoc(name, params)
	if err == nil && len(bound) == 0 {
		// a typo in the neutral form must not pass as an unknown operation
		err = fmt.Errorf("no model has an event %q%s", name, in.eng.EventHint(name))
	}
	return in.result(what, bound, err)
}

// Line decodes one operation in any form pvsc reads — the neutral form, an
// oslo notification (enveloped or bare), a Keystone CADF event, or a REST
// call written as {"method", "path", "query", "body", "token", "response"} —
// as replay files hold them.
func (in *Interceptor) Line(data []byte) ([]runtime.Op, error) {
	d, err := in.Decode(data)
	return d.Ops, err
}

// Decoded is one line as the rows map it.
type Decoded struct {
	runtime.Mapping
	// Fact: a notification, or a REST call written with the service's response (the cloud
	// already did it), as opposed to a request (the neutral form, a REST call without a
	// response) that may still be refused.
	Fact bool
}

// Decode is Line that also says whether a row recognised the line and whether it is a fact.
func (in *Interceptor) Decode(data []byte) (Decoded, error) {
	p := in.parsers()
	defer in.pool.Put(p)
	if mp, ok, err := in.enveloped(data, p); ok {
		return Decoded{Mapping: mp, Fact: true}, err
	}
	m, err := parse(&p.outer, data)
	if err != nil {
		_, err = in.result("operation", nil, err)
		return Decoded{}, err
	}
	if m.Kind() != "an object" {
		_, err = in.result("operation", nil, fmt.Errorf("want a JSON object, got %s", m.Kind()))
		return Decoded{}, err
	}
	var mp runtime.Mapping
	fact := false
	switch {
	case present(m, "op"):
		mp, err = in.neutral(m)
	case present(m, "method") && present(m, "path"):
		mp, err = in.restLine(m)
		fact = present(m, "response")
	default:
		mp, err = in.notification(m, p)
		fact = true
	}
	return Decoded{Mapping: mp, Fact: fact}, err
}

// present reports a member that is there and not null.
func present(m jsondoc.Node, key string) bool {
	v, ok := m.Member(key)
	return ok && !v.(jsondoc.Node).Null()
}

// str is a JSON string's value.
func str(v any) (string, bool) {
	if n, ok := v.(jsondoc.Node); ok {
		if b, ok := n.Str(); ok {
			return string(b), true
		}
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

// object is a JSON object member (nil when absent, null or not an object).
func object(m jsondoc.Node, key string) any {
	if v, ok := m.Member(key); ok && v.(jsondoc.Node).Kind() == "an object" {
		return v
	}
	return nil
}

// restLine is a REST call written as JSON in a replay file.
func (in *Interceptor) restLine(m jsondoc.Node) (runtime.Mapping, error) {
	mv, _ := m.Member("method")
	pv, _ := m.Member("path")
	method, _ := str(mv)
	path, _ := str(pv)
	what := label{kind: "request", name: method, detail: path}
	if method == "" || path == "" {
		return in.mapped(what, runtime.Mapping{}, errors.New(`"method" and "path" must be strings`))
	}
	var ctx any = map[string]any{}
	if t := object(m, "token"); t != nil {
		ctx = t
	} else if t := object(m, "context"); t != nil {
		ctx = t
	}
	doc := map[string]any{"context": ctx, "query": object(m, "query")}
	if doc["query"] == nil {
		doc["query"] = map[string]any{}
	}
	for _, k := range []string{"body", "response"} {
		if present(m, k) {
			doc[k], _ = m.Member(k)
		}
	}
	mp, err := in.eng.Match(tables.API, strings.ToUpper(method)+" "+path, doc)
	return in.mapped(what, mp, err)
}

// parse parses one JSON value with p; the error says where the text is broken.
func parse(p *jsondoc.Parser, data []byte) (jsondoc.Node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return jsondoc.Node{}, errors.New("empty: no JSON value")
	}
	n, err := p.Parse(data)
	if err == nil {
		return n, nil
	}
	var se *jsondoc.SyntaxError
	if errors.As(jsondoc.Check(data), &se) {
		if se.Truncated {
			return n, errors.New("truncated JSON: the text ends before the value is complete")
		}
		return n, fmt.Errorf("invalid JSON at byte %d: %s", se.Offset+1, se.Msg)
	}
	return n, fmt.Errorf("invalid JSON: %v", err)
}

// parsers are the parse trees one decoding uses: the line or message, an
// envelope's inner message, a request's body and its response.
type parsers struct {
	outer, inner, body, resp jsondoc.Parser
	esc                      []byte // an envelope's message, unescaped (inner reads it)
}

func (in *Interceptor) parsers() *parsers {
	if p, ok := in.pool.Get().(*parsers); ok {
		return p
	}
	return new(parsers)
}

// kindOf is state.JSONKind, but an absent member reads "nothing".
func kindOf(x any) string {
	if x == nil {
		return "nothing"
	}
	return state.JSONKind(x)
}
