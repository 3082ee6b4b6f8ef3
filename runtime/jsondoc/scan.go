package jsondoc

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// SyntaxError is JSON that does not parse, at a byte offset of the whole text.
type SyntaxError struct {
	Offset    int
	Msg       string
	Truncated bool // the text ends before the value does
}

func (e *SyntaxError) Error() string { return e.Msg }

// Where is "line L, column C" of the error in data.
func (e *SyntaxError) Where(data []byte) string {
	off := min(e.Offset, len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// Span is where a value sits in the text: data[Start:End].
type Span struct{ Start, End int }

// Sections finds the members of a top-level JSON object without parsing
// their values (a later member of the same name wins, as in encoding/json).
// kind is the top-level value's kind when it is not an object.
func Sections(data []byte) (secs map[string]Span, kind string, err error) {
	s := scanner{b: data}
	s.ws()
	if s.i >= len(s.b) {
		return nil, "", s.fail("truncated: the text is empty", true)
	}
	if s.b[s.i] != '{' {
		k := KindAt(data, s.i)
		if k == "" {
			return nil, "", s.fail(fmt.Sprintf("invalid character %q looking for beginning of value", s.b[s.i]), false)
		}
		return nil, k, s.value()
	}
	secs = map[string]Span{}
	err = s.members(func(key string, sp Span) error { secs[key] = sp; return nil })
	if err == nil {
		s.ws()
		if s.i < len(s.b) {
			err = s.fail(fmt.Sprintf("invalid character %q after top-level value", s.b[s.i]), false)
		}
	}
	return secs, "", err
}

// Elements calls fn with each element of the JSON array at sp, in order;
// kind is the value's kind when it is not an array ("null" gives no elements).
func Elements(data []byte, sp Span, fn func(i int, elem []byte) error) (kind string, err error) {
	s := scanner{b: data[:sp.End], i: sp.Start}
	if s.b[s.i] != '[' {
		return KindAt(data, sp.Start), nil
	}
	s.i++
	for n := 0; ; n++ {
		s.ws()
		if n == 0 && s.peek() == ']' {
			return "", nil
		}
		start := s.i
		if err := s.value(); err != nil {
			return "", err
		}
		if err := fn(n, data[start:s.i]); err != nil {
			return "", err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			return "", nil
		default:
			return "", s.unexpected("after array element")
		}
	}
}

// KindAt names the kind of the value starting at data[i] ("" when none does).
func KindAt(data []byte, i int) string {
	if i >= len(data) {
		return ""
	}
	switch c := data[i]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "a list"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return ""
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) fail(msg string, truncated bool) error {
	return &SyntaxError{Offset: s.i, Msg: msg, Truncated: truncated}
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) unexpected(where string) error {
	if s.i >= len(s.b) {
		return s.fail("truncated: the JSON ends before it is complete", true)
	}
	return s.fail(fmt.Sprintf("invalid character %q %s", s.b[s.i], where), false)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// members walks an object's members, the scanner at its '{'.
func (s *scanner) members(fn func(key string, sp Span) error) error {
	s.i++
	for n := 0; ; n++ {
		s.ws()
		if n == 0 && s.peek() == '}' {
			s.i++
			return nil
		}
		if s.peek() != '"' {
			return s.unexpected("looking for beginning of object key string")
		}
		kstart := s.i
		if err := s.str(); err != nil {
			return err
		}
		key, err := strconv.Unquote(string(s.b[kstart:s.i]))
		if err != nil {
			key = string(s.b[kstart+1 : s.i-1])
		}
		s.ws()
		if s.peek() != ':' {
			return s.unexpected("after object key")
		}
		s.i++
		s.ws()
		start := s.i
		if err := s.value(); err != nil {
			return err
		}
		if err := fn(key, Span{start, s.i}); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.unexpected("after object key:value pair")
		}
	}
}

// value skips one value, checking that brackets and strings are well formed
// (the values a row reads are parsed, hence checked in full, later).
func (s *scanner) value() error {
	var stack []byte
	for {
		s.ws()
		if s.i >= len(s.b) {
			return s.fail("truncated: the JSON ends before it is complete", true)
		}
		switch c := s.b[s.i]; c {
		case '"':
			if err := s.str(); err != nil {
				return err
			}
		case '{', '[':
			stack = append(stack, c+2) // '}' is '{'+2, ']' is '['+2
			s.i++
			continue
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != c {
				return s.unexpected("looking for beginning of value")
			}
			stack = stack[:len(stack)-1]
			s.i++
		case ',', ':':
			if len(stack) == 0 {
				return s.unexpected("looking for beginning of value")
			}
			s.i++
			continue
		default:
			if err := s.literal(); err != nil {
				return err
			}
		}
		if len(stack) == 0 {
			return nil
		}
	}
}

// str skips a string, the scanner at its opening quote.
func (s *scanner) str() error {
	i := s.i + 1
	for {
		j := bytes.IndexByte(s.b[i:], '"')
		if j < 0 {
			s.i = len(s.b)
			return s.fail("truncated: the JSON ends before it is complete", true)
		}
		i += j
		bs := 0
		for k := i - 1; k > s.i && s.b[k] == '\\'; k-- {
			bs++
		}
		i++
		if bs%2 == 0 {
			s.i = i
			return nil
		}
	}
}

func (s *scanner) literal() error {
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			s.i++
			continue
		}
		break
	}
	lit := string(s.b[start:s.i])
	switch c := s.b[start]; {
	case s.i == start:
		return s.fail(fmt.Sprintf("invalid character %q looking for beginning of value", s.b[s.i]), false)
	case c == '-' || c >= '0' && c <= '9':
		return nil // the parser checks the number's form
	case lit == "true" || lit == "false" || lit == "null":
		return nil
	case s.i == len(s.b) && (strings.HasPrefix("true", lit) || strings.HasPrefix("false", lit) || strings.HasPrefix("null", lit)):
		return s.fail("truncated: the JSON ends before it is complete", true)
	}
	s.i = start
	return s.fail(fmt.Sprintf("invalid character %q looking for beginning of value", s.b[s.i]), false)
}

// Check finds what is wrong with a JSON text holding one value: a
// *SyntaxError at the offset where it breaks, nil when the scanner finds it
// well formed (a parser may still refuse a literal it did not check).
func Check(data []byte) error {
	s := scanner{b: data}
	if err := s.value(); err != nil {
		return err
	}
	s.ws()
	if s.i < len(s.b) {
		return s.fail("trailing data after the value", false)
	}
	return nil
}
