// Package celenv declares CEL environments from a compiled model: entity records, the cloud view, operations, watchlists and enums.
package celenv

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"pvsc.dev/pvsc/tables"
)

// Reserved variable names: an entity used as element or scope may not take them.
const (
	VarOp        = "op"
	VarCloud     = "cloud"
	VarWatchlist = "watchlist"
)

// Env builds the CEL environments of one model.
type Env struct {
	Model    *tables.Model
	provider *provider
	base     *cel.Env
	// RecordTypes[e] is the CEL object type of entity e's records.
	RecordTypes []*types.Type
	// OpTypes[ev] is the CEL object type of event ev's operations.
	OpTypes   []*types.Type
	CloudType *types.Type
}

// LetDecl is a property constant visible to expressions as a variable.
type LetDecl struct {
	Name string
	Type *cel.Type
	// Strs is the constant's strings when it is a list of strings, or a map keyed by
	// strings (its keys): `x in name` then runs without CEL.
	Strs []string
	// Pairs is the constant's pairs, flattened, when it is a list of two-string lists:
	// `[x, y] in name` then runs without CEL.
	Pairs []string
	// Int is the constant's value when it is an int (IsInt).
	Int   int64
	IsInt bool
}

// New declares the model's object types and returns its environment builder.
func New(m *tables.Model) (*Env, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	e := &Env{Model: m, provider: &provider{Registry: reg, structs: map[string]*structType{}}}
	e.declareRecords()
	e.declareCloud()
	e.declareOps()
	opts := []cel.EnvOption{cel.CustomTypeProvider(e.provider), cel.CustomTypeAdapter(e.provider), cel.Variable(VarCloud, e.CloudType), flattenDecl(e.provider)}
	opts = append(opts, e.enumConstants()...)
	e.base, err = cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	return e, nil
}

// CELType is the CEL type of a value type.
func (e *Env) CELType(t tables.Type) *cel.Type {
	switch t.Kind {
	case tables.TBool:
		return cel.BoolType
	case tables.TInt, tables.TEnum:
		return cel.IntType
	case tables.TList:
		return cel.ListType(e.CELType(tables.Type{Kind: t.Elem, Ref: t.Ref}))
	default:
		return cel.StringType
	}
}

// ElemType is the CEL type of one watchlist element.
func (e *Env) ElemType(el tables.ElemType) *cel.Type {
	if el.Pair {
		return cel.ListType(cel.StringType)
	}
	return cel.StringType
}

// For returns the environment an expression with these variables is checked and run in.
func (e *Env) For(v tables.Vars, wl tables.ElemType, lets []LetDecl) (*cel.Env, error) {
	var opts []cel.EnvOption
	if v.Event >= 0 {
		opts = append(opts, cel.Variable(VarOp, e.OpTypes[v.Event]))
	}
	if v.Elem >= 0 {
		opts = append(opts, cel.Variable(e.Model.Entities[v.Elem].Name, e.RecordTypes[v.Elem]))
	}
	if v.Scope >= 0 && v.Scope != v.Elem {
		opts = append(opts, cel.Variable(e.Model.Entities[v.Scope].Name, cel.StringType))
	}
	if v.Watchlist {
		opts = append(opts, cel.Variable(VarWatchlist, cel.ListType(e.ElemType(wl))))
	}
	for _, l := range lets {
		opts = append(opts, cel.Variable(l.Name, l.Type))
	}
	return e.base.Extend(opts...)
}

func (e *Env) declareRecords() {
	m := e.Model
	e.RecordTypes = make([]*types.Type, len(m.Entities))
	for i := range m.Entities {
		e.RecordTypes[i] = types.NewObjectType("pvsc.entity." + m.Entities[i].Name)
	}
	for i := range m.Entities {
		names := m.FieldNames(int32(i))
		st := &structType{typ: e.RecordTypes[i]}
		for f, n := range names {
			st.add(n, e.CELType(m.FieldType(int32(i), f)))
		}
		e.provider.structs[e.RecordTypes[i].TypeName()] = st
	}
}

func (e *Env) declareCloud() {
	e.CloudType = types.NewObjectType("pvsc.cloud")
	st := &structType{typ: e.CloudType}
	for _, f := range e.Model.CloudFields() {
		rec := e.RecordTypes[f.Entity]
		switch f.Kind {
		case tables.CloudRecords:
			st.add(f.Name, cel.ListType(rec))
		case tables.CloudIDs:
			st.add(f.Name, cel.ListType(cel.StringType))
		case tables.CloudByID:
			st.add(f.Name, cel.MapType(cel.StringType, rec))
		case tables.CloudIndex:
			st.add(f.Name, cel.MapType(cel.StringType, cel.ListType(rec)))
		}
	}
	e.provider.structs[e.CloudType.TypeName()] = st
}

// CloudFields lists the cloud view's field names in index order (tables.Model.CloudFields).
func CloudFields(m *tables.Model) []string {
	var out []string
	for _, f := range m.CloudFields() {
		out = append(out, f.Name)
	}
	return out
}

func (e *Env) declareOps() {
	m := e.Model
	e.OpTypes = make([]*types.Type, len(m.Events))
	for i, ev := range m.Events {
		e.OpTypes[i] = types.NewObjectType("pvsc.op." + ev.Name)
		st := &structType{typ: e.OpTypes[i]}
		for _, p := range ev.Params {
			st.add(p.Name, e.CELType(p.Type))
		}
		e.provider.structs[e.OpTypes[i].TypeName()] = st
	}
}

// enumConstants declares every enum value as the constant enum.value holding its rank.
func (e *Env) enumConstants() []cel.EnvOption {
	var opts []cel.EnvOption
	for _, en := range e.Model.Enums {
		for rank, v := range en.Values {
			opts = append(opts, cel.Constant(en.Name+"."+v, cel.IntType, types.Int(rank)))
		}
	}
	return opts
}

// Object is a run-time value whose fields CEL selects by index (records, operations, the cloud view).
type Object interface {
	ref.Val
	Field(i int) ref.Val
}

type structType struct {
	typ    *types.Type
	names  []string
	fields map[string]*types.FieldType
}

func (s *structType) add(name string, t *types.Type) {
	if s.fields == nil {
		s.fields = map[string]*types.FieldType{}
	}
	idx := len(s.names)
	s.names = append(s.names, name)
	s.fields[name] = &types.FieldType{
		Type:    t,
		IsSet:   func(target any) bool { return isSet(target, idx) },
		GetFrom: func(target any) (any, error) { return getField(target, idx, name) },
	}
}

// isSet is has(x.f): an operation parameter may be absent; record and cloud fields always exist.
func isSet(target any, idx int) bool {
	if p, ok := target.(interface{ IsSet(int) bool }); ok {
		return p.IsSet(idx)
	}
	return true
}

func getField(target any, idx int, name string) (any, error) {
	o, ok := target.(Object)
	if !ok {
		return nil, fmt.Errorf("field %s: value of type %T has no fields", name, target)
	}
	return o.Field(idx), nil
}

// provider adds the model's object types to a standard registry.
type provider struct {
	*types.Registry
	structs map[string]*structType
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if s, ok := p.structs[name]; ok {
		return types.NewTypeTypeWithParam(s.typ), true
	}
	return p.Registry.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if s, ok := p.structs[name]; ok {
		return s.names, true
	}
	return p.Registry.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if s, ok := p.structs[name]; ok {
		f, ok := s.fields[field]
		return f, ok
	}
	return p.Registry.FindStructFieldType(name, field)
}

func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.structs[name]; ok {
		return types.NewErr("%s values cannot be constructed in expressions", name)
	}
	return p.Registry.NewValue(name, fields)
}
