// Package compiler checks parsed specs and computes the five PVSC tables from them.
package compiler

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

// pass is one named compiler stage; stages run in order, and table stages
// only run when the checks before them found no error.
type pass struct {
	name   string
	run    func(*compiler)
	tables bool // computes tables: needs error-free input
}

// passes is the compiler pipeline, in order.
var passes = []pass{
	{name: "declare", run: (*compiler).declare},
	{name: "resolve-models", run: (*compiler).resolveModels},
	{name: "precedence", run: (*compiler).checkPrecedence},
	{name: "event-roles", run: (*compiler).deriveEventRoles},
	{name: "cel-env", run: (*compiler).buildEnvs},
	{name: "operations", run: (*compiler).checkOperations},
	{name: "properties", run: (*compiler).checkProperties},
	// metrics read only the models; after properties, so that their errors do not keep the
	// table passes from reporting theirs.
	{name: "metrics", run: (*compiler).checkMetrics},
	{name: "facts", run: (*compiler).computeFacts, tables: true},
	{name: "n-table", run: (*compiler).computeN, tables: true},
	{name: "model-event", run: (*compiler).computeKinds, tables: true},
	{name: "plan", run: (*compiler).checkPlan, tables: true},
}

// PassNames lists the compiler stages in the order they run.
func PassNames() []string {
	out := make([]string, len(passes))
	for i, p := range passes {
		out[i] = p.name
	}
	return out
}

// Result is a compiled spec with what tools need to point back into the source.
type Result struct {
	Spec *tables.Spec
	// Envs[i] builds CEL environments for Spec.Models[i].
	Envs []*celenv.Env
	// PropertyPos and ModelPos locate declarations for tools that report on them.
	PropertyPos map[string]dsl.Pos
	ModelPos    map[string]dsl.Pos
	// RowPos[c][r] locates row r of Spec.Clouds[c]: for tools that check rows against data.
	RowPos [][]RowPos
	// Derived holds the plans derived for the properties that give only their invariant
	// (with CompileDirDerived, for every property whose plan can be derived).
	Derived map[string]*Derived
	// Underived says, with CompileDirDerived, why a property kept its hand-written plan.
	Underived map[string]string
}

// RowPos locates one Event-operation row in its spec file: the source key, the if and each
// paths, and each parameter source (Params[i] is Rows[r].Params[i]'s).
type RowPos struct {
	Key, If, Each dsl.Pos
	Params        []dsl.Pos
}

type compiler struct {
	files  []*dsl.SpecFile
	diags  dsl.Diagnostics
	spec   *tables.Spec
	models []*modelInfo
	clouds []*cloudInfo
	props  []*propInfo
	byName map[string]*modelInfo
	scanAt map[*tables.Expr][]scan // where each checked expression scans an entity
	// derived are the plans derived for properties without one, with their text (a source
	// of its own, so a diagnostic in a derived clause shows its line).
	derived    map[string]*Derived
	derivedSrc map[string][]byte
	deriveAll  bool
	underived  map[string]string
}

// Compile checks the files of one spec unit and computes its tables. All
// errors are returned together as dsl.Diagnostics, sorted.
func Compile(name string, files []*dsl.SpecFile) (*Result, error) {
	return compile(name, files, false)
}

func compile(name string, files []*dsl.SpecFile, deriveAll bool) (*Result, error) {
	c := &compiler{files: files, spec: &tables.Spec{Name: name}, byName: map[string]*modelInfo{}, scanAt: map[*tables.Expr][]scan{},
		derived: map[string]*Derived{}, derivedSrc: map[string][]byte{}, deriveAll: deriveAll, underived: map[string]string{}}
	early := 0 // diagnostics before the properties pass: the models or rows are broken
	for _, p := range passes {
		if p.name == "properties" {
			early = len(c.diags)
		}
		// The table passes run on the properties that compiled (a broken one is skipped), so
		// that one property's error does not hide another's; not on broken models.
		if p.tables && early > 0 {
			break
		}
		p.run(c)
	}
	c.diags.Attach(c.sources())
	if err := c.diags.Err(); err != nil {
		return nil, err
	}
	return c.result(), nil
}

// CompileDir parses and compiles every .pvsc file of a directory; the spec is named after the directory.
func CompileDir(dir string) (*Result, error) {
	files, err := dsl.ParseDir(dir)
	if err != nil {
		return nil, err
	}
	return Compile(dirName(dir), files)
}

// CompileFile compiles one .pvsc file as a spec of its own, named after the file.
func CompileFile(path string) (*Result, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return CompileSources(strings.TrimSuffix(filepath.Base(path), ".pvsc"), map[string][]byte{path: src})
}

// CompileSources parses and compiles spec files given as text, by file name (in name order):
// what tests and tools that hold specs in memory use. All syntax errors come together.
func CompileSources(name string, srcs map[string][]byte) (*Result, error) {
	names := make([]string, 0, len(srcs))
	for n := range srcs {
		names = append(names, n)
	}
	sort.Strings(names)
	var files []*dsl.SpecFile
	var diags dsl.Diagnostics
	for _, n := range names {
		f, err := dsl.Parse(n, srcs[n])
		var ds dsl.Diagnostics
		switch {
		case errors.As(err, &ds):
			diags = append(diags, ds...)
		case err != nil:
			return nil, err
		default:
			files = append(files, &dsl.SpecFile{Path: n, Src: srcs[n], File: f})
		}
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return Compile(name, files)
}

func (c *compiler) sources() map[string][]byte {
	out := map[string][]byte{}
	for _, f := range c.files {
		out[f.Path] = f.Src
	}
	for n, src := range c.derivedSrc {
		out[n] = src
	}
	return out
}

func (c *compiler) result() *Result {
	r := &Result{Spec: c.spec, PropertyPos: map[string]dsl.Pos{}, ModelPos: map[string]dsl.Pos{}, Derived: c.derived, Underived: c.underived}
	for _, m := range c.models {
		r.Envs = append(r.Envs, m.env)
		r.ModelPos[m.t.Name] = dsl.PosOf(m.ast.Name.Pos)
	}
	for _, p := range c.props {
		r.PropertyPos[p.t.Name] = dsl.PosOf(p.ast.Name.Pos)
	}
	for _, ci := range c.clouds {
		r.RowPos = append(r.RowPos, ci.pos)
	}
	return r
}

func (c *compiler) errorf(pos lexer.Position, format string, args ...any) {
	c.diags.Add(pos, format, args...)
}

type lexerPos = lexer.Position
