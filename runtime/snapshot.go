package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

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
	f, err := os.Open(path)
	if err != nil {
		return LoadStats{}, err
	}
	defer f.Close()
	return e.LoadSnapshot(f, path)
}

// LoadSnapshot replaces the cloud context with a snapshot: the JSON object
// OpenStack's list APIs give ({"ports": [...], "networks": [...], ...}),
// applied through the spec's snapshot rows, entity types in precedence order,
// then every scope at or below N-th gets its watchlist (SEMANTICS.md §6,
// Initialisation). The snapshot is loaded into a fresh context which
// replaces the current one only when all of it loaded; doubt is cleared.
func (e *Engine) LoadSnapshot(r io.Reader, name string) (LoadStats, error) {
	var st LoadStats
	top, err := readSnapshot(r, name)
	if err != nil {
		return st, err
	}
	w := e.newWorld()
	c := e.ctx()
	defer e.release(c)
	used := map[string]bool{}
	cache := map[string][]any{}
	for _, mw := range w.models {
		for _, r := range snapshotRows(mw.rt) {
			used[r.t.Key] = true
			n, err := e.loadRows(c, mw, w, r, top, cache, name)
			if err != nil {
				return st, err
			}
			st.Records += n
		}
	}
	for k := range top {
		if !used[k] {
			st.Ignored = append(st.Ignored, k)
		}
	}
	sort.Strings(st.Ignored)
	st.Watchlists = w.initWatchlists(e)
	e.mu.Lock()
	e.w = w
	e.mu.Unlock()
	return st, nil
}

func readSnapshot(r io.Reader, name string) (map[string]json.RawMessage, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &SnapshotError{File: name, Index: -1, Reason: err.Error()}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, &SnapshotError{File: name, Index: -1, Reason: jsonReason(data, err)}
	}
	if top == nil {
		return nil, &SnapshotError{File: name, Index: -1, Reason: "want a JSON object of collections, got null"}
	}
	return top, nil
}

// jsonReason says what is wrong with a JSON text and where (line and column).
func jsonReason(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		return "want a JSON object of collections, got " + te.Value
	}
	if err.Error() == "unexpected end of JSON input" {
		return "truncated: the JSON ends before it is complete"
	}
	if off < 0 {
		return err.Error()
	}
	off = max(off-1, 0) // Offset counts the bytes read, the bad one included
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err)
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
	order := func(r *rowRT) (int, int) {
		ev := &mr.m.Events[r.t.Event]
		switch ev.Kind {
		case tables.Associates, tables.Dissociates:
			return max(mr.rank[ev.Link.Entity], mr.rank[ev.Other]), int(ev.Kind)
		}
		return mr.rank[ev.Target.Index], int(ev.Kind)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		ri, ki := order(rows[i])
		rj, kj := order(rows[j])
		if ri != rj {
			return ri < rj
		}
		return kindRank(ki) < kindRank(kj)
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

// loadRows applies one snapshot row to every record of its collection.
func (e *Engine) loadRows(c *Ctx, mw *modelWorld, w *world, r *rowRT, top map[string]json.RawMessage, cache map[string][]any, file string) (int, error) {
	recs, err := collection(top, cache, r.t.Key, file)
	if err != nil || recs == nil {
		return 0, err
	}
	ev := &mw.rt.m.Events[r.t.Event]
	op := Op{Model: mw.rt.idx, w: w}
	n := 0
	for i, rec := range recs {
		bad := func(field, reason string) error {
			return &SnapshotError{File: file, Collection: r.t.Key, Index: i, Field: field, Reason: reason}
		}
		if _, ok := rec.(map[string]any); !ok {
			return 0, bad("", "want an object, got "+state.JSONKind(rec))
		}
		if !r.applies(rec) {
			continue
		}
		c.bind(mw, &op.Op)
		c.intern = true
		ok, err := bindRow(c, mw, r, rec, &op)
		var oe *OpError
		if errors.As(err, &oe) {
			return 0, bad(oe.Path, oe.Event+" parameter "+oe.Param+": "+oe.Reason)
		}
		if !ok {
			continue
		}
		if x := mw.rt.where[r.t.Event]; x != nil && !c.test(x) {
			return 0, bad("", e.whereError(mw.rt, r.t.Event, c.err).Error())
		}
		if _, err := mw.st.Apply(&op.Op); err != nil {
			return 0, bad(paramPath(ev, r.t, err), err.Error())
		}
		n++
	}
	return n, nil
}

// collection decodes one collection of the snapshot once.
func collection(top map[string]json.RawMessage, cache map[string][]any, name, file string) ([]any, error) {
	if recs, ok := cache[name]; ok {
		return recs, nil
	}
	raw, ok := top[name]
	if !ok {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &SnapshotError{File: file, Collection: name, Index: -1, Reason: err.Error()}
	}
	recs, ok := v.([]any)
	if !ok && v != nil {
		return nil, &SnapshotError{File: file, Collection: name, Index: -1, Reason: "want a list of records, got " + state.JSONKind(v)}
	}
	cache[name] = recs
	return recs, nil
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
