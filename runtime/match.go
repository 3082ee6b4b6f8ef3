package runtime

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"

	"pvsc.dev/pvsc/runtime/jsondoc"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// OpError is a malformed operation: the event, the parameter, where in the document it was read, and what is wrong.
type OpError struct {
	Event, Param, Path string
	Reason             string
}

func (e *OpError) Error() string {
	var b strings.Builder
	b.WriteString(e.Event)
	if e.Param != "" {
		b.WriteString(": parameter ")
		b.WriteString(e.Param)
	}
	if e.Path != "" {
		b.WriteString(" (from ")
		b.WriteString(e.Path)
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// rowRT is one Event-operation row ready for matching.
type rowRT struct {
	t     *tables.OpRow
	cloud string
	when  *expr
	// for API rows: the method and the path template's segments
	method string
	segs   []string
	holes  []string // per segment, its placeholder's name ("" for a literal segment)
	glob   glob     // a key with *: the pattern it stands for
	simple []bool   // per parameter source: a path without | or # (tables.SimplePath)
}

func prepareRow(mr *modelRT, c *tables.Cloud, r *tables.OpRow) (rowRT, error) {
	out := rowRT{t: r, cloud: c.Name, simple: make([]bool, len(r.Params))}
	for i, p := range r.Params {
		out.simple[i] = !p.IsConst && tables.SimplePath(p.Path)
	}
	if r.When != nil {
		x, err := compileExpr(mr, r.When, exprOpts{boolean: true})
		if err != nil {
			return out, fmt.Errorf("%s %q: when: %w", sourceName(r.Source), r.Key, err)
		}
		out.when = x
	}
	for _, p := range r.Params {
		if p.IsConst && !p.Template {
			mr.lits.add(p.Const)
		}
	}
	if r.Source == tables.API {
		method, path, _ := strings.Cut(r.Key, " ")
		out.method, out.segs = method, splitPath(path)
		out.holes = make([]string, len(out.segs))
		for i, t := range out.segs {
			if len(t) > 2 && t[0] == '{' && t[len(t)-1] == '}' {
				out.holes[i] = t[1 : len(t)-1]
			}
		}
	} else if strings.Contains(r.Key, "*") {
		out.glob = glob(strings.Split(r.Key, "*"))
	}
	return out, nil
}

// glob is a key pattern: the literal parts around its *s, each * any run of characters.
type glob []string

// MatchString reports whether key fits the pattern.
func (g glob) MatchString(key string) bool {
	if !strings.HasPrefix(key, g[0]) {
		return false
	}
	key = key[len(g[0]):]
	last := len(g) - 1
	for _, part := range g[1:last] {
		i := strings.Index(key, part)
		if i < 0 {
			return false
		}
		key = key[i+len(part):]
	}
	return len(key) >= len(g[last]) && strings.HasSuffix(key, g[last])
}

func sourceName(k tables.SourceKind) string {
	switch k {
	case tables.API:
		return "api"
	case tables.Notify:
		return "notify"
	case tables.CLI:
		return "cli"
	}
	return "snapshot"
}

func splitPath(p string) []string { return appendSegs(nil, p) }

// appendSegs appends a path's non-empty segments (query and fragment cut off) to segs:
// into a caller's buffer, a request's path is split without allocating.
func appendSegs(segs []string, p string) []string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	for p != "" {
		seg, rest, _ := strings.Cut(p, "/")
		if seg != "" {
			segs = append(segs, seg)
		}
		p = rest
	}
	return segs
}

// matchPath matches a request path against a row's template; placeholders
// capture segments. The template may match the end of a longer path (an
// endpoint mounted under a prefix, e.g. /networking/v2.0/ports).
func (r *rowRT) matchPath(segs []string) (pathVars, bool) {
	if len(segs) < len(r.segs) {
		return pathVars{}, false
	}
	segs = segs[len(segs)-len(r.segs):]
	for i, t := range r.segs {
		if r.holes[i] == "" && t != segs[i] {
			return pathVars{}, false
		}
	}
	return pathVars{names: r.holes, segs: segs}, true
}

// pathVars are the segments of a request path that a row's template names: the
// document's "path", read in place.
type pathVars struct {
	names []string // the template's placeholder names by segment ("" for a literal)
	segs  []string // the request's segments the template matched
}

func (v *pathVars) Member(key string) (any, bool) {
	for i, n := range v.names {
		if n != "" && n == key {
			return v.segs[i], true
		}
	}
	return nil, false
}

func (v *pathVars) Index(int) (any, bool) { return nil, false }
func (v *pathVars) Null() bool            { return false }

// candidate is a row that may decide an operation, with the document it reads.
type candidate struct {
	row *rowRT
	doc any
}

// matchScratch is the memory one Match works in: the request path's segments, and
// the candidates with the documents they read (pathDocs point into docs, which is
// never grown past the capacity it had when they were taken).
type matchScratch struct {
	segs         []string
	docs         []pathDoc
	decide, also []candidate
}

var scratchPool = sync.Pool{New: func() any { return new(matchScratch) }}

// candidates lists the rows of a model whose source and key fit: the rows that may decide,
// conditional ones first, each group in source order; then the also rows, in source order.
func (mr *modelRT) candidates(sc *matchScratch, src tables.SourceKind, key string, doc any) (decide, also []candidate) {
	method := ""
	if src == tables.API {
		var path string
		method, path, _ = strings.Cut(key, " ")
		sc.segs = appendSegs(sc.segs[:0], path)
	}
	rows := mr.rowsFor(src, key, method)
	if cap(sc.docs) < len(rows) {
		sc.docs = make([]pathDoc, 0, len(rows))
	}
	sc.docs, sc.decide, sc.also = sc.docs[:0], sc.decide[:0], sc.also[:0]
	for pass := 0; pass < 3; pass++ {
		for _, i := range rows {
			r := &mr.rows[i]
			if pass != r.pass() {
				continue
			}
			d := doc
			if src == tables.API {
				ph, ok := r.matchPath(sc.segs)
				if !ok {
					continue
				}
				sc.docs = append(sc.docs, pathDoc{base: doc, path: ph})
				d = &sc.docs[len(sc.docs)-1]
			}
			if pass == 2 {
				sc.also = append(sc.also, candidate{row: r, doc: d})
			} else {
				sc.decide = append(sc.decide, candidate{row: r, doc: d})
			}
		}
	}
	return sc.decide, sc.also
}

// rowIndex finds the rows a key may match without scanning every row: API rows by
// method, other rows by exact key, with the * patterns of the source merged in, in
// source order.
type rowIndex struct {
	byMethod map[string][]int
	byKey    map[tables.SourceKind]map[string][]int
	globs    map[tables.SourceKind][]int
}

func (mr *modelRT) indexRows() {
	x := rowIndex{byMethod: map[string][]int{}, byKey: map[tables.SourceKind]map[string][]int{}, globs: map[tables.SourceKind][]int{}}
	for i := range mr.rows {
		r := &mr.rows[i]
		switch {
		case r.t.Source == tables.API:
			x.byMethod[r.method] = append(x.byMethod[r.method], i)
		case r.glob != nil:
			x.globs[r.t.Source] = append(x.globs[r.t.Source], i)
		default:
			if x.byKey[r.t.Source] == nil {
				x.byKey[r.t.Source] = map[string][]int{}
			}
			x.byKey[r.t.Source][r.t.Key] = append(x.byKey[r.t.Source][r.t.Key], i)
		}
	}
	mr.rowIdx = x
}

// rowsFor lists the rows of a source that may match key, in source order.
func (mr *modelRT) rowsFor(src tables.SourceKind, key, method string) []int {
	x := &mr.rowIdx
	if src == tables.API {
		return x.byMethod[method]
	}
	exact := x.byKey[src][key]
	globs := x.globs[src]
	if len(globs) == 0 {
		return exact
	}
	out := make([]int, 0, len(exact)+len(globs))
	i := 0
	for _, g := range globs {
		if !mr.rows[g].glob.MatchString(key) {
			continue
		}
		for i < len(exact) && exact[i] < g {
			out = append(out, exact[i])
			i++
		}
		out = append(out, g)
	}
	return append(out, exact[i:]...)
}

// keyMatches says whether a notification, CLI or snapshot key is the row's: equal, or
// matched by a * pattern (a * stands for any run of characters, dots included).
func (r *rowRT) keyMatches(key string) bool {
	if r.glob == nil {
		return r.t.Key == key
	}
	return r.glob.MatchString(key)
}

// pass orders rows: conditional deciding rows (when, if or each), unconditional ones, also rows.
func (r *rowRT) pass() int {
	switch {
	case r.t.Also:
		return 2
	case r.when != nil || r.t.If != "" || r.t.Each != "":
		return 0
	}
	return 1
}

// pathDoc is a request's document seen through one row's path template.
type pathDoc struct {
	base any
	path pathVars
}

func (d *pathDoc) Member(key string) (any, bool) {
	if key == "path" {
		return &d.path, true
	}
	return tables.Member(d.base, key)
}

func (d *pathDoc) Index(int) (any, bool) { return nil, false }
func (d *pathDoc) Null() bool            { return false }

// Mapping is what the Event-operation rows make of one real operation.
type Mapping struct {
	Ops []Op
	// Known: some row recognised the operation, even one that yields no event (an ignore row,
	// an empty bulk list). An operation no row recognises passes untouched and is counted.
	Known bool
}

// Match maps one real operation to model events through the Event-operation rows
// (SEMANTICS.md §2): the source and key pick candidate rows; the first that applies (its if
// path present, its each list present) and whose `when` holds decides: one operation, one per
// element of an each list, or none for an ignore row. Then every also row that applies adds
// its operations. Parameters are read from the document by path. For an API call the key is
// "METHOD /request/path" and the document's "path" is filled from the template.
func (e *Engine) Match(src tables.SourceKind, key string, doc any) (Mapping, error) {
	var out Mapping
	sc := scratchPool.Get().(*matchScratch)
	defer scratchPool.Put(sc)
	for _, mr := range e.models {
		decide, also := mr.candidates(sc, src, key, doc)
		if len(decide)+len(also) == 0 {
			continue
		}
		known, err := e.matchModel(mr, decide, also, &out.Ops)
		if err != nil {
			return Mapping{}, err
		}
		out.Known = out.Known || known
	}
	out.Known = out.Known || len(out.Ops) > 0
	return out, nil
}

func (e *Engine) matchModel(mr *modelRT, decide, also []candidate, ops *[]Op) (bool, error) {
	known := false
	for i := 0; i < len(decide); i++ {
		cd := decide[i]
		if !cd.row.applies(cd.doc) {
			continue
		}
		if cd.row.t.Event < 0 {
			known = true
			break
		}
		ok, err := e.bindCandidates(mr, decide[i:], cd.row.t.Each, cd.doc, ops)
		if err != nil {
			return false, err
		}
		if ok {
			known = true
			break
		}
	}
	for _, cd := range also {
		if !cd.row.applies(cd.doc) || cd.row.t.Event < 0 {
			continue
		}
		if _, err := e.bindCandidates(mr, []candidate{cd}, cd.row.t.Each, cd.doc, ops); err != nil {
			return false, err
		}
		known = true
	}
	return known, nil
}

// bindCandidates binds the first row whose when holds; for an each list, every element is
// decided on its own by the first of these rows with the same list whose when holds for it.
func (e *Engine) bindCandidates(mr *modelRT, cands []candidate, each string, doc any, ops *[]Op) (bool, error) {
	if each == "" {
		op, ok, err := e.bindFirst(mr, cands, doc)
		if ok {
			*ops = append(*ops, op)
		}
		return ok, err
	}
	list, _ := lookupPath(doc, each)
	for k, item := range listItems(list) {
		op, ok, err := e.bindFirst(mr, cands, elementDoc(doc, item, k))
		if err != nil {
			return false, fmt.Errorf("%s element %d: %w", each, k, err)
		}
		if ok {
			*ops = append(*ops, op)
		}
	}
	return true, nil
}

// bindFirst binds doc by the first candidate (of the same each list as the first) whose when holds.
func (e *Engine) bindFirst(mr *modelRT, cands []candidate, doc any) (Op, bool, error) {
	var op Op
	c := e.ctx()
	defer e.release(c)
	ok := false
	err := e.internRetry(func(exclusive bool) (err error) {
		ok, err = e.bindFirstIn(c, mr, cands, doc, &op, exclusive)
		ok = ok && err != errIntern
		return err
	})
	return op, ok, err
}

// internRetry runs bind under the read lock and, when it met a string the context does not
// know yet (errIntern), once more under the write lock, where it may intern it.
func (e *Engine) internRetry(bind func(exclusive bool) error) error {
	for _, exclusive := range [2]bool{false, true} {
		if exclusive {
			e.mu.Lock()
		} else {
			e.mu.RLock()
		}
		err := bind(exclusive)
		if exclusive {
			e.mu.Unlock()
		} else {
			e.mu.RUnlock()
		}
		if err != errIntern {
			return err
		}
	}
	return nil
}

// bindFirstIn is bindFirst with the engine's lock held (the write lock when exclusive).
func (e *Engine) bindFirstIn(c *Ctx, mr *modelRT, cands []candidate, doc any, op *Op, exclusive bool) (bool, error) {
	mw := e.w.models[mr.idx]
	op.Model, op.w = mr.idx, e.w
	c.bind(mw, &op.Op)
	c.intern = exclusive
	// The candidates read one document: a path read for one serves the next.
	c.memo.on = true
	c.memo.reset()
	defer func() { c.memo.on = false }()
	each := cands[0].row.t.Each
	for _, cd := range cands {
		if cd.row.t.Each != each || cd.row.t.Event < 0 || !cd.row.applies(cd.doc) {
			continue
		}
		ok, err := bindRow(c, mw, cd.row, doc, op)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// applies reports whether a row's if path and each list are present in the document.
func (r *rowRT) applies(doc any) bool {
	if r.t.If != "" {
		path, absent := strings.CutPrefix(r.t.If, "!")
		if tables.HasPath(doc, path) == absent {
			return false
		}
	}
	if r.t.Each != "" {
		x, ok := lookupPath(doc, r.t.Each)
		if !ok || !isList(x) {
			return false
		}
	}
	return true
}

func isList(x any) bool {
	switch v := x.(type) {
	case []any:
		return true
	case jsondoc.Node:
		return v.IsList()
	}
	return false
}

// listItems are the elements of a JSON list, of either form.
func listItems(x any) []any {
	switch v := x.(type) {
	case []any:
		return v
	case jsondoc.Node:
		return v.Items()
	}
	return nil
}

// elementDoc is the document an each row reads for element k: the operation's document with
// the element under "each" and k as the "#" index.
func elementDoc(doc, item any, k int) any {
	return &eachDoc{base: doc, item: item, k: strconv.Itoa(k)}
}

// eachDoc is a document seen from one element of an each list.
type eachDoc struct {
	base, item any
	k          string
}

func (d *eachDoc) Member(key string) (any, bool) {
	switch key {
	case "each":
		return d.item, true
	case "#":
		return d.k, true
	}
	return tables.Member(d.base, key)
}

func (d *eachDoc) Index(int) (any, bool) { return nil, false }
func (d *eachDoc) Null() bool            { return false }

// Neutral binds an operation in the neutral form: an event name and its
// parameters by name, values as JSON gives them. It returns one operation per
// model that declares the event; none when no model does.
func (e *Engine) Neutral(event string, params map[string]any) ([]Op, error) {
	return e.NeutralDoc(event, params)
}

// NeutralDoc is Neutral with the parameters as a parsed JSON object (or a map).
func (e *Engine) NeutralDoc(event string, params any) ([]Op, error) {
	var out []Op
	for _, mr := range e.models {
		ev, ok := mr.events[event]
		if !ok {
			continue
		}
		op, _, err := e.bindLocked(func(mw *modelWorld, c *Ctx, op *Op) (bool, error) {
			return true, bindParams(c, mw, ev, params, op)
		}, mr)
		if err != nil {
			return nil, err
		}
		out = append(out, op)
	}
	return out, nil
}

// NewOp is Neutral for one model's event, for Go callers and tests.
func (e *Engine) NewOp(event string, params map[string]any) (Op, error) {
	ops, err := e.Neutral(event, params)
	switch {
	case err != nil:
		return Op{}, err
	case len(ops) == 0:
		return Op{}, fmt.Errorf("no model has an event %q", event)
	}
	return ops[0], nil
}

// errIntern stops a binding under the read lock that needs to intern a new string.
var errIntern = fmt.Errorf("needs interning")

// bindLocked runs a binding under the read lock, or under the write lock
// when it meets a string the context has never seen.
func (e *Engine) bindLocked(bind func(*modelWorld, *Ctx, *Op) (bool, error), mr *modelRT) (Op, bool, error) {
	c := e.ctx()
	defer e.release(c)
	for _, exclusive := range []bool{false, true} {
		if exclusive {
			e.mu.Lock()
		} else {
			e.mu.RLock()
		}
		mw := e.w.models[mr.idx]
		op := Op{Model: mr.idx, w: e.w}
		c.bind(mw, &op.Op)
		c.intern = exclusive
		ok, err := bind(mw, c, &op)
		if exclusive {
			e.mu.Unlock()
		} else {
			e.mu.RUnlock()
		}
		if err != errIntern {
			return op, ok, err
		}
	}
	panic("unreachable")
}

// bindParams sets an event's parameters from values given by name.
func bindParams(c *Ctx, mw *modelWorld, ev int32, params any, op *Op) error {
	e := &mw.rt.m.Events[ev]
	op.Reset(ev, len(e.Params))
	for name, v := range members(params) {
		i := e.ParamIndex(name)
		if i < 0 {
			return &OpError{Event: e.Name, Param: name, Reason: "the event has no such parameter"}
		}
		if n, isNode := v.(jsondoc.Node); v == nil || isNode && n.Null() {
			continue
		}
		val, err := c.value(e.Params[i].Type, v)
		if err == errIntern {
			return err
		}
		if err != nil {
			return &OpError{Event: e.Name, Param: name, Path: "params." + name, Reason: err.Error()}
		}
		op.Set(int(i), val)
	}
	return nil
}

// bindRow reads a row's parameters from the document into op and reports whether the row's `when` holds.
func bindRow(c *Ctx, mw *modelWorld, r *rowRT, doc any, op *Op) (bool, error) {
	ev := &mw.rt.m.Events[r.t.Event]
	op.Reset(r.t.Event, len(ev.Params))
	c.op = &op.Op
	for k, ps := range r.t.Params {
		t := ev.Params[ps.Param].Type
		if v, ok, found := c.memo.get(ps, t); found {
			if ok {
				op.Set(int(ps.Param), v)
			}
			continue
		}
		x, path, ok := sourceValue(doc, ps, r.simple[k])
		if !ok {
			c.memo.put(ps, t, state.Value{}, false)
			continue
		}
		v, err := c.value(t, x)
		if err == nil {
			c.memo.put(ps, t, v, true)
		}
		if err == errIntern {
			return false, err
		}
		if err != nil {
			return false, &OpError{Event: ev.Name, Param: ev.Params[ps.Param].Name, Path: path, Reason: err.Error()}
		}
		op.Set(int(ps.Param), v)
	}
	if r.when == nil {
		return true, nil
	}
	c.err = nil
	ok := c.test(r.when)
	if c.err != nil {
		return false, &OpError{Event: ev.Name, Reason: "when: " + c.err.Error()}
	}
	return ok, nil
}

// sourceValue is the value a parameter source gives, and where it was read; ok is false when the document lacks it.
func sourceValue(doc any, ps tables.ParamSource, simple bool) (any, string, bool) {
	switch {
	case ps.IsConst && ps.Template:
		s, ok := fillTemplate(doc, ps.Const)
		return s, ps.Const, ok
	case ps.IsConst:
		return constValue{ps.Const}, "", true
	}
	if simple {
		x, ok := tables.LookupSimple(doc, ps.Path)
		return x, ps.Path, ok
	}
	x, ok := lookupPath(doc, ps.Path)
	return x, ps.Path, ok
}

// constValue marks an operation row's constant, converted by the parameter's type.
type constValue struct{ s string }

// lookupPath reads a parameter's path in a document (tables.LookupPath).
func lookupPath(doc any, path string) (any, bool) { return tables.LookupPath(doc, path) }

// fillTemplate replaces each {path} of a template constant by the document's value there.
func fillTemplate(doc any, tmpl string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String(), true
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			b.WriteString(tmpl)
			return b.String(), true
		}
		b.WriteString(tmpl[:i])
		x, ok := lookupPath(doc, tmpl[i+1:i+j])
		if !ok || x == nil {
			return "", false
		}
		switch v := jsondoc.Plain(x).(type) {
		case string:
			b.WriteString(v)
		case json.Number:
			b.WriteString(v.String())
		default:
			fmt.Fprint(&b, v)
		}
		tmpl = tmpl[i+j+1:]
	}
}

// value converts a JSON value (or a row constant) to a parameter value,
// interning strings when allowed and reporting errIntern when not.
func (c *Ctx) value(t tables.Type, x any) (state.Value, error) {
	m := c.mw.rt.m
	if k, ok := x.(constValue); ok {
		if t.Kind == tables.TString || t.Kind == tables.TRef {
			s, err := c.intern1(k.s)
			return state.Str(s), err
		}
		return state.ConstValue(c.st.Names, m, t, k.s)
	}
	if n, ok := x.(jsondoc.Node); ok {
		if b, isStr := n.Str(); isStr && (t.Kind == tables.TString || t.Kind == tables.TRef) {
			id, err := c.internBytes(b)
			return state.Str(id), err
		}
		x = n.Plain()
	}
	switch t.Kind {
	case tables.TString, tables.TRef:
		s, ok := x.(string)
		if !ok {
			return state.Value{}, fmt.Errorf("want a string, got %s", state.JSONKind(x))
		}
		id, err := c.intern1(s)
		return state.Str(id), err
	case tables.TList:
		return c.listValue(t, x)
	}
	return state.FromJSON(c.st.Names, m, t, x)
}

func (c *Ctx) listValue(t tables.Type, x any) (state.Value, error) {
	xs, ok := x.([]any)
	if !ok {
		return state.Value{}, fmt.Errorf("want a list, got %s", state.JSONKind(x))
	}
	out := state.Value{L: make([]int64, 0, len(xs))}
	for i, el := range xs {
		v, err := c.value(tables.Type{Kind: t.Elem, Ref: t.Ref}, el)
		if err == errIntern {
			return v, err
		}
		if err != nil {
			return state.Value{}, fmt.Errorf("element %d: %w", i, err)
		}
		out.L = append(out.L, v.I)
	}
	return out, nil
}

// internBytes is intern1 for a parser's bytes: a known string costs no allocation.
func (c *Ctx) internBytes(b []byte) (sym, error) {
	if c.recent != nil {
		return c.recent.intern(c.st.Names, b), nil
	}
	if id, ok := c.st.Names.LookupBytes(b); ok {
		return id, nil
	}
	if !c.intern {
		return 0, errIntern
	}
	return c.st.Names.Intern(string(b)), nil
}

func (c *Ctx) intern1(s string) (sym, error) {
	if id, ok := c.st.Names.Lookup(s); ok {
		return id, nil
	}
	if !c.intern {
		return 0, errIntern
	}
	return c.st.Names.Intern(s), nil
}

// whereError is the malformed-operation error of a failed where guard.
func (e *Engine) whereError(mr *modelRT, ev int32, err error) error {
	reason := "the where guard `" + oneLine(mr.m.Events[ev].Where.Src) + "` is false"
	if err != nil {
		reason = "the where guard could not be evaluated: " + err.Error()
	}
	return &OpError{Event: mr.m.Events[ev].Name, Reason: reason}
}

// missing is the mask of the required parameters an operation left out.
func (mr *modelRT) missing(op *state.Op) uint64 {
	return mr.required[op.Event] &^ op.Has
}

// recentSyms is a direct-mapped cache of the strings a snapshot load interned
// last: a collection repeats its parents' ids (a tenant's ports name the
// tenant, its networks and subnets), and a hit costs a hash of the bytes
// where the interner's map costs cache misses at a million strings. It
// is cleared when the load moves to another model's store.
type recentSyms struct {
	in   *state.Interner
	seed maphash.Seed
	slot [1 << 12]struct {
		s  string
		id sym
	}
}

func (r *recentSyms) intern(in *state.Interner, b []byte) sym {
	if r.in != in {
		*r = recentSyms{in: in, seed: maphash.MakeSeed()}
	}
	e := &r.slot[maphash.Bytes(r.seed, b)&(1<<12-1)]
	if e.s == string(b) && (e.id != 0 || len(b) == 0) {
		return e.id
	}
	id := in.InternBytes(b)
	e.s, e.id = in.String(id), id
	return id
}

// bindMemo remembers, while one snapshot record is bound by several rows,
// the values its paths gave: the rows of role_assignments read the same ids.
type bindMemo struct {
	on      bool
	entries []memoEntry
}

type memoEntry struct {
	src     string // the path, or the template
	tmpl    bool
	t       tables.Type
	v       state.Value
	present bool
}

func (m *bindMemo) reset() { m.entries = m.entries[:0] }

func memoKey(ps tables.ParamSource) (string, bool, bool) {
	switch {
	case ps.IsConst && ps.Template:
		return ps.Const, true, true
	case ps.IsConst:
		return "", false, false // a constant is cheap as it is
	}
	return ps.Path, false, true
}

func (m *bindMemo) get(ps tables.ParamSource, t tables.Type) (state.Value, bool, bool) {
	if !m.on {
		return state.Value{}, false, false
	}
	src, tmpl, ok := memoKey(ps)
	if !ok {
		return state.Value{}, false, false
	}
	for i := range m.entries {
		e := &m.entries[i]
		if e.src == src && e.tmpl == tmpl && e.t == t {
			return e.v, e.present, true
		}
	}
	return state.Value{}, false, false
}

func (m *bindMemo) put(ps tables.ParamSource, t tables.Type, v state.Value, present bool) {
	if !m.on {
		return
	}
	if src, tmpl, ok := memoKey(ps); ok {
		m.entries = append(m.entries, memoEntry{src: src, tmpl: tmpl, t: t, v: v, present: present})
	}
}

// members iterates a JSON object's members, of either form.
func members(doc any) func(yield func(string, any) bool) {
	return func(yield func(string, any) bool) {
		switch d := doc.(type) {
		case map[string]any:
			for k, v := range d {
				if !yield(k, v) {
					return
				}
			}
		case jsondoc.Node:
			stop := false
			d.Members(func(k string, v jsondoc.Node) {
				if !stop && !yield(k, v) {
					stop = true
				}
			})
		}
	}
}

// AppendNeutral binds an operation in the neutral form, its parameters a parsed
// JSON object, into dst (one operation per model that declares the event),
// reusing the memory of dst's spare capacity: with a reused dst it allocates
// nothing for string and id parameters.
func (e *Engine) AppendNeutral(dst []Op, event []byte, params jsondoc.Node) ([]Op, error) {
	for _, mr := range e.models {
		ev, ok := mr.events[string(event)]
		if !ok {
			continue
		}
		if len(dst) < cap(dst) {
			dst = dst[:len(dst)+1]
		} else {
			dst = append(dst, Op{})
		}
		if err := e.bindNeutral(mr, ev, params, &dst[len(dst)-1]); err != nil {
			return dst[:len(dst)-1], err
		}
	}
	return dst, nil
}

// bindNeutral binds under the read lock, and again under the write lock when
// a parameter names a string the context does not know yet.
func (e *Engine) bindNeutral(mr *modelRT, ev int32, params jsondoc.Node, op *Op) error {
	c := e.ctx()
	defer e.release(c)
	return e.internRetry(func(exclusive bool) error {
		mw := e.w.models[mr.idx]
		op.Model, op.w = mr.idx, e.w
		c.bind(mw, &op.Op)
		c.intern = exclusive
		return bindNodeParams(c, mw, ev, params, op)
	})
}

// bindNodeParams is bindParams over a parsed object, reading keys without allocating.
func bindNodeParams(c *Ctx, mw *modelWorld, ev int32, params jsondoc.Node, op *Op) error {
	e := &mw.rt.m.Events[ev]
	op.Reset(ev, len(e.Params))
	var err error
	params.MembersBytes(func(k []byte, v jsondoc.Node) {
		if err != nil || v.Null() {
			return
		}
		i := paramIndex(e, k)
		if i < 0 {
			err = &OpError{Event: e.Name, Param: string(k), Reason: "the event has no such parameter"}
			return
		}
		val, verr := c.value(e.Params[i].Type, v)
		switch {
		case verr == errIntern:
			err = verr
		case verr != nil:
			err = &OpError{Event: e.Name, Param: string(k), Path: "params." + string(k), Reason: verr.Error()}
		default:
			op.Set(int(i), val)
		}
	})
	return err
}

func paramIndex(e *tables.Event, name []byte) int32 {
	for i := range e.Params {
		if e.Params[i].Name == string(name) {
			return int32(i)
		}
	}
	return -1
}
