// Package compiler checks parsed specs and computes the five PVSC tables from them.
package compiler

import (
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
	PropertyPos map[string]lexer.Position
	ModelPos    map[string]lexer.Position
}

type compiler struct {
	files  []*dsl.SpecFile
	diags  dsl.Diagnostics
	spec   *tables.Spec
	models []*modelInfo
	clouds []*cloudInfo
	props  []*propInfo
	byName map[string]*modelInfo
}

// Compile checks the files of one spec unit and computes its tables. All
// errors are returned together as dsl.Diagnostics, sorted.
func Compile(name string, files []*dsl.SpecFile) (*Result, error) {
	c := &compiler{files: files, spec: &tables.Spec{Name: name}, byName: map[string]*modelInfo{}}
	for _, p := range passes {
		if p.tables && len(c.diags) > 0 {
			break
		}
		p.run(c)
	}
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

func (c *compiler) result() *Result {
	r := &Result{Spec: c.spec, PropertyPos: map[string]lexer.Position{}, ModelPos: map[string]lexer.Position{}}
	for _, m := range c.models {
		r.Envs = append(r.Envs, m.env)
		r.ModelPos[m.t.Name] = m.ast.Name.Pos
	}
	for _, p := range c.props {
		r.PropertyPos[p.t.Name] = p.ast.Name.Pos
	}
	return r
}

func (c *compiler) errorf(pos lexer.Position, format string, args ...any) {
	c.diags.Add(pos, format, args...)
}

type lexerPos = lexer.Position
