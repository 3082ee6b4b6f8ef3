package cloudgen

import (
	"bytes"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/tables"
)

// resolve reads a document path as the runtime does: dotted segments, numeric
// segments index arrays, a|b tries a then b.
func resolve(doc any, path string) bool {
	for _, alt := range strings.Split(path, "|") {
		cur, ok := doc, true
		for _, seg := range strings.Split(alt, ".") {
			switch c := cur.(type) {
			case map[string]any:
				cur, ok = c[seg]
			case []any:
				i, err := strconv.Atoi(seg)
				ok = err == nil && i >= 0 && i < len(c)
				if ok {
					cur = c[i]
				}
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok && cur != nil {
			return true
		}
	}
	return false
}

var placeholder = regexp.MustCompile(`\{([^}]*)\}`)

// paths are the document paths a row reads: its parameters' and its templates' placeholders.
func paths(r tables.OpRow) []string {
	var out []string
	for _, ps := range r.Params {
		switch {
		case !ps.IsConst:
			out = append(out, ps.Path)
		case ps.Template:
			for _, m := range placeholder.FindAllStringSubmatch(ps.Const, -1) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// checkSnapshotRows compiles a spec directory and checks that every snapshot row
// reads a collection of the snapshot, that each of its paths resolves on some
// record, and the event's key on every record; and that no collection goes unread.
func checkSnapshotRows(t *testing.T, dir string, data []byte) {
	t.Helper()
	res, err := compiler.CompileDir(dir)
	require.NoError(t, err)
	snap := decode(t, data)
	read := map[string]bool{}
	rows := 0
	for _, c := range res.Spec.Clouds {
		m := res.Spec.Models[c.Model]
		for _, r := range c.Rows {
			if r.Source != tables.Snapshot {
				continue
			}
			rows++
			ev := m.Events[r.Event]
			recs, ok := snap[r.Key]
			require.True(t, ok, "%s: row %s reads collection %q, which the snapshot lacks", dir, ev.Name, r.Key)
			require.NotEmpty(t, recs, r.Key)
			read[r.Key] = true
			for _, p := range paths(r) {
				n := 0
				for _, rec := range recs {
					if resolve(map[string]any(rec), p) {
						n++
					}
				}
				assert.Positive(t, n, "%s: %s.%s resolves on no record (row %s)", dir, r.Key, p, ev.Name)
			}
			for _, ps := range r.Params {
				if ps.Param == ev.Key && !ps.IsConst && r.When == nil {
					for i, rec := range recs {
						require.True(t, resolve(map[string]any(rec), ps.Path), "%s: %s[%d] has no %s", dir, r.Key, i, ps.Path)
					}
				}
			}
		}
	}
	assert.Positive(t, rows)
	var unread []string
	for k := range snap {
		if !read[k] {
			unread = append(unread, k)
		}
	}
	sort.Strings(unread)
	assert.Empty(t, unread, "collections no snapshot row reads")
}

func TestOpenStackSpecsReadTheGeneratedSnapshot(t *testing.T) {
	checkSnapshotRows(t, "../../specs/openstack", openstackSnapshot(t, 1, small()))
}

func TestMusicSpecsReadTheGeneratedSnapshot(t *testing.T) {
	var b bytes.Buffer
	s := MusicSizes{Communities: 2, Organisations: 10, Providers: 12, Services: 20, DataObjects: 300, Workflows: 30}
	require.NoError(t, NewMusic(2, s).WriteSnapshot(&b, nil))
	checkSnapshotRows(t, "../../specs/music", b.Bytes())
}

func TestResolveFollowsTheRuntimesPaths(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b": []any{map[string]any{"c": "x"}}}, "n": nil}
	assert.True(t, resolve(doc, "a.b.0.c"))
	assert.False(t, resolve(doc, "a.b.1.c"))
	assert.True(t, resolve(doc, "zz|a.b.0.c"))
	assert.False(t, resolve(doc, "n"), "null reads as absent")
}
