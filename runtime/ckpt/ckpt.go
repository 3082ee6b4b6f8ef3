// Package ckpt is the byte layout of pvsc checkpoints: little-endian fixed
// ints, uvarint lengths, length-prefixed strings, and a reader that keeps the
// first error with the offset where the data went wrong.
package ckpt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Writer appends values to a buffer.
type Writer struct{ B []byte }

// Uvarint appends an unsigned varint.
func (w *Writer) Uvarint(x uint64) { w.B = binary.AppendUvarint(w.B, x) }

// Varint appends a signed varint.
func (w *Writer) Varint(x int64) { w.B = binary.AppendVarint(w.B, x) }

// U32 appends a fixed 32-bit value.
func (w *Writer) U32(x uint32) { w.B = binary.LittleEndian.AppendUint32(w.B, x) }

// U64 appends a fixed 64-bit value.
func (w *Writer) U64(x uint64) { w.B = binary.LittleEndian.AppendUint64(w.B, x) }

// String appends a length-prefixed string.
func (w *Writer) String(s string) {
	w.Uvarint(uint64(len(s)))
	w.B = append(w.B, s...)
}

// Bool appends one byte.
func (w *Writer) Bool(b bool) {
	if b {
		w.B = append(w.B, 1)
	} else {
		w.B = append(w.B, 0)
	}
}

// ErrCorrupt is a checkpoint that does not decode.
var ErrCorrupt = errors.New("corrupt checkpoint")

// Reader reads values back; after the first error every read returns zero.
type Reader struct {
	B   []byte
	Off int
	Err error
}

func (r *Reader) fail(what string) {
	if r.Err == nil {
		r.Err = fmt.Errorf("%w: %s at byte %d", ErrCorrupt, what, r.Off)
	}
	r.Off = len(r.B)
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	x, n := binary.Uvarint(r.B[r.Off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.Off += n
	return x
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	x, n := binary.Varint(r.B[r.Off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.Off += n
	return x
}

// Len reads a length that must fit what is left (each element at least min bytes).
func (r *Reader) Len(min int) int {
	n := r.Uvarint()
	if n > math.MaxInt32 || min > 0 && int(n) > (len(r.B)-r.Off)/min {
		r.fail(fmt.Sprintf("length %d beyond the data", n))
		return 0
	}
	return int(n)
}

// U32 reads a fixed 32-bit value.
func (r *Reader) U32() uint32 {
	if len(r.B)-r.Off < 4 {
		r.fail("truncated")
		return 0
	}
	x := binary.LittleEndian.Uint32(r.B[r.Off:])
	r.Off += 4
	return x
}

// U64 reads a fixed 64-bit value.
func (r *Reader) U64() uint64 {
	if len(r.B)-r.Off < 8 {
		r.fail("truncated")
		return 0
	}
	x := binary.LittleEndian.Uint64(r.B[r.Off:])
	r.Off += 8
	return x
}

// String reads a length-prefixed string.
func (r *Reader) String() string {
	n := r.Len(1)
	if r.Err != nil {
		return ""
	}
	s := string(r.B[r.Off : r.Off+n])
	r.Off += n
	return s
}

// Bool reads one byte.
func (r *Reader) Bool() bool {
	if r.Off >= len(r.B) {
		r.fail("truncated")
		return false
	}
	b := r.B[r.Off]
	r.Off++
	return b != 0
}
