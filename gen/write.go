package gen

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"

	"pvsc.dev/pvsc/tables"
)

// Target says where a spec directory's generated file goes and in which Go package.
type Target struct {
	Dir     string // the spec directory
	Out     string // the file; default Dir/tables_gen.go
	Package string // default: the package of Dir's hand-written Go files, else one made of the spec's name
}

// Write generates spec's Go source for t and writes it only when its bytes change; it returns
// the file's path and whether it wrote.
func Write(spec *tables.Spec, t Target) (string, bool, error) {
	src, err := Source(spec, t)
	if err != nil {
		return "", false, err
	}
	wrote, err := WriteIfChanged(t.path(), src)
	return t.path(), wrote, err
}

// Source is the generated Go source of spec for t.
func Source(spec *tables.Spec, t Target) ([]byte, error) {
	dir := t.dir()
	pkg := t.Package
	if pkg == "" {
		pkg = goPackage(dir, PackageName(spec.Name))
	}
	return Generate(spec, Options{Package: pkg, Source: "pvsc gen " + filepath.ToSlash(dir)})
}

func (t Target) dir() string {
	dir := filepath.Clean(t.Dir)
	if filepath.Ext(dir) == ".pvsc" {
		dir = filepath.Dir(dir)
	}
	return dir
}

func (t Target) path() string {
	if t.Out != "" {
		return t.Out
	}
	return filepath.Join(t.dir(), "tables_gen.go")
}

// goPackage finds the package name of the hand-written Go files in dir.
func goPackage(dir, fallback string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fallback
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_gen.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.PackageClauseOnly)
		if err == nil {
			return f.Name.Name
		}
	}
	return fallback
}
