package intercept

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The oslo.messaging v2 envelope, {"oslo.version": "2.0", "oslo.message": "<json>"}, is
// every notification off RabbitMQ. Parsing it as JSON scans and unescapes its one large
// string twice (2-6 µs for a Neutron or Nova message, more than the message itself), so
// an envelope of exactly that shape is opened by hand, in one pass; anything else takes
// the general path, whose errors say what is wrong and where.

// osloMessage is the unescaped oslo.message of an envelope of exactly the two members, appended to buf.
func osloMessage(data, buf []byte) ([]byte, bool) {
	s := skipWS(data)
	if len(s) == 0 || s[0] != '{' {
		return nil, false
	}
	s = s[1:]
	var msg []byte
	version, haveMsg := false, false
	for i := 0; i < 2; i++ {
		if i == 1 {
			if s = skipWS(s); len(s) == 0 || s[0] != ',' {
				return nil, false
			}
			s = s[1:]
		}
		key, rest, ok := memberKey(s)
		if !ok {
			return nil, false
		}
		switch k := string(key); { // compared, not kept: no allocation
		case k == "oslo.version" && !version:
			var v []byte
			if v, rest, ok = unquote(rest, nil); !ok || !strings.HasPrefix(string(v), "2.") {
				return nil, false
			}
			version = true
		case k == "oslo.message" && !haveMsg:
			if msg, rest, ok = unquote(rest, buf); !ok {
				return nil, false
			}
			haveMsg = true
		default:
			return nil, false
		}
		s = rest
	}
	if s = skipWS(s); len(s) == 0 || s[0] != '}' || len(skipWS(s[1:])) != 0 {
		return nil, false
	}
	return msg, true
}

// memberKey reads `"key" :` and what follows, past whitespace. Keys of the envelope hold no escapes.
func memberKey(s []byte) ([]byte, []byte, bool) {
	s = skipWS(s)
	if len(s) == 0 || s[0] != '"' {
		return nil, nil, false
	}
	end := bytes.IndexByte(s[1:], '"')
	if end < 0 || bytes.IndexByte(s[1:1+end], '\\') >= 0 {
		return nil, nil, false
	}
	key, rest := s[1:1+end], skipWS(s[2+end:])
	if len(rest) == 0 || rest[0] != ':' {
		return nil, nil, false
	}
	return key, skipWS(rest[1:]), true
}

func skipWS(s []byte) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	return s
}

// unquote decodes the JSON string s starts with, appending it to dst; rest follows its
// closing quote. It refuses what JSON refuses in a string: raw control characters, unknown
// escapes, a \u without four hex digits.
func unquote(s, dst []byte) (out, rest []byte, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return nil, nil, false
	}
	s = s[1:]
	for {
		k := special(s)
		if k == len(s) {
			return nil, nil, false
		}
		dst = append(dst, s[:k]...)
		switch s[k] {
		case '"':
			return dst, s[k+1:], true
		case '\\':
			if k+1 < len(s) && (s[k+1] == '"' || s[k+1] == '\\') { // the common escapes of JSON in JSON
				dst = append(dst, s[k+1])
				s = s[k+2:]
				continue
			}
			var n int
			if dst, n, ok = unescape(s[k:], dst); !ok {
				return nil, nil, false
			}
			s = s[k+n:]
		default:
			return nil, nil, false // a raw control character
		}
	}
}

// special is the index of the first quote, backslash or control character of s (len(s)
// when there is none), found eight bytes at a time.
func special(s []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		// A byte below n borrows into its own high bit in x - n*ones while its high bit in x
		// is clear; a false positive can only follow a true one, so the lowest bit is exact.
		q, b := x^('"'*ones), x^('\\'*ones)
		m := (q-ones)&^q | (b-ones)&^b | (x-0x20*ones)&^x
		if m &= highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// unescape decodes the escape s starts with, appending it to dst; n is its length.
func unescape(s, dst []byte) ([]byte, int, bool) {
	if len(s) < 2 {
		return nil, 0, false
	}
	switch c := s[1]; c {
	case '"', '\\', '/':
		return append(dst, c), 2, true
	case 'b':
		return append(dst, '\b'), 2, true
	case 'f':
		return append(dst, '\f'), 2, true
	case 'n':
		return append(dst, '\n'), 2, true
	case 'r':
		return append(dst, '\r'), 2, true
	case 't':
		return append(dst, '\t'), 2, true
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return nil, 0, false
		}
		if utf16.IsSurrogate(r) && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			if r2, ok := hex4(s[8:]); ok {
				if p := utf16.DecodeRune(r, r2); p != utf8.RuneError {
					return utf8.AppendRune(dst, p), 12, true
				}
			}
		}
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
		}
		return utf8.AppendRune(dst, r), 6, true
	}
	return nil, 0, false
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
