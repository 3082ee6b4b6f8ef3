// Package conform checks a spec's Event-operation rows against a corpus of real messages: every document path a row reads must resolve in some sample of its source.
package conform

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
)

// Corpus is the sample documents by source: REST calls as rows read them (path, query, body,
// response), notifications (the message with its context) and snapshot records by collection.
type Corpus struct {
	API      []APISample
	Notify   map[string][]any // event_type → documents
	Snapshot map[string][]any // collection → records
	Files    int
}

// APISample is one REST call with its response.
type APISample struct {
	Method, Path string
	Doc          map[string]any
}

// Report is what a check found.
type Report struct {
	Rows, Checked int      // rows, and rows that had samples
	Unsampled     []string // rows no sample exercises, as "file:line:col: source key"
	Diags         dsl.Diagnostics
}

// Check reads every row path of res against the corpus.
func Check(res *compiler.Result, c *Corpus) Report {
	var rep Report
	for ci, cl := range res.Spec.Clouds {
		for ri := range cl.Rows {
			r, pos := &cl.Rows[ri], res.RowPos[ci][ri]
			rep.Rows++
			docs := c.samples(r)
			if len(docs) == 0 {
				rep.Unsampled = append(rep.Unsampled, fmt.Sprintf("%s: %s %q", pos.Key, sourceName(r.Source), r.Key))
				continue
			}
			rep.Checked++
			checkRow(r, pos, docs, &rep.Diags)
		}
	}
	rep.Diags.Sort()
	return rep
}

func checkRow(r *tables.OpRow, pos compiler.RowPos, docs []any, ds *dsl.Diagnostics) {
	what := fmt.Sprintf("%d samples of %s %q", len(docs), sourceName(r.Source), r.Key)
	if r.If != "" && !someHave(docs, strings.TrimPrefix(r.If, "!")) {
		add(ds, pos.If, "if: %q resolves in none of the %s", r.If, what)
	}
	elems := docs
	if r.Each != "" {
		elems = eachDocs(docs, r.Each)
		if len(elems) == 0 {
			add(ds, pos.Each, "each: %q is a list in none of the %s", r.Each, what)
			return
		}
	}
	for i, ps := range r.Params {
		for _, path := range paramPaths(ps) {
			if exempt(r.Source, path) || someResolve(elems, path) {
				continue
			}
			add(ds, pos.Params[i], "%q resolves in none of the %s", path, what)
		}
	}
}

func add(ds *dsl.Diagnostics, p dsl.Pos, format string, args ...any) {
	*ds = append(*ds, dsl.Diagnostic{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// paramPaths are the document paths a parameter source reads: each alternative of a path,
// each placeholder of a template.
func paramPaths(ps tables.ParamSource) []string {
	switch {
	case ps.IsConst && ps.Template:
		var out []string
		for _, m := range placeholder.FindAllStringSubmatch(ps.Const, -1) {
			out = append(out, m[1])
		}
		return out
	case ps.IsConst:
		return nil
	}
	return strings.Split(ps.Path, "|")
}

var placeholder = regexp.MustCompile(`\{([^{}]+)\}`)

// exempt are the paths no capture can hold: the caller's token (context) and the template's
// placeholders (path) of an API call.
func exempt(src tables.SourceKind, path string) bool {
	return src == tables.API && (strings.HasPrefix(path, "context.") || strings.HasPrefix(path, "path."))
}

func someHave(docs []any, path string) bool {
	for _, d := range docs {
		if tables.HasPath(d, path) {
			return true
		}
	}
	return false
}

func someResolve(docs []any, path string) bool {
	for _, d := range docs {
		if _, ok := tables.LookupPath(d, path); ok {
			return true
		}
	}
	return false
}

// eachDocs are the element documents of an each row: the document with the element under
// "each" and its index under "#", as the runtime builds them.
func eachDocs(docs []any, each string) []any {
	var out []any
	for _, d := range docs {
		list, _ := tables.LookupPath(d, each)
		items, _ := list.([]any)
		m, _ := d.(map[string]any)
		for k, item := range items {
			e := make(map[string]any, len(m)+2)
			for key, v := range m {
				e[key] = v
			}
			e["each"], e["#"] = item, fmt.Sprint(k)
			out = append(out, e)
		}
	}
	return out
}

func sourceName(k tables.SourceKind) string {
	return map[tables.SourceKind]string{tables.API: "api", tables.Notify: "notify", tables.CLI: "cli", tables.Snapshot: "snapshot"}[k]
}

// samples are the documents of the row's source and key.
func (c *Corpus) samples(r *tables.OpRow) []any {
	switch r.Source {
	case tables.Notify:
		return c.notifications(r.Key)
	case tables.Snapshot:
		return c.Snapshot[r.Key]
	case tables.API:
		return c.calls(r.Key)
	}
	return nil
}

func (c *Corpus) notifications(key string) []any {
	if !strings.Contains(key, "*") {
		return c.Notify[key]
	}
	re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(key), `\*`, ".*") + "$")
	var out []any
	for et, docs := range c.Notify {
		if re.MatchString(et) {
			out = append(out, docs...)
		}
	}
	return out
}

func (c *Corpus) calls(key string) []any {
	method, tmpl, _ := strings.Cut(key, " ")
	var out []any
	for _, s := range c.API {
		if s.Method != method {
			continue
		}
		if ph, ok := matchTemplate(tmpl, s.Path); ok {
			doc := make(map[string]any, len(s.Doc)+1)
			for k, v := range s.Doc {
				doc[k] = v
			}
			doc["path"] = ph
			out = append(out, doc)
		}
	}
	return out
}

// matchTemplate matches a request path (its query dropped) against "/v2.0/ports/{id}".
func matchTemplate(tmpl, path string) (map[string]any, bool) {
	path, _, _ = strings.Cut(path, "?")
	ts, ps := strings.Split(strings.Trim(tmpl, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return nil, false
	}
	ph := map[string]any{}
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			ph[t[1:len(t)-1]] = ps[i]
		} else if t != ps[i] {
			return nil, false
		}
	}
	return ph, true
}

// Load reads every sample file of a directory: *.jsonl of REST calls ({"method", "path",
// "body", "response"}), AMQP captures ({"body": "<oslo envelope>"}), oslo envelopes or bare
// notifications; *.json snapshots (an object of collections, each a list of records).
func Load(dir string) (*Corpus, error) {
	c := &Corpus{Notify: map[string][]any{}, Snapshot: map[string][]any{}}
	paths, err := filepath.Glob(filepath.Join(dir, "*.json*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := c.loadFile(p); err != nil {
			return nil, err
		}
		c.Files++
	}
	if c.Files == 0 {
		return nil, fmt.Errorf("%s: no sample files (*.json, *.jsonl)", dir)
	}
	return c, nil
}

func (c *Corpus) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if strings.HasSuffix(path, ".json") {
		return c.loadSnapshot(path, data)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if err := c.addLine(m); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return sc.Err()
}

func (c *Corpus) addLine(m map[string]any) error {
	if method, ok := m["method"].(string); ok {
		p, _ := m["path"].(string)
		doc := map[string]any{"body": m["body"], "response": m["response"], "query": map[string]any{}, "context": map[string]any{}}
		c.API = append(c.API, APISample{Method: method, Path: p, Doc: doc})
		return nil
	}
	if body, ok := m["body"].(string); ok { // an AMQP capture: the envelope is the body
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			return fmt.Errorf("body: %w", err)
		}
	}
	if inner, ok := m["oslo.message"].(string); ok {
		m = nil
		if err := json.Unmarshal([]byte(inner), &m); err != nil {
			return fmt.Errorf("oslo.message: %w", err)
		}
	}
	et, _ := m["event_type"].(string)
	if et == "" {
		return fmt.Errorf("neither a REST call nor a notification")
	}
	c.Notify[et] = append(c.Notify[et], withContext(m))
	return nil
}

// withContext is a message with "context" built from its _context_* keys, as rows read it.
func withContext(m map[string]any) map[string]any {
	ctx := map[string]any{}
	for k, v := range m {
		if name, ok := strings.CutPrefix(k, "_context_"); ok {
			ctx[name] = v
		}
	}
	out := map[string]any{"context": ctx}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (c *Corpus) loadSnapshot(path string, data []byte) error {
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		return nil // a list or another shape: not a snapshot
	}
	for coll, v := range top {
		if recs, ok := v.([]any); ok {
			c.Snapshot[coll] = append(c.Snapshot[coll], recs...)
		}
	}
	return nil
}
