// Package tables holds the compiled PVSC tables: what the compiler produces, gen emits as Go, and the runtime and solver run.
//
// Everything is addressed by dense integer indices into the slices of a Spec; no
// source positions are kept. Expressions keep their CEL text (the general
// fallback) and, when they are plain comparisons and set membership, a Fast
// form that runs without CEL.
package tables

// Spec is one compiled spec unit: the models, operation blocks and properties of one directory.
type Spec struct {
	Name       string
	Models     []*Model
	Clouds     []*Cloud
	Properties []*Property
	// Metrics are the security metrics the spec defines, in declaration order.
	Metrics []Metric
}

// TypeKind is the kind of a value type.
type TypeKind uint8

// Value type kinds. A Ref is an entity id (a string at run time); an Enum value is its rank (an int).
const (
	TBool TypeKind = iota + 1
	TInt
	TString
	TEnum
	TRef
	TList
)

// Type is a value type; Ref indexes Model.Enums (TEnum) or Model.Entities (TRef); lists carry their element in Elem.
type Type struct {
	Kind TypeKind
	Elem TypeKind // element kind of a TList
	Ref  int32    // enum or entity index of the (element) type, -1 when none
}

// Model is a dependency model (paper §2.2): entities, groups and the events between them.
type Model struct {
	Name     string
	Enums    []Enum
	Entities []Entity
	Groups   []Group
	Maps     []Map
	Events   []Event
}

// Enum is an ordered enumeration; a value's index is its rank.
type Enum struct {
	Name   string
	Values []string
}

// Entity is a vertex of the dependency model.
type Entity struct {
	Name   string
	Plural string
	// Parents are the precedence parents, in declaration order: each must exist before this entity can.
	Parents []int32
	// Ancestors are every entity reachable through Parents, nearest first, each once.
	Ancestors []int32
	Attrs     []Attr
}

// Attr is a typed attribute of an entity.
type Attr struct {
	Name string
	Type Type
}

// Group is a grouping vertex: it exists when all its members exist.
type Group struct {
	Name    string
	Members []int32
}

// Map is a mapping relation (a non-directional edge): From's attribute Attr refers to a To.
type Map struct {
	From, To int32
	Attr     int32
}

// Vertex is an entity or a group of the model.
type Vertex struct {
	Group bool
	Index int32
}

// EventKind is what an event does to the model.
type EventKind uint8

// Event kinds.
const (
	Creates EventKind = iota + 1
	Deletes
	Updates
	Associates
	Dissociates
)

// Event is a model event: the edge it activates and the parameters its operations carry.
type Event struct {
	Name   string
	Kind   EventKind
	Target Vertex // the entity created, deleted or updated; the A side of an association
	Other  int32  // the B side entity of an association, -1 otherwise
	Params []Param
	Where  *Expr // guard on the parameters: operations that fail it are not this event

	// Key is the parameter holding the id of the target entity (for a group
	// target: of the member that carries Link); OtherKey holds the B side's id.
	Key, OtherKey int32
	// ParentKeys[i] is the parameter holding the id of the target's i-th
	// precedence parent (creates), or of the B side's (associates), -1 if none.
	ParentKeys []int32
	// Link is the reference attribute an association sets or clears.
	Link AttrRef
	// Sets are the attribute assignments the event's parameters make.
	Sets []Set
}

// Param is a typed operation parameter.
type Param struct {
	Name string
	Type Type
	// Required: a critical operation without it cannot be judged; the property's fail mode decides.
	Required bool
}

// AttrRef names one attribute of one entity; Entity is -1 when unset.
type AttrRef struct {
	Entity int32
	Attr   int32
}

// Set assigns parameter Param to attribute Attr of entity Entity (the event's target, a member of it, or its B side).
type Set struct {
	Param  int32
	Entity int32
	Attr   int32
}

// Cloud is one Event-operation block: how one cloud's operations map to model events.
type Cloud struct {
	Name  string
	Model int32
	Rows  []OpRow
}

// SourceKind is where an operation is observed.
type SourceKind uint8

// Operation sources.
const (
	API SourceKind = iota + 1
	Notify
	CLI
	Snapshot
)

// OpRow is one row of the Event-operation table.
type OpRow struct {
	Event  int32 // -1 for an ignore row: the operation changes nothing the model holds
	Source SourceKind
	Key    string // "PUT /v2.0/ports/{id}", "port.update.end", "port set", "ports"
	When   *Expr  // condition on the extracted parameters; nil = unconditional
	Params []ParamSource
	// If is a document path (alternatives split by |) the row needs present to apply; with a
	// leading !, absent.
	If string
	// Each is a list path: the row yields one operation per element; its parameter paths
	// read the element as "each" and its index as a "#" segment.
	Each string
	// Also rows apply in addition to the row that decides the operation.
	Also bool
}

// ParamSource says where an event parameter is read from in the operation's
// document, or gives its constant value; a Template constant has {path}
// placeholders replaced by the document's values.
type ParamSource struct {
	Param    int32
	Path     string
	Const    string
	IsConst  bool
	Template bool
}

// Kind is the role of an event for a property (Model-event table).
type Kind uint8

// Event kinds per property: TE changes the distance only, WE changes the watchlist, CE may violate the property.
const (
	None Kind = iota
	TE
	WE
	CE
)

// Enforcement is what happens when a critical operation is not allowed.
type Enforcement uint8

// Enforcement options.
const (
	Deny Enforcement = iota + 1
	Alert
	Log
)

// Property is one security property: its invariant and its proactive plan, with the tables computed for it.
type Property struct {
	Name      string
	Doc       string
	Model     int32
	Invariant *Expr
	Lets      []Let
	Criticals []Critical

	Threshold int32 // N-th (Property-N-thresholds)
	NMax      int32 // N at the root configuration
	Enforce   Enforcement
	FailOpen  bool
	// Rare are the events whose operations may scan an entity (their allow rule or
	// watchlist rules do); RareInit says the watchlist init may: start-up is then not
	// linear in the cloud. The runtime counts and times the rare operations.
	Rare     []int32
	RareInit bool

	// Scope is the entity whose instances own watchlists and configurations;
	// ScopeBy, when not -1, is the entity through which an operation's scope is resolved.
	Scope, ScopeBy int32

	// Facts are the abstract state bits a configuration is made of (in the scope or, when not Local, anywhere).
	Facts []Fact
	// NTable maps every configuration (a bitmask over Facts) to its N-cp; 0 means the critical event cannot be reached.
	NTable []int8
	// Configs are the configurations reachable from the root, by N descending (the Model-N-property rows).
	Configs []Config
	// EventKinds is the Model-event table: the kind of every model event for this property.
	EventKinds []Kind

	Watchlist Watchlist
}

// Let is a named CEL constant.
type Let struct {
	Name string
	Expr *Expr
}

// Critical is a critical event with its condition and allow rule.
type Critical struct {
	Event int32
	After []int32 // events whose effect must hold before Event is critical
	When  *Expr   // nil: always critical
	Allow *Expr
}

// FactKind is what a configuration bit records.
type FactKind uint8

// Fact kinds: an entity of a type exists, or a link (association) between two vertices exists.
const (
	Exists FactKind = iota + 1
	Linked
)

// Fact is one bit of a configuration.
type Fact struct {
	Kind   FactKind
	Name   string
	Entity int32   // Exists: the entity type
	Link   AttrRef // Linked: the reference attribute that carries the link
	Local  bool    // counted within the scope (true) or across the whole cloud
}

// Config is one Model-N-property row.
type Config struct {
	Mask uint32
	N    int32
}

// ElemType is the type of watchlist elements: a union of types, or a pair.
type ElemType struct {
	Pair  bool
	Types []Type
}

// UpdateOp is what a watchlist rule does.
type UpdateOp uint8

// Watchlist rule operations.
const (
	Add UpdateOp = iota + 1
	Remove
	Rebuild
)

// String is the rule's keyword.
func (o UpdateOp) String() string {
	return map[UpdateOp]string{Add: "add", Remove: "remove", Rebuild: "rebuild"}[o]
}

// Watchlist is the Property-WL row: scope, element type, initialisation and updates.
type Watchlist struct {
	Name    string
	Elem    ElemType
	Inits   []Init
	Updates []Update
}

// Init builds the watchlist from the cloud state: with Entity >= 0, a predicate over that
// entity's instances in the scope; with Entity == -1, an expression listing elements.
type Init struct {
	Entity int32
	Expr   *Expr
}

// Update is an add, remove or rebuild rule on a watchlist event; For, when set, names the scopes it applies to.
type Update struct {
	Event int32
	Op    UpdateOp
	Expr  *Expr // the element(s); nil for Rebuild
	For   *Expr
}

// Expr is a compiled expression: its CEL text, the variables it sees, and its fast form when it has one.
// Generated code binds a Go form to it through runtime/genimpl; the tables stay plain data.
type Expr struct {
	Src  string
	Vars Vars
	Fast *Fast
	// Scans are the cloud fields it iterates whole (cloud.ports, cloud.vm_ids): each run
	// costs every record of the entity. Only events a property declares rare may scan.
	Scans []string
}

// Vars says which variables an expression sees besides `cloud`, the enums and the property's lets.
type Vars struct {
	Event     int32 // `op` has this event's parameters; -1 = no op
	Elem      int32 // an element variable named after this entity; -1 = none
	Scope     int32 // a string variable named after this scope entity holds the scope id; -1 = none
	Watchlist bool  // `watchlist` is visible
}
