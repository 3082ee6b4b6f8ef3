package runtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"pvsc.dev/pvsc/runtime/ckpt"
)

// A checkpoint is pvsc's own binary form of a context: per model its records
// (the store's strings and columns) and per property its watchlists and the
// scopes in doubt. Loading one parses no JSON and evaluates no expression:
// counts and indexes follow from the records. It is tied to the spec it was
// written with: a model that changed refuses it, a property that changed (or
// was added) gets its watchlists built again from the records.

const (
	ckptMagic   = "PVSCCKPT"
	ckptVersion = 1
)

// IsCheckpoint reports whether data starts as a checkpoint does.
func IsCheckpoint(data []byte) bool { return bytes.HasPrefix(data, []byte(ckptMagic)) }

// WriteCheckpoint writes the current context as a checkpoint.
func (e *Engine) WriteCheckpoint(w io.Writer) error {
	e.mu.RLock()
	var b ckpt.Writer
	b.B = append(b.B, ckptMagic...)
	b.U32(ckptVersion)
	b.Uvarint(uint64(len(e.w.models)))
	for _, mw := range e.w.models {
		b.String(mw.rt.m.Name)
		b.String(fingerprint(mw.rt.m))
		b.Bool(mw.inDoubt)
		// Each model's part is length-prefixed: the models load side by side.
		var part ckpt.Writer
		mw.st.WriteCheckpoint(&part)
		part.Uvarint(uint64(len(mw.props)))
		for _, pw := range mw.props {
			writeProp(&part, pw)
		}
		b.Uvarint(uint64(len(part.B)))
		b.B = append(b.B, part.B...)
	}
	e.mu.RUnlock()
	b.U32(crc32.Checksum(b.B, crcTable))
	_, err := w.Write(b.B)
	return err
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func writeProp(b *ckpt.Writer, pw *propWorld) {
	b.String(pw.rt.t.Name)
	b.String(fingerprint(pw.rt.t))
	b.U32(pw.lastGlobal)
	b.Uvarint(uint64(countWatchlists(pw)))
	pw.eachWatchlist(func(s sym, l *wlist) {
		b.U32(uint32(s))
		b.Varint(int64(l.n))
		b.Uvarint(uint64(l.len()))
		l.each(func(k uint64) { b.U64(k) })
	})
	b.Uvarint(uint64(len(pw.doubt)))
	for s := range pw.doubt {
		b.U32(uint32(s))
	}
}

func countWatchlists(pw *propWorld) int {
	n := 0
	pw.eachWatchlist(func(sym, *wlist) { n++ })
	return n
}

// fingerprint names a model's or a property's compiled form: a checkpoint
// from another one does not apply.
func fingerprint(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		panic(err) // tables are plain data
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// CheckpointError is a checkpoint that cannot be used: nothing of it was loaded.
type CheckpointError struct {
	File   string
	Reason string
}

func (e *CheckpointError) Error() string { return e.File + ": checkpoint: " + e.Reason }

// loadCheckpoint replaces the context with a checkpoint's (see LoadSnapshot).
func (e *Engine) loadCheckpoint(data []byte, name string) (LoadStats, error) {
	var st LoadStats
	bad := func(format string, args ...any) (LoadStats, error) {
		return st, &CheckpointError{File: name, Reason: fmt.Sprintf(format, args...)}
	}
	if len(data) < len(ckptMagic)+8 {
		return bad("truncated")
	}
	body, sum := data[:len(data)-4], data[len(data)-4:]
	if crc32.Checksum(body, crcTable) != uint32(sum[0])|uint32(sum[1])<<8|uint32(sum[2])<<16|uint32(sum[3])<<24 {
		return bad("checksum mismatch: the file is truncated or damaged")
	}
	r := &ckpt.Reader{B: body, Off: len(ckptMagic)}
	if v := r.U32(); v != ckptVersion {
		return bad("format version %d, this pvsc reads %d: write it again from a snapshot", v, ckptVersion)
	}
	parts, err := e.splitCheckpoint(r)
	if err != nil {
		return bad("%v", err)
	}
	w := e.newWorld()
	loads := make([]modelLoad, len(w.models))
	var wg sync.WaitGroup
	for i, mw := range w.models {
		wg.Go(func() { loads[i] = e.restoreModel(mw, parts[i]) })
	}
	wg.Wait()
	for _, l := range loads {
		if l.err != nil {
			return bad("%v", l.err)
		}
		st.Records += l.records
		st.Watchlists += l.watchlists
	}
	e.swap(w, len(data))
	return st, nil
}

// modelPart is where one model's part of a checkpoint lies.
type modelPart struct {
	doubt bool
	data  []byte // the store and the properties, from the store on
}

// splitCheckpoint checks the models a checkpoint holds against the engine's
// and finds each one's part (models are written one after the other).
func (e *Engine) splitCheckpoint(r *ckpt.Reader) ([]modelPart, error) {
	n := r.Len(1)
	if r.Err != nil {
		return nil, r.Err
	}
	if n != len(e.models) {
		return nil, fmt.Errorf("written for another spec: it holds %d models, this spec has %d", n, len(e.models))
	}
	parts := make([]modelPart, n)
	for i, mr := range e.models {
		name, fp := r.String(), r.String()
		parts[i].doubt = r.Bool()
		if r.Err != nil {
			return nil, r.Err
		}
		if name != mr.m.Name || fp != fingerprint(mr.m) {
			return nil, fmt.Errorf("model %s was written by another version of the spec (model %s): write the checkpoint again from a snapshot", mr.m.Name, name)
		}
		size := r.Len(1)
		if r.Err != nil {
			return nil, r.Err
		}
		parts[i].data = r.B[r.Off : r.Off+size]
		r.Off += size
	}
	if r.Off != len(r.B) {
		return nil, errors.New("data after the last model")
	}
	return parts, nil
}

// restoreModel loads one model's part: its store, then its properties' watchlists.
func (e *Engine) restoreModel(mw *modelWorld, part modelPart) modelLoad {
	var out modelLoad
	r := &ckpt.Reader{B: part.data}
	if err := mw.st.ReadCheckpoint(r); err != nil {
		out.err = fmt.Errorf("model %s: %w", mw.rt.m.Name, err)
		return out
	}
	mw.inDoubt = part.doubt
	for i, lit := range mw.rt.lits.strs {
		mw.lits[i] = mw.st.Names.Intern(lit)
	}
	for e := range mw.st.Model.Entities {
		out.records += mw.st.Len(int32(e))
	}
	restored := map[string]bool{}
	n := r.Len(1)
	for i := 0; i < n && r.Err == nil; i++ {
		name, fp := r.String(), r.String()
		pw := mw.prop(name)
		if pw == nil || fp != fingerprint(pw.rt.t) {
			skipProp(r) // dropped or changed since: built again below
			continue
		}
		out.watchlists += readProp(r, pw)
		restored[name] = true
	}
	if r.Err == nil && r.Off != len(r.B) {
		r.Err = fmt.Errorf("%w: data after the properties", ckpt.ErrCorrupt)
	}
	if r.Err != nil {
		out.err = fmt.Errorf("model %s: %w", mw.rt.m.Name, r.Err)
		return out
	}
	c := e.ctx()
	defer e.release(c)
	c.intern = true
	c.bind(mw, nil)
	for _, pw := range mw.props {
		if !restored[pw.rt.t.Name] {
			out.watchlists += pw.initAll(c)
		}
	}
	return out
}

func (mw *modelWorld) prop(name string) *propWorld {
	for _, pw := range mw.props {
		if pw.rt.t.Name == name {
			return pw
		}
	}
	return nil
}

// readProp restores one property's watchlists and doubt; it returns how many watchlists.
func readProp(r *ckpt.Reader, pw *propWorld) int {
	pw.lastGlobal = r.U32()
	n := r.Len(6) // a watchlist: its scope (4 bytes), kept and length (a byte each at least)
	for range n {
		if r.Err != nil {
			return 0
		}
		s := sym(r.U32())
		kept := int32(r.Varint())
		elems := make([]uint64, r.Len(8))
		for i := range elems {
			elems[i] = r.U64()
		}
		if r.Err != nil {
			return 0
		}
		pw.put(s, newWList(elems, kept))
	}
	nd := r.Len(4)
	for range nd {
		pw.doubt[sym(r.U32())] = true
	}
	return n
}

func skipProp(r *ckpt.Reader) {
	r.U32()
	n := r.Len(6) // a watchlist: its scope (4 bytes), kept and length (a byte each at least)
	for i := 0; i < n && r.Err == nil; i++ {
		r.U32()
		r.Varint()
		r.Off += 8 * r.Len(8)
	}
	r.Off += 4 * r.Len(4)
	if r.Off > len(r.B) {
		r.Off = len(r.B)
		if r.Err == nil {
			r.Err = fmt.Errorf("%w: truncated property", ckpt.ErrCorrupt)
		}
	}
}
