package gen_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pvsc.dev/pvsc/lab/golden"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/gen"
	"pvsc.dev/pvsc/runtime/genimpl"
)

func TestGeneratedGoIsGolden(t *testing.T) {
	res, err := compiler.CompileDir("../compiler/testdata/objstore")
	require.NoError(t, err)
	src, err := gen.Generate(res.Spec, gen.Options{Package: "objstore", Source: "compiler/testdata/objstore"})
	require.NoError(t, err)
	c := golden.Load(t, "testdata/objstore.txtar")
	c.Check(t, "tables_gen.go", src)
	c.Save(t)
	assert.True(t, strings.HasPrefix(string(src), gen.Header+"\n"))
	assert.Contains(t, string(src), "ObjstoreEventPublishBucket = 2")
	assert.Contains(t, string(src), "return !(c.InWatchlist(c.Param(0).Sym(), 0))")
	assert.Contains(t, string(src), "return !(c.Field(1, c.Param(1).Sym(), 2).I != 0)")
}

func TestWriteIfChanged(t *testing.T) {
	path := t.TempDir() + "/x_gen.go"
	wrote, err := gen.WriteIfChanged(path, []byte("a"))
	require.NoError(t, err)
	assert.True(t, wrote)
	st1, _ := os.Stat(path)
	wrote, err = gen.WriteIfChanged(path, []byte("a"))
	require.NoError(t, err)
	assert.False(t, wrote)
	st2, _ := os.Stat(path)
	assert.Equal(t, st1.ModTime(), st2.ModTime())
}

func TestPackageName(t *testing.T) {
	assert.Equal(t, "openstack", gen.PackageName("openstack"))
	assert.Equal(t, "myspec", gen.PackageName("My-Spec"))
	assert.Equal(t, "spec2x", gen.PackageName("2x"))
}

// TestStaleGeneratedCodeFailsToCompile builds a generated file that claims an older contract
// version and requires the compiler to stop on the guard line that says what to do.
func TestStaleGeneratedCodeFailsToCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	res, err := compiler.CompileDir("../compiler/testdata/objstore")
	require.NoError(t, err)
	src, err := gen.Generate(res.Spec, gen.Options{Package: "stale", Source: "test"})
	require.NoError(t, err)
	guard := fmt.Sprintf("genimpl.EnforceVersion(%d - genimpl.MinVersion)", genimpl.Version)
	require.Contains(t, string(src), guard)
	stale := strings.Replace(string(src), guard, fmt.Sprintf("genimpl.EnforceVersion(%d - genimpl.MinVersion)", genimpl.MinVersion-1), 1)
	dir, err := os.MkdirTemp("testdata", "stale")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tables_gen.go"), []byte(stale), 0o644))
	out, err := exec.Command("go", "build", "./"+filepath.ToSlash(dir)).CombinedOutput()
	require.Error(t, err, "a stale generated file must not compile")
	assert.Contains(t, string(out), "tables_gen.go:13:")
	assert.Contains(t, string(out), "genimpl.EnforceVersion")
	assert.Contains(t, stale, "run go generate ./...", "the lines above the guard say what to do")
}
