package runtime

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"

	"pvsc.dev/pvsc/runtime/jsondoc"
	"pvsc.dev/pvsc/runtime/state"
	"pvsc.dev/pvsc/tables"
)

// SnapshotError is a snapshot that cannot be used: the file, the collection,
// the record and the field, and what is wrong. Nothing of it was loaded.
type SnapshotError struct {
	File       string
	Collection string // "" for the file as a whole
	Index      int    // the record, -1 for the collection as a whole
	Field      string // the record's field (a document path), when known
	Reason     string
}

func (e *SnapshotError) Error() string {
	s := e.File
	if e.Collection != "" {
		s += ": " + e.Collection
		if e.Index >= 0 {
			s += "[" + strconv.Itoa(e.Index) + "]"
		}
		if e.Field != "" {
			s += "." + e.Field
		}
	}
	return s + ": " + e.Reason
}

// LoadStats says what a snapshot load did.
type LoadStats struct {
	Records    int      // records applied through snapshot rows
	Watchlists int      // scopes whose watchlist was built
	Ignored    []string // collections no snapshot row reads
}

// LoadSnapshotFile loads a snapshot file; see LoadSnapshot.
func (e *Engine) LoadSnapshotFile(path string) (LoadStats, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return LoadStats{}, err
	}
	return e.loadSnapshot(data, path)
}

// LoadSnapshot replaces the cloud context with a snapshot: the JSON object
// OpenStack's list APIs give ({"ports": [...], "networks": [...], ...}),
// applied through the spec's snapshot rows, entity types in precedence order,
// then every scope at or below N-th gets its watchlist (SEMANTICS.md §6,
// Initialisation). The snapshot is loaded into a fresh context which
// replaces the current one only when all of it loaded; doubt is cleared.
//
// The collections are found without parsing them, and each record a row
// reads is parsed on its own into a reused tree that the row's paths walk:
// no record becomes a Go map.
func (e *Engine) LoadSnapshot(r io.Reader, name string) (LoadStats, error) {
	data, err := readAll(r)
	if err != nil {
		return LoadStats{}, &SnapshotError{File: name, Index: -1, Reason: err.Error()}
	}
	return e.loadSnapshot(data, name)
}

// readAll reads a snapshot whole. A reader that knows its size (a file, a buffer) is read
// into one buffer of that size: io.ReadAll's doubling copies and clears a 100 MB snapshot
// several times over.
func readAll(r io.Reader) ([]byte, error) {
	n := int64(-1)
	switch x := r.(type) {
	case interface{ Len() int }:
		n = int64(x.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := x.Stat(); err == nil && fi.Mode().IsRegular() {
			n = fi.Size()
		}
	}
	if n < 0 {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, n+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

func (e *Engine) loadSnapshot(data []byte, name string) (LoadStats, error) {
	if IsCheckpoint(data) {
		return e.loadCheckpoint(data, name)
	}
	var st LoadStats
	secs, err := readSnapshot(data, name)
	if err != nil {
		return st, err
	}
	w := e.newWorld()
	// Models have their own stores: they load side by side.
	loads := make([]modelLoad, len(w.models))
	var wg sync.WaitGroup
	for i, mw := range w.models {
		wg.Go(func() { loads[i] = e.loadModel(mw, w, &loader{data: data, secs: secs, file: name}) })
	}
	wg.Wait()
	used := map[string]bool{}
	for i, l := range loads {
		if l.err != nil {
			return st, l.err
		}
		st.Records += l.records
		st.Watchlists += l.watchlists
		for _, r := range snapshotRows(w.models[i].rt) {
			used[r.t.Key] = true
		}
	}
	for k := range secs {
		if !used[k] {
			st.Ignored = append(st.Ignored, k)
		}
	}
	sort.Strings(st.Ignored)
	e.swap(w, len(data))
	return st, nil
}

// swap makes w the context. After a big load the text and the context it
// replaces are garbage: the memory goes back to the OS rather than keep a
// start-up peak resident for the life of the process.
func (e *Engine) swap(w *world, size int) {
	e.mu.Lock()
	old := e.w
	e.w = w
	e.changes.Add(1)
	e.mu.Unlock()
	if size > bigSnapshot || old != nil && old.big {
		w.big = true
		go debug.FreeOSMemory() // a concurrent collection: the load need not wait for it
	}
}

// bigSnapshot is the size above which a load returns its memory to the OS.
const bigSnapshot = 16 << 20

// modelLoad is what loading one model's part of a snapshot did.
type modelLoad struct {
	records, watchlists int
	err                 error
}

// loadModel applies a model's snapshot rows, then builds its watchlists.
func (e *Engine) loadModel(mw *modelWorld, w *world, ld *loader) modelLoad {
	var out modelLoad
	c := e.ctx()
	defer e.release(c)
	c.recent = new(recentSyms)
	for _, g := range snapshotGroups(mw.rt) {
		n, err := e.loadRows(c, mw, w, g, ld)
		if err != nil {
			out.err = err
			return out
		}
		out.records += n
	}
	c.reset()
	out.watchlists = mw.initWatchlists(c)
	return out
}

// loader is one snapshot text being loaded: its collections and a parser for its records.
type loader struct {
	data []byte
	secs map[string]jsondoc.Span
	file string
	p    jsondoc.Parser
}

var topKinds = map[string]string{"a list": "array", "a string": "string", "a number": "number", "a boolean": "bool", "null": "null"}

func readSnapshot(data []byte, name string) (map[string]jsondoc.Span, error) {
	secs, kind, err := jsondoc.Sections(data)
	if err != nil {
		return nil, &SnapshotError{File: name, Index: -1, Reason: jsonReason(data, err)}
	}
	if kind != "" {
		return nil, &SnapshotError{File: name, Index: -1, Reason: "want a JSON object of collections, got " + topKinds[kind]}
	}
	return secs, nil
}

// jsonReason says what is wrong with a JSON text and where (line and column).
func jsonReason(data []byte, err error) string {
	var se *jsondoc.SyntaxError
	if !errors.As(err, &se) {
		return err.Error()
	}
	if se.Truncated {
		return "truncated: the JSON ends before it is complete"
	}
	return "invalid JSON at " + se.Where(data) + ": " + se.Msg
}

// snapshotGroups are a model's snapshot rows in the order they apply (see
// snapshotRows), consecutive rows of one collection at the same rank and kind
// grouped: they are applied record by record, each record parsed once.
func snapshotGroups(mr *modelRT) [][]*rowRT {
	var out [][]*rowRT
	for _, r := range snapshotRows(mr) {
		if n := len(out); n > 0 {
			last := out[n-1][0]
			if last.t.Key == r.t.Key && rowOrder(mr, last) == rowOrder(mr, r) {
				out[n-1] = append(out[n-1], r)
				continue
			}
		}
		out = append(out, []*rowRT{r})
	}
	return out
}

// rowOrder is where a snapshot row applies: the precedence rank of the entity it
// produces (of the deeper of a link's two), then its kind.
func rowOrder(mr *modelRT, r *rowRT) [2]int {
	ev := &mr.m.Events[r.t.Event]
	switch ev.Kind {
	case tables.Associates, tables.Dissociates:
		return [2]int{max(mr.rank[ev.Link.Entity], mr.rank[ev.Other]), kindRank(int(ev.Kind))}
	}
	return [2]int{mr.rank[ev.Target.Index], kindRank(int(ev.Kind))}
}

// snapshotRows are a model's snapshot rows in the order they apply: by the
// precedence rank of the entity they produce, creations before updates and
// links, then in source order.
func snapshotRows(mr *modelRT) []*rowRT {
	var rows []*rowRT
	for i := range mr.rows {
		if mr.rows[i].t.Source == tables.Snapshot {
			rows = append(rows, &mr.rows[i])
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		oi, oj := rowOrder(mr, rows[i]), rowOrder(mr, rows[j])
		if oi[0] != oj[0] {
			return oi[0] < oj[0]
		}
		return oi[1] < oj[1]
	})
	return rows
}

// kindRank orders event kinds within one precedence rank.
func kindRank(k int) int {
	switch tables.EventKind(k) {
	case tables.Creates:
		return 0
	case tables.Updates:
		return 1
	case tables.Associates:
		return 2
	case tables.Dissociates:
		return 3
	}
	return 4
}

// loadRows applies a group of snapshot rows of one collection to each of its records in turn.
func (e *Engine) loadRows(c *Ctx, mw *modelWorld, w *world, g []*rowRT, ld *loader) (int, error) {
	key := g[0].t.Key
	sp, ok := ld.secs[key]
	if !ok {
		return 0, nil
	}
	op := Op{Model: mw.rt.idx, w: w}
	n := 0
	kind, err := jsondoc.Elements(ld.data, sp, func(i int, elem []byte) error {
		if elem[0] != '{' {
			return &SnapshotError{File: ld.file, Collection: key, Index: i, Reason: "want an object, got " + jsondoc.KindAt(elem, 0)}
		}
		rec, err := ld.p.Parse(elem)
		if err != nil {
			return &SnapshotError{File: ld.file, Collection: key, Index: i, Reason: "invalid JSON: " + err.Error()}
		}
		c.memo.on = len(g) > 1
		c.memo.reset()
		for _, r := range g {
			applied, err := e.loadRecord(c, mw, r, ld, &op, rec)
			if err != nil {
				err.Index = i
				return err
			}
			if applied {
				n++
			}
		}
		return nil
	})
	c.memo.on = false
	var se *SnapshotError
	switch {
	case errors.As(err, &se):
		return 0, se
	case err != nil:
		return 0, &SnapshotError{File: ld.file, Collection: key, Index: -1, Reason: jsonReason(ld.data, err)}
	case kind != "" && kind != "null":
		return 0, &SnapshotError{File: ld.file, Collection: key, Index: -1, Reason: "want a list of records, got " + kind}
	}
	return n, nil
}

// loadRecord applies a row's operation to one record, if the row binds it.
func (e *Engine) loadRecord(c *Ctx, mw *modelWorld, r *rowRT, ld *loader, op *Op, rec jsondoc.Node) (bool, *SnapshotError) {
	bad := func(field, reason string) (bool, *SnapshotError) {
		return false, &SnapshotError{File: ld.file, Collection: r.t.Key, Field: field, Reason: reason}
	}
	if !r.applies(rec) {
		return false, nil
	}
	c.bind(mw, &op.Op)
	c.intern = true
	ok, err := bindRow(c, mw, r, rec, op)
	var oe *OpError
	if errors.As(err, &oe) {
		return bad(oe.Path, oe.Event+" parameter "+oe.Param+": "+oe.Reason)
	}
	if !ok {
		return false, nil
	}
	if x := mw.rt.where[r.t.Event]; x != nil && !c.test(x) {
		return bad("", e.whereError(mw.rt, r.t.Event, c.err).Error())
	}
	if _, err := mw.st.Apply(&op.Op); err != nil {
		return bad(paramPath(&mw.rt.m.Events[r.t.Event], r.t, err), err.Error())
	}
	return true, nil
}

// paramPath names the document path of the parameter a store error is about.
func paramPath(ev *tables.Event, r *tables.OpRow, err error) string {
	var me *state.MalformedError
	if !errors.As(err, &me) {
		return ""
	}
	for _, ps := range r.Params {
		if ev.Params[ps.Param].Name == me.Param && !ps.IsConst {
			return ps.Path
		}
	}
	return ""
}
