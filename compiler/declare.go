package compiler

import (
	"path/filepath"

	"github.com/alecthomas/participle/v2/lexer"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
	"pvsc.dev/pvsc/tables/celenv"
)

type modelInfo struct {
	ast   *dsl.Model
	t     *tables.Model
	index int32
	env   *celenv.Env

	// vertex and type names share one namespace; events have their own.
	enums    map[string]int32
	entities map[string]int32
	groups   map[string]int32
	events   map[string]int32

	entityAST []*dsl.Entity
	eventAST  []*dsl.Event
	groupAST  []*dsl.Group
	mapAST    []*dsl.Map
	badEvent  []bool
	broken    bool // resolution failed: later passes skip the model
}

type cloudInfo struct {
	ast   *dsl.Operations
	t     *tables.Cloud
	model *modelInfo
	pos   []RowPos // per row of t
}

// builtinTypes are the scalar type names; reserved names cannot be declared.
var builtinTypes = map[string]tables.TypeKind{"string": tables.TString, "int": tables.TInt, "bool": tables.TBool}

var reserved = map[string]bool{
	"string": true, "int": true, "bool": true, "list": true, "id": true,
	celenv.VarOp: true, celenv.VarCloud: true, celenv.VarWatchlist: true,
}

func dirName(dir string) string { return filepath.Base(filepath.Clean(dir)) }

// declare collects every top-level and model-level name and reports duplicates.
func (c *compiler) declare() {
	propSeen := map[string]lexer.Position{}
	cloudSeen := map[string]lexer.Position{}
	for _, f := range c.files {
		for _, d := range f.File.Decls {
			switch {
			case d.Model != nil:
				c.declareModel(d.Model)
			case d.Operations != nil:
				key := d.Operations.Cloud.Name + " for " + d.Operations.Model.Name
				if c.dup(cloudSeen, key, d.Operations.Cloud.Pos, "operations block") {
					continue
				}
				c.clouds = append(c.clouds, &cloudInfo{ast: d.Operations})
			case d.Property != nil:
				if c.dup(propSeen, d.Property.Name.Name, d.Property.Name.Pos, "property") {
					continue
				}
				c.props = append(c.props, &propInfo{ast: d.Property})
			}
		}
	}
}

// dup records name in seen and reports a duplicate declaration.
func (c *compiler) dup(seen map[string]lexer.Position, name string, pos lexer.Position, what string) bool {
	if prev, ok := seen[name]; ok {
		c.errorf(pos, "%s %s is already declared at %s", what, name, short(prev))
		return true
	}
	seen[name] = pos
	return false
}

func short(p lexer.Position) string {
	return filepath.Base(p.Filename) + ":" + itoa(p.Line) + ":" + itoa(p.Column)
}

func (c *compiler) declareModel(am *dsl.Model) {
	if prev, ok := c.byName[am.Name.Name]; ok {
		c.errorf(am.Name.Pos, "model %s is already declared at %s", am.Name.Name, short(prev.ast.Name.Pos))
		return
	}
	m := &modelInfo{
		ast: am, t: &tables.Model{Name: am.Name.Name}, index: int32(len(c.models)),
		enums: map[string]int32{}, entities: map[string]int32{}, groups: map[string]int32{}, events: map[string]int32{},
	}
	c.models = append(c.models, m)
	c.byName[am.Name.Name] = m
	c.spec.Models = append(c.spec.Models, m.t)
	names := map[string]lexer.Position{}
	events := map[string]lexer.Position{}
	for _, it := range am.Items {
		c.declareItem(m, it, names, events)
	}
}

func (c *compiler) declareItem(m *modelInfo, it *dsl.ModelItem, names, events map[string]lexer.Position) {
	vertexName := func(id dsl.Ident, what string) bool {
		if reserved[id.Name] {
			c.errorf(id.Pos, "%s name %s is reserved", what, id.Name)
			return false
		}
		return !c.dup(names, id.Name, id.Pos, "name")
	}
	switch {
	case it.Enum != nil:
		if vertexName(it.Enum.Name, "enum") {
			m.enums[it.Enum.Name.Name] = int32(len(m.t.Enums))
			m.t.Enums = append(m.t.Enums, c.enumValues(it.Enum))
		}
	case it.Entity != nil:
		if vertexName(it.Entity.Name, "entity") {
			m.entities[it.Entity.Name.Name] = int32(len(m.entityAST))
			m.entityAST = append(m.entityAST, it.Entity)
		}
	case it.Group != nil:
		if vertexName(it.Group.Name, "group") {
			m.groups[it.Group.Name.Name] = int32(len(m.groupAST))
			m.groupAST = append(m.groupAST, it.Group)
		}
	case it.Map != nil:
		m.mapAST = append(m.mapAST, it.Map)
	case it.Event != nil:
		if !c.dup(events, it.Event.Name.Name, it.Event.Name.Pos, "event") {
			m.events[it.Event.Name.Name] = int32(len(m.eventAST))
			m.eventAST = append(m.eventAST, it.Event)
		}
	}
}

func (c *compiler) enumValues(e *dsl.Enum) tables.Enum {
	out := tables.Enum{Name: e.Name.Name}
	seen := map[string]lexer.Position{}
	for _, v := range e.Values {
		if !c.dup(seen, v.Name, v.Pos, "enum value") {
			out.Values = append(out.Values, v.Name)
		}
	}
	return out
}
