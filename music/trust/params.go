package trust

import (
	"math"
	"strconv"
)

// params are a neutral operation's parameters: strings, and numbers as the runtime (int64) or
// encoding/json (float64) gives them.
type params map[string]any

func (p params) str(name string) string {
	s, _ := p[name].(string)
	return s
}

func (p params) int(name string) int64 {
	switch v := p[name].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(math.Round(v))
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// level is a level parameter, def when absent.
func (p params) level(name string, def Level) (Level, error) {
	s, ok := p[name].(string)
	if !ok || s == "" {
		return def, nil
	}
	return ParseLevel(s)
}
