package api

import (
	"strconv"

	"pvsc.dev/pvsc/runtime"
)

// appendDecided writes POST /v1/decide's answer straight from the decisions, byte for
// byte what encoding/json makes of decideResponse: on the decision path no Record (and
// no reason string) is built, and encoding/json's per-field work and allocations were
// a third of the handler's cost.
func appendDecided(b []byte, ds []runtime.Decision, refused []refusal) []byte {
	v, blocked := runtime.Pass, false
	for i := range ds {
		v = max(v, ds[i].Verdict())
		blocked = blocked || ds[i].Blocked
	}
	if len(refused) > 0 {
		v, blocked = runtime.Deny, blocked || refused[0].blocks
	}
	b = append(b, `{"verdict":`...)
	b = runtime.AppendJSONString(b, v.String())
	b = append(b, `,"blocked":`...)
	b = strconv.AppendBool(b, blocked)
	if len(ds) == 0 {
		b = append(b, `,"unknown":true`...)
	}
	if len(refused) > 0 {
		b = append(b, `,"refused":[`...)
		for i, f := range refused {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"decision":`...)
			b = strconv.AppendInt(b, int64(f.Decision), 10)
			b = append(b, `,"kind":`...)
			b = runtime.AppendJSONString(b, f.Kind)
			b = append(b, `,"message":`...)
			b = runtime.AppendJSONString(b, f.Message)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"decisions":[`...)
	for i := range ds {
		if i > 0 {
			b = append(b, ',')
		}
		b = ds[i].AppendJSON(b)
	}
	return append(b, "]}\n"...)
}
