package runtime

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"regexp"
	"strconv"
	"strings"

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
	glob   *regexp.Regexp // a key with *: the pattern it stands for
}

func prepareRow(mr *modelRT, c *tables.Cloud, r *tables.OpRow) (rowRT, error) {
	out := rowRT{t: r, cloud: c.Name}
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
	} else if strings.Contains(r.Key, "*") {
		parts := strings.Split(r.Key, "*")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		out.glob = regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
	}
	return out, nil
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

func splitPath(p string) []string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

// matchPath matches a request path against a row's template; placeholders
// capture segments. The template may match the end of a longer path (an
// endpoint mounted under a prefix, e.g. /networking/v2.0/ports).
func (r *rowRT) matchPath(segs []string) (map[string]any, bool) {
	if len(segs) < len(r.segs) {
		return nil, false
	}
	segs = segs[len(segs)-len(r.segs):]
	var ph map[string]any
	for i, t := range r.segs {
		if len(t) > 2 && t[0] == '{' && t[len(t)-1] == '}' {
			if ph == nil {
				ph = map[string]any{}
			}
			ph[t[1:len(t)-1]] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	if ph == nil {
		ph = map[string]any{}
	}
	return ph, true
}

// candidate is a row that may decide an operation, with the document it reads.
type candidate struct {
	row *rowRT
	doc any
}

// candidates lists the rows of a model whose source and key fit: the rows that may decide,
// conditional ones first, each group in source order; then the also rows, in source order.
func (mr *modelRT) candidates(src tables.SourceKind, key string, doc any) (decide, also []candidate) {
	var segs []string
	method := ""
	if src == tables.API {
		var path string
		method, path, _ = strings.Cut(key, " ")
		segs = splitPath(path)
	}
	for pass := 0; pass < 3; pass++ {
		for i := range mr.rows {
			r := &mr.rows[i]
			if r.t.Source != src || pass != r.pass() {
				continue
			}
			d := doc
			if src == tables.API {
				if r.method != method {
					continue
				}
				ph, ok := r.matchPath(segs)
				if !ok {
					continue
				}
				d = withPath(doc, ph)
			} else if !r.keyMatches(key) {
				continue
			}
			if pass == 2 {
				also = append(also, candidate{row: r, doc: d})
			} else {
				decide = append(decide, candidate{row: r, doc: d})
			}
		}
	}
	return decide, also
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

// withPath is an API document with the template's placeholders under "path".
func withPath(doc any, ph map[string]any) any {
	m, _ := doc.(map[string]any)
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out["path"] = ph
	return out
}

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
	for _, mr := range e.models {
		decide, also := mr.candidates(src, key, doc)
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
	each := cands[0].row.t.Each
	return e.bindLocked(func(mw *modelWorld, c *Ctx, op *Op) (bool, error) {
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
	}, mr)
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
	m, _ := doc.(map[string]any)
	out := make(map[string]any, len(m)+2)
	for key, v := range m {
		out[key] = v
	}
	if n, ok := doc.(jsondoc.Node); ok {
		n.Members(func(key string, v jsondoc.Node) { out[key] = v })
	}
	out["each"], out["#"] = item, strconv.Itoa(k)
	return out
}

// Neutral binds an operation in the neutral form: an event name and its
// parameters by name, values as JSON gives them. It returns one operation per
// model that declares the event; none when no model does.
func (e *Engine) Neutral(event string, params map[string]any) ([]Op, error) {
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
func bindParams(c *Ctx, mw *modelWorld, ev int32, params map[string]any, op *Op) error {
	e := &mw.rt.m.Events[ev]
	op.Reset(ev, len(e.Params))
	for name, v := range params {
		i := e.ParamIndex(name)
		if i < 0 {
			return &OpError{Event: e.Name, Param: name, Reason: "the event has no such parameter"}
		}
		if v == nil {
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
	for _, ps := range r.t.Params {
		t := ev.Params[ps.Param].Type
		if v, ok, found := c.memo.get(ps, t); found {
			if ok {
				op.Set(int(ps.Param), v)
			}
			continue
		}
		x, path, ok := sourceValue(doc, ps)
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
func sourceValue(doc any, ps tables.ParamSource) (any, string, bool) {
	switch {
	case ps.IsConst && ps.Template:
		s, ok := fillTemplate(doc, ps.Const)
		return s, ps.Const, ok
	case ps.IsConst:
		return constValue{ps.Const}, "", true
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
