package api

import (
	"strconv"
	"unicode/utf8"

	"pvsc.dev/pvsc/runtime"
)

// appendDecide writes POST /v1/decide's answer without reflection: it is on the decision
// path, where encoding/json's per-field work and allocations were a third of the cost.
func appendDecide(b []byte, r *decideResponse) []byte {
	b = append(b, `{"verdict":`...)
	b = appendString(b, r.Verdict)
	b = append(b, `,"blocked":`...)
	b = strconv.AppendBool(b, r.Blocked)
	if r.Unknown {
		b = append(b, `,"unknown":true`...)
	}
	b = append(b, `,"decisions":[`...)
	for i := range r.Decisions {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRecord(b, &r.Decisions[i])
	}
	return append(b, "]}\n"...)
}

func appendRecord(b []byte, r *runtime.Record) []byte {
	b = append(b, `{"op":`...)
	b = appendString(b, r.Op)
	b = append(b, `,"verdict":`...)
	b = appendString(b, r.Verdict)
	b = append(b, `,"blocked":`...)
	b = strconv.AppendBool(b, r.Blocked)
	if r.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, r.Error)
	}
	if len(r.Checks) > 0 {
		b = append(b, `,"checks":[`...)
		for i := range r.Checks {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCheck(b, &r.Checks[i])
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendCheck(b []byte, c *runtime.CheckRecord) []byte {
	b = append(b, `{"property":`...)
	b = appendString(b, c.Property)
	b = append(b, `,"kind":`...)
	b = appendString(b, c.Kind)
	b = append(b, `,"n_cp":`...)
	if c.NCP == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*c.NCP), 10)
	}
	b = append(b, `,"verdict":`...)
	b = appendString(b, c.Verdict)
	if c.Scope != "" {
		b = append(b, `,"scope":`...)
		b = appendString(b, c.Scope)
	}
	if c.Watchlist != "" {
		b = append(b, `,"watchlist":`...)
		b = appendString(b, c.Watchlist)
	}
	if len(c.Element) > 0 {
		b = append(b, `,"element":[`...)
		for i, e := range c.Element {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e)
		}
		b = append(b, ']')
	}
	if c.Found != nil {
		b = append(b, `,"in_watchlist":`...)
		b = strconv.AppendBool(b, *c.Found)
	}
	if c.SlowPath {
		b = append(b, `,"slow_path":true`...)
	}
	b = append(b, `,"reason":`...)
	b = appendString(b, c.Reason)
	return append(b, '}')
}

const hex = "0123456789abcdef"

// appendString writes a JSON string as encoding/json does (HTML-safe, invalid UTF-8 replaced).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
