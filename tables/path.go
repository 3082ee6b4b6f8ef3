package tables

import (
	"strconv"
	"strings"
)

// LookupPath reads a parameter's path in a document: dotted segments
// through objects and arrays (numeric segments index arrays), alternatives
// separated by | tried in order (a "#" segment is the element index of an each row's document,
// held under "#"). An object key may itself hold dots (Nova's
// "nova_object.data"): the shortest key that leads on wins. JSON null reads
// as absent.
func LookupPath(doc any, path string) (any, bool) {
	for path != "" {
		alt := path
		if i := strings.IndexByte(path, '|'); i >= 0 {
			alt, path = path[:i], path[i+1:]
		} else {
			path = ""
		}
		if v, ok := lookupSegs(doc, indexSeg(doc, alt)); ok && v != nil {
			return v, true
		}
	}
	return nil, false
}

// indexSeg replaces each "#" segment of a path by the element index of an each row's document.
func indexSeg(doc any, path string) string {
	if !strings.Contains(path, "#") {
		return path
	}
	m, _ := doc.(map[string]any)
	k, _ := m["#"].(string)
	segs := strings.Split(path, ".")
	for i, s := range segs {
		if s == "#" {
			segs[i] = k
		}
	}
	return strings.Join(segs, ".")
}

func lookupSegs(cur any, path string) (any, bool) {
	if path == "" {
		return cur, true
	}
	switch x := cur.(type) {
	case map[string]any:
		for i := 0; i <= len(path); i++ {
			if i < len(path) && path[i] != '.' {
				continue
			}
			v, ok := x[path[:i]]
			if !ok {
				continue
			}
			rest := ""
			if i < len(path) {
				rest = path[i+1:]
			}
			if r, ok := lookupSegs(v, rest); ok {
				return r, true
			}
		}
	case []any:
		seg, rest, _ := strings.Cut(path, ".")
		i, err := strconv.Atoi(seg)
		if err == nil && i >= 0 && i < len(x) {
			return lookupSegs(x[i], rest)
		}
	}
	return nil, false
}

// HasPath reports whether a document has a path (alternatives split by |), a JSON null
// included: an action body {"os-stop": null} has "os-stop".
func HasPath(doc any, path string) bool {
	for _, alt := range strings.Split(path, "|") {
		if _, ok := lookupSegs(doc, indexSeg(doc, alt)); ok {
			return true
		}
	}
	return false
}
