package tables

// FastOp is a node of the fast expression form.
type FastOp uint8

// Fast expression nodes. Values are strings, ints or bools; a missing entity
// reads as the zero value of every field.
const (
	FLit      FastOp = iota + 1 // literal: Str, Int or Bool per Type
	FParam                      // op parameter A
	FElem                       // field A of the element record (field 0 is its id)
	FScope                      // the scope id
	FField                      // field A of the record of entity B whose id is Args[0]
	FExists                     // an entity B with id Args[0] exists
	FInWL                       // Args[0] (and Args[1] for a pair) is in the watchlist
	FInList                     // Args[0] is an element of the list value Args[1]
	FInConsts                   // Args[0] is one of Strs
	FNot
	FAnd
	FOr
	FEq
	FNe
	FLt
	FLe
	FGt
	FGe
	FPrefix   // Args[0].startsWith(Args[1])
	FSuffix   // Args[0].endsWith(Args[1])
	FContains // Args[0].contains(Args[1])
	FHas      // op parameter A was given (has(op.x)): absent and empty differ
	// FAll and FAny range over cloud.<plural>_by_<field>[Args[0]]: the records of
	// entity B whose field A holds the key, each bound to variable Int while
	// Args[1] runs (all: every record passes; any: one does). An index read is a
	// lookup, so a derived rule's quantifier over a host's VMs stays off CEL.
	FAll
	FAny
	FVar     // field A of the record of entity B bound to variable Int by FAll or FAny
	FCond    // Args[0] ? Args[1] : Args[2]
	FCount   // size(cloud.<plural>_by_<field>[Args[0]]): entity B, field A
	FInPairs // [Args[0], Args[1]] is one of the pairs Strs holds flattened (a0, b0, a1, b1, ...)
	FAdd     // Args[0] + Args[1] over counts and literals only, which cannot overflow as CEL would report
)

// MaxFastVars bounds the nesting of FAll and FAny: the runtime keeps their
// variables in a fixed array, so evaluation does not allocate.
const MaxFastVars = 8

// Fast is an expression that runs without CEL: comparisons, string tests,
// set membership (watchlist, entity ids, lists) and their boolean combinations.
type Fast struct {
	Op   FastOp
	Type TypeKind // result type: TBool, TInt, TString (enums and refs read as TInt and TString), TList
	Args []*Fast
	A, B int32
	Str  string
	Int  int64
	Bool bool
	Strs []string
}

// FieldNames lists the fields of an entity's records as CEL sees them: id, then
// one per ancestor (its id, named after it), then the attributes.
func (m *Model) FieldNames(entity int32) []string {
	e := &m.Entities[entity]
	names := make([]string, 0, 1+len(e.Ancestors)+len(e.Attrs))
	names = append(names, "id")
	for _, a := range e.Ancestors {
		names = append(names, m.Entities[a].Name)
	}
	for _, a := range e.Attrs {
		names = append(names, a.Name)
	}
	return names
}

// FieldType is the type of field i of an entity's records (see FieldNames).
func (m *Model) FieldType(entity int32, i int) Type {
	e := &m.Entities[entity]
	switch {
	case i == 0:
		return Type{Kind: TRef, Ref: entity}
	case i <= len(e.Ancestors):
		return Type{Kind: TRef, Ref: e.Ancestors[i-1]}
	default:
		return e.Attrs[i-1-len(e.Ancestors)].Type
	}
}

// AttrField is the field index of attribute a of an entity.
func (m *Model) AttrField(entity, attr int32) int {
	return 1 + len(m.Entities[entity].Ancestors) + int(attr)
}

// EntityIndex finds an entity by name, -1 if there is none.
func (m *Model) EntityIndex(name string) int32 {
	for i := range m.Entities {
		if m.Entities[i].Name == name {
			return int32(i)
		}
	}
	return -1
}

// EventIndex finds an event by name, -1 if there is none.
func (m *Model) EventIndex(name string) int32 {
	for i := range m.Events {
		if m.Events[i].Name == name {
			return int32(i)
		}
	}
	return -1
}

// ParamIndex finds a parameter of an event by name, -1 if there is none.
// ParamNames lists the event's parameter names in order.
func (e *Event) ParamNames() []string {
	out := make([]string, len(e.Params))
	for i, p := range e.Params {
		out[i] = p.Name
	}
	return out
}

func (e *Event) ParamIndex(name string) int32 {
	for i := range e.Params {
		if e.Params[i].Name == name {
			return int32(i)
		}
	}
	return -1
}

// Property finds a property by name.
func (s *Spec) Property(name string) *Property {
	for _, p := range s.Properties {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Doc is what a property says, or "" when the spec has no such property.
func (s *Spec) Doc(property string) string {
	if p := s.Property(property); p != nil {
		return p.Doc
	}
	return ""
}

// ConfigFacts lists the names of the facts set in a configuration mask.
func (p *Property) ConfigFacts(mask uint32) []string {
	var out []string
	for i, f := range p.Facts {
		if mask&(1<<uint(i)) != 0 {
			out = append(out, f.Name)
		}
	}
	return out
}

// N is the N-cp of a configuration; 0 when the critical event cannot be reached from it.
func (p *Property) N(mask uint32) int32 { return int32(p.NTable[mask]) }

// IsAncestorOrSelf reports whether anc is e or one of e's ancestors: whether a record of e
// always lies inside a scope of anc.
func (m *Model) IsAncestorOrSelf(anc, e int32) bool {
	if anc == e {
		return true
	}
	for _, a := range m.Entities[e].Ancestors {
		if a == anc {
			return true
		}
	}
	return false
}
