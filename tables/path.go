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
	if SimplePath(path) {
		return LookupSimple(doc, path)
	}
	for path != "" {
		alt := path
		if i := strings.IndexByte(path, '|'); i >= 0 {
			alt, path = path[:i], path[i+1:]
		} else {
			path = ""
		}
		if v, ok := lookupSegs(doc, indexSeg(doc, alt)); ok && !isNull(v) {
			return v, true
		}
	}
	return nil, false
}

// SimplePath reports a path without alternatives or "#" segments, which LookupSimple reads.
func SimplePath(path string) bool { return strings.IndexAny(path, "|#") < 0 }

// LookupSimple is LookupPath for a simple path (SimplePath), checked once by the caller.
func LookupSimple(doc any, path string) (any, bool) {
	v, ok := lookupSegs(doc, path)
	return v, ok && !isNull(v)
}

// indexSeg replaces each "#" segment of a path by the element index of an each row's document.
func indexSeg(doc any, path string) string {
	if !strings.Contains(path, "#") {
		return path
	}
	x, _ := Member(doc, "#")
	k, _ := x.(string)
	segs := strings.Split(path, ".")
	for i, s := range segs {
		if s == "#" {
			segs[i] = k
		}
	}
	return strings.Join(segs, ".")
}

// Node is a document node a JSON parser holds in its own tree (not
// map[string]any and []any): paths walk it without converting it.
type Node interface {
	// Member is an object's member by key; ok is false for a missing key or a non-object.
	Member(key string) (any, bool)
	// Index is an array's element; ok is false out of range or for a non-array.
	Index(i int) (any, bool)
	// Null reports JSON null.
	Null() bool
}

// Member is a document's member by key, for either form of document.
func Member(doc any, key string) (any, bool) {
	switch d := doc.(type) {
	case map[string]any:
		v, ok := d[key]
		return v, ok
	case Node:
		return d.Member(key)
	}
	return nil, false
}

func isNull(v any) bool {
	if n, ok := v.(Node); ok {
		return n.Null()
	}
	return v == nil
}

func lookupSegs(cur any, path string) (any, bool) {
	if path == "" {
		return cur, true
	}
	switch x := cur.(type) {
	case Node:
		return lookupNode(x, path)
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

// lookupNode is lookupSegs over a parser's tree.
func lookupNode(x Node, path string) (any, bool) {
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '.' {
			continue
		}
		v, ok := x.Member(path[:i])
		if !ok {
			continue
		}
		if i == len(path) {
			return v, true
		}
		if r, ok := lookupSegs(v, path[i+1:]); ok {
			return r, true
		}
	}
	seg, rest, _ := strings.Cut(path, ".")
	if seg == "" || seg[0] < '0' || seg[0] > '9' {
		return nil, false // not an index: Atoi would build an error
	}
	if i, err := strconv.Atoi(seg); err == nil {
		if v, ok := x.Index(i); ok {
			return lookupSegs(v, rest)
		}
	}
	return nil, false
}
