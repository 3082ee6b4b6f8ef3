package dsl

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Diagnostic is one error at a position of a spec file.
type Diagnostic struct {
	Pos lexer.Position
	Msg string
}

// String renders the diagnostic as file:line:col: message.
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.Pos.Filename, d.Pos.Line, d.Pos.Column, d.Msg)
}

// Diagnostics is a list of diagnostics; as an error it prints them one per line.
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
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return s[i].Msg < s[j].Msg
	})
	out := s[:0]
	for i, d := range s {
		if i > 0 && d.String() == s[i-1].String() {
			continue
		}
		out = append(out, d)
	}
	*ds = out
}

// Add appends a diagnostic at pos.
func (ds *Diagnostics) Add(pos lexer.Position, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the sorted diagnostics as an error, or nil when there are none.
func (ds Diagnostics) Err() error {
	if len(ds) == 0 {
		return nil
	}
	ds.Sort()
	return ds
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
