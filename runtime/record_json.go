package runtime

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the decision as its Record marshals to JSON, without
// building the Record: the decision API answers with it, allocating nothing
// once b has grown. The engine's read lock is taken once.
func (d *Decision) AppendJSON(b []byte) []byte {
	b = append(b, `{"op":`...)
	op := ""
	if d.eng != nil {
		op = d.eng.models[d.Model].m.Events[d.Event].Name
	}
	b = AppendJSONString(b, op)
	b = append(b, `,"verdict":`...)
	b = AppendJSONString(b, d.Verdict().String())
	b = append(b, `,"blocked":`...)
	b = strconv.AppendBool(b, d.Blocked)
	if d.Err != nil {
		b = append(b, `,"error":`...)
		b = AppendJSONString(b, d.Err.Error())
	}
	if d.eng == nil || d.mw == nil || d.n == 0 {
		return append(b, '}')
	}
	d.eng.mu.RLock()
	defer d.eng.mu.RUnlock()
	b = append(b, `,"checks":[`...)
	var reason []byte
	for i := 0; i < d.n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b, reason = d.appendCheckJSON(b, reason[:0], i)
	}
	return append(b, "]}"...)
}

// appendCheckJSON appends one check as CheckRecord marshals; reason is scratch space.
func (d *Decision) appendCheckJSON(b, reason []byte, i int) ([]byte, []byte) {
	ch := d.At(i)
	p := d.eng.props[ch.Property].t
	names := d.mw.st.Names
	b = append(b, `{"property":`...)
	b = AppendJSONString(b, p.Name)
	b = append(b, `,"kind":`...)
	b = AppendJSONString(b, KindName(ch.Kind))
	b = append(b, `,"n_cp":`...)
	if ch.NCP >= 0 {
		b = strconv.AppendInt(b, int64(ch.NCP), 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"verdict":`...)
	b = AppendJSONString(b, ch.Verdict.String())
	if ch.Scope != 0 {
		b = append(b, `,"scope":`...)
		b = AppendJSONString(b, names.String(ch.Scope))
	}
	if ch.Looked {
		b = append(b, `,"watchlist":`...)
		b = AppendJSONString(b, p.Watchlist.Name)
		b = append(b, `,"element":[`...)
		b = AppendJSONString(b, names.String(ch.Elem[0]))
		if p.Watchlist.Elem.Pair {
			b = append(b, ',')
			b = AppendJSONString(b, names.String(ch.Elem[1]))
		}
		b = append(b, `],"in_watchlist":`...)
		b = strconv.AppendBool(b, ch.Found)
	}
	if ch.SlowPath {
		b = append(b, `,"slow_path":true`...)
	}
	if ch.Why == WhyScopeUnknown || ch.Why == WhyInDoubt || ch.Why == WhyMissing {
		b = append(b, `,"fail_mode":true`...)
	}
	reason = d.appendReason(reason, i)
	b = append(b, `,"reason":`...)
	b = AppendJSONString(b, string(reason))
	return append(b, '}'), reason
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, as encoding/json writes it (HTML-safe,
// invalid UTF-8 replaced).
func AppendJSONString(b []byte, s string) []byte {
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
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
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
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
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
