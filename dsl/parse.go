package dsl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

var specLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `//[^\n]*|/\*([^*]|\*+[^*/])*\*+/`},
	{Name: "Backtick", Pattern: "`[^`]*`"},
	{Name: "String", Pattern: `"(\\.|[^"\\\n])*"`},
	{Name: "Int", Pattern: `[0-9]+`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
	{Name: "Punct", Pattern: `[{}()\[\],:=<|-]`},
	{Name: "Whitespace", Pattern: `[ \t\r\n]+`},
})

var parser = participle.MustBuild[File](
	participle.Lexer(specLexer),
	participle.Elide("Comment", "Whitespace"),
	participle.Unquote("String"),
	participle.UseLookahead(3),
)

// Parse parses one .pvsc file. On a syntax error it returns the diagnostic.
func Parse(filename string, src []byte) (*File, error) {
	f, err := parser.ParseBytes(filename, src)
	if err == nil {
		f.Comments, err = comments(filename, src)
	}
	if err != nil {
		ds := Diagnostics{syntaxDiagnostic(filename, err)}
		ds.Attach(map[string][]byte{filename: src})
		return nil, ds
	}
	return f, nil
}

// ParseFile reads and parses one file.
func ParseFile(path string) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// SpecFile is one spec file as read from disk.
type SpecFile struct {
	Path string
	Src  []byte
	File *File
}

// ParseDir parses every .pvsc file of a directory (not recursively), in name
// order; all syntax errors of all files are returned together.
func ParseDir(dir string) ([]*SpecFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.pvsc"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no .pvsc files", dir)
	}
	sort.Strings(paths)
	var out []*SpecFile
	var diags Diagnostics
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, err := Parse(p, src)
		if err != nil {
			if !diags.absorb(err) {
				return nil, err
			}
			continue
		}
		out = append(out, &SpecFile{Path: p, Src: src, File: f})
	}
	if len(diags) > 0 {
		diags.Sort()
		return nil, diags
	}
	return out, nil
}

func syntaxDiagnostic(filename string, err error) Diagnostic {
	var perr participle.Error
	if errors.As(err, &perr) {
		pos := perr.Position()
		if pos.Filename == "" {
			pos.Filename = filename
		}
		return Diagnostic{Pos: PosOf(pos), Msg: perr.Message()}
	}
	return Diagnostic{Pos: Pos{File: filename, Line: 1, Col: 1}, Msg: err.Error()}
}

// comments lexes the file again to keep the comments the parser elided.
func comments(filename string, src []byte) ([]Comment, error) {
	lx, err := specLexer.LexString(filename, string(src))
	if err != nil {
		return nil, err
	}
	commentType := specLexer.Symbols()["Comment"]
	var out []Comment
	for {
		tok, err := lx.Next()
		if err != nil {
			return nil, err
		}
		if tok.EOF() {
			return out, nil
		}
		if tok.Type == commentType {
			out = append(out, Comment{Pos: tok.Pos, Text: strings.TrimRight(tok.Value, " \t\r")})
		}
	}
}
