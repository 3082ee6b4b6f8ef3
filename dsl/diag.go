package dsl

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Pos is a position in a spec file. It is pvsc's own type, so that diagnostics and the
// compiler's results carry no parser-library type.
type Pos struct {
	File string
	Line int // 1-based
	Col  int // 1-based, in bytes
}

// PosOf converts a position the parser captured.
func PosOf(p lexer.Position) Pos { return Pos{File: p.Filename, Line: p.Line, Col: p.Column} }

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Diagnostic is one error at a position of a spec file, with the source line it points into
// when the file's text is known.
type Diagnostic struct {
	Pos    Pos
	Msg    string
	Source string // the line at Pos, without its newline; "" when unknown
}

// String renders the diagnostic as file:line:col: message, then the source line and a caret
// under the column, as cel-go prints its errors.
func (d Diagnostic) String() string {
	head := d.Pos.String() + ": " + d.Msg
	if d.Source == "" {
		return head
	}
	return head + "\n | " + d.Source + "\n | " + caretPad(d.Source, d.Pos.Col) + "^"
}

// caretPad is the padding that puts a caret under byte column col: dots, with the line's tabs kept
// so that the caret lines up however tabs are shown.
func caretPad(line string, col int) string {
	var b strings.Builder
	for i := 0; i < col-1 && i < len(line); i++ {
		if line[i] == '\t' {
			b.WriteByte('\t')
		} else if line[i]&0xC0 != 0x80 { // one dot per character, not per byte
			b.WriteByte('.')
		}
	}
	return b.String()
}

// Diagnostics is a list of diagnostics; as an error it prints them one after another.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders diagnostics by file, line, column and message, and drops exact duplicates.
func (ds *Diagnostics) Sort() {
	s := *ds
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i].Pos, s[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return s[i].Msg < s[j].Msg
	})
	out := s[:0]
	for i, d := range s {
		if i > 0 && d.Pos == s[i-1].Pos && d.Msg == s[i-1].Msg {
			continue
		}
		out = append(out, d)
	}
	*ds = out
}

// Add appends a diagnostic at a position the parser captured.
func (ds *Diagnostics) Add(pos lexer.Position, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Pos: PosOf(pos), Msg: fmt.Sprintf(format, args...)})
}

// Err returns the sorted diagnostics as an error, or nil when there are none.
func (ds Diagnostics) Err() error {
	if len(ds) == 0 {
		return nil
	}
	ds.Sort()
	return ds
}

// Attach fills in the source line of every diagnostic whose file's text src knows.
func (ds Diagnostics) Attach(src map[string][]byte) {
	for i := range ds {
		if text, ok := src[ds[i].Pos.File]; ok {
			ds[i].Source = lineOf(text, ds[i].Pos.Line)
		}
	}
}

func lineOf(text []byte, n int) string {
	for i := 1; i < n; i++ {
		j := strings.IndexByte(string(text), '\n')
		if j < 0 {
			return ""
		}
		text = text[j+1:]
	}
	if j := strings.IndexByte(string(text), '\n'); j >= 0 {
		text = text[:j]
	}
	return strings.TrimRight(string(text), "\r")
}

// absorb appends err's diagnostics and reports whether err was diagnostics.
func (ds *Diagnostics) absorb(err error) bool {
	var d Diagnostics
	if errors.As(err, &d) {
		*ds = append(*ds, d...)
		return true
	}
	return false
}

// AttachFiles is Attach with the files read from disk, for diagnostics made after compiling.
func (ds Diagnostics) AttachFiles() {
	src := map[string][]byte{}
	for _, d := range ds {
		if _, ok := src[d.Pos.File]; !ok {
			src[d.Pos.File], _ = os.ReadFile(d.Pos.File)
		}
	}
	ds.Attach(src)
}
