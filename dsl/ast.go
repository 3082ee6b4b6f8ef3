// Package dsl parses .pvsc specs (dependency models, operation blocks, properties) into an AST with source positions.
package dsl

import (
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// File is one parsed .pvsc file.
type File struct {
	Pos   lexer.Position
	Decls []*Decl `parser:"@@*"`

	// Comments are every comment of the file in source order; the parser
	// elides them, fmt puts them back.
	Comments []Comment `parser:""`
}

// Comment is one // or /* */ comment.
type Comment struct {
	Pos  lexer.Position
	Text string
}

// Decl is one top-level declaration.
type Decl struct {
	Model      *Model      `parser:"  @@"`
	Operations *Operations `parser:"| @@"`
	Property   *Property   `parser:"| @@"`
	Metric     *Metric     `parser:"| @@"`
}

// Ident is a name with its position.
type Ident struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

// CEL is a backtick-quoted CEL expression embedded in the spec.
type CEL struct {
	Pos lexer.Position
	Raw string `parser:"@Backtick"`
}

// Text is the expression without its backticks.
func (c *CEL) Text() string { return strings.TrimSuffix(strings.TrimPrefix(c.Raw, "`"), "`") }

// At maps a 1-based line and 0-based column inside the expression text (as
// cel-go reports them) to the position in the .pvsc file.
func (c *CEL) At(line, col int) lexer.Position {
	p := c.Pos
	if line <= 1 {
		p.Column += 1 + col
		p.Offset += 1 + col
		return p
	}
	p.Line += line - 1
	p.Column = 1 + col
	return p
}

// Str is a double-quoted string literal.
type Str struct {
	Pos   lexer.Position
	Value string `parser:"@String"`
}

// ---- models ----

// Model is a dependency model: entities, groups, mappings and the events between them.
type Model struct {
	Tokens []lexer.Token
	Pos    lexer.Position
	Name   Ident        `parser:"\"model\" @@ \"{\""`
	Items  []*ModelItem `parser:"@@* \"}\""`
}

// ModelItem is one declaration inside a model.
type ModelItem struct {
	Tokens []lexer.Token
	Pos    lexer.Position
	Enum   *Enum   `parser:"  @@"`
	Entity *Entity `parser:"| @@"`
	Group  *Group  `parser:"| @@"`
	Map    *Map    `parser:"| @@"`
	Event  *Event  `parser:"| @@"`
}

// Enum is an ordered enumeration: values rank from lowest to highest.
type Enum struct {
	Pos    lexer.Position
	Name   Ident   `parser:"\"enum\" @@ \"{\""`
	Values []Ident `parser:"@@ ( \"<\" @@ )* \"}\""`
}

// Entity is a vertex of the dependency model; In lists its precedence parents.
type Entity struct {
	Pos    lexer.Position
	Name   Ident   `parser:"\"entity\" @@"`
	In     []Ident `parser:"( \"in\" @@ ( \",\" @@ )* )?"`
	Plural *Ident  `parser:"( \"plural\" @@ )?"`
	Attrs  []*Attr `parser:"( \"{\" ( @@ \",\"? )* \"}\" )?"`
}

// Attr is a typed attribute of an entity.
type Attr struct {
	Tokens []lexer.Token
	Pos    lexer.Position
	Name   Ident   `parser:"@@ \":\""`
	Type   TypeRef `parser:"@@"`
}

// TypeRef names a type: string, int, bool, an enum, an entity (a reference by id) or list(T).
type TypeRef struct {
	Pos  lexer.Position
	List *Ident `parser:"  \"list\" \"(\" @@ \")\""`
	Name *Ident `parser:"| @@"`
}

// String renders the type as written.
func (t TypeRef) String() string {
	if t.List != nil {
		return "list(" + t.List.Name + ")"
	}
	if t.Name != nil {
		return t.Name.Name
	}
	return ""
}

// Group is a grouping vertex: it exists when all its members exist.
type Group struct {
	Pos     lexer.Position
	Name    Ident   `parser:"\"group\" @@ \"(\""`
	Members []Ident `parser:"@@ ( \",\" @@ )+ \")\""`
}

// Map is a mapping relation between entities of different layers.
type Map struct {
	Pos  lexer.Position
	From Ident `parser:"\"map\" @@"`
	To   Ident `parser:"\"to\" @@"`
}

// Event is a model event and the edge it activates.
type Event struct {
	Pos    lexer.Position
	Name   Ident    `parser:"\"event\" @@"`
	Kind   string   `parser:"@( \"creates\" | \"deletes\" | \"updates\" | \"associates\" | \"dissociates\" )"`
	Target Ident    `parser:"@@"`
	Other  *Ident   `parser:"( ( \"with\" | \"from\" ) @@ )?"`
	Params []*Param `parser:"( \"(\" ( @@ ( \",\" @@ )* )? \")\" )?"`
	Where  *CEL     `parser:"( \"where\" @@ )?"`
}

// Param is a typed operation parameter of an event; a required one cannot be left out of a
// critical operation (absent, the property's fail mode decides).
type Param struct {
	Pos      lexer.Position
	Name     Ident   `parser:"@@ \":\""`
	Type     TypeRef `parser:"@@"`
	Required bool    `parser:"@\"required\"?"`
}

// ---- operation blocks ----

// Operations maps one cloud's real operations to a model's events.
type Operations struct {
	Tokens []lexer.Token
	Pos    lexer.Position
	Cloud  Ident    `parser:"\"operations\" @@"`
	Model  Ident    `parser:"\"for\" @@ \"{\""`
	Rows   []*OpRow `parser:"@@* \"}\""`
}

// OpRow is one Event-operation row. An ignore row names an operation that changes nothing
// the model holds; also rows apply besides the row that decides; an each row yields one
// operation per element of a list; if restricts a row to documents that have a path.
type OpRow struct {
	Tokens  []lexer.Token
	Pos     lexer.Position
	Ignore  bool        `parser:"( @\"ignore\""`
	Event   Ident       `parser:"| @@ ) \"=\""`
	Sources []*Source   `parser:"@@+"`
	Also    bool        `parser:"@\"also\"?"`
	Each    *Str        `parser:"( \"each\" @@ )?"`
	If      *Str        `parser:"( \"if\" @@ )?"`
	When    *CEL        `parser:"( \"when\" @@ )?"`
	Params  []*ParamMap `parser:"( \"params\" \"{\" ( @@ \",\"? )* \"}\" )?"`
}

// Source is where a cloud reports the operation: an API call, a notification, a CLI command or a snapshot collection.
type Source struct {
	Pos  lexer.Position
	Kind string `parser:"@( \"api\" | \"notify\" | \"cli\" | \"snapshot\" )"`
	Key  Str    `parser:"@@"`
}

// ParamMap says where an event parameter comes from in the operation's document.
type ParamMap struct {
	Tokens []lexer.Token
	Pos    lexer.Position
	Name   Ident `parser:"@@"`
	From   *Str  `parser:"( \"from\" @@"`
	Const  *Str  `parser:"| \"=\" @@ )"`
}

// ---- properties ----

// Property is a security property: its invariant and its proactive plan.
type Property struct {
	Tokens []lexer.Token
	Pos    lexer.Position
	Name   Ident       `parser:"\"property\" @@"`
	Model  Ident       `parser:"\"on\" @@ \"{\""`
	Items  []*PropItem `parser:"@@* \"}\""`
}

// PropItem is one clause of a property.
type PropItem struct {
	Tokens    []lexer.Token
	Pos       lexer.Position
	Doc       *Str       `parser:"  \"doc\" @@"`
	Invariant *CEL       `parser:"| \"invariant\" @@"`
	Let       *Let       `parser:"| @@"`
	Critical  *Critical  `parser:"| @@"`
	Watchlist *Watchlist `parser:"| @@"`
	Allow     *Allow     `parser:"| @@"`
	Threshold *Int       `parser:"| \"threshold\" @@"`
	Enforce   *Ident     `parser:"| \"enforce\" @@"`
	Fail      *Ident     `parser:"| \"fail\" @@"`
	Rare      []Ident    `parser:"| \"rare\" @@ ( \",\" @@ )*"`
}

// Int is an integer literal.
type Int struct {
	Pos   lexer.Position
	Value int `parser:"@Int"`
}

// Let names a CEL constant shared by the property's expressions.
type Let struct {
	Pos  lexer.Position
	Name Ident `parser:"\"let\" @@ \"=\""`
	Expr CEL   `parser:"@@"`
}

// Critical declares a critical event, the events whose effect must hold before it is critical, and its condition.
type Critical struct {
	Pos   lexer.Position
	Event Ident   `parser:"\"critical\" @@"`
	After []Ident `parser:"( \"after\" @@ ( \",\" @@ )* )?"`
	When  *CEL    `parser:"( \"when\" @@ )?"`
}

// Allow is the rule that lets a critical operation through; On narrows it to one critical event.
type Allow struct {
	Pos  lexer.Position
	On   *Ident `parser:"\"allow\" ( \"on\" @@ )?"`
	Expr CEL    `parser:"\"if\" @@"`
}

// Watchlist declares the per-scope watchlist of a property.
type Watchlist struct {
	Pos   lexer.Position
	Name  Ident        `parser:"\"watchlist\" @@"`
	Scope Ident        `parser:"\"[\" @@"`
	By    *Ident       `parser:"( \"by\" @@ )? \"]\""`
	Of    ElemType     `parser:"\"of\" @@"`
	Rules []*WatchRule `parser:"@@*"`
}

// ElemType is the type of watchlist elements: one type, a union (a | b) or a pair (a, b).
type ElemType struct {
	Pos   lexer.Position
	Pair  []TypeRef `parser:"  \"(\" @@ \",\" @@ \")\""`
	Union []TypeRef `parser:"| @@ ( \"|\" @@ )*"`
}

// WatchRule initialises or updates a watchlist.
type WatchRule struct {
	Tokens  []lexer.Token
	Pos     lexer.Position
	Init    *Init    `parser:"  @@"`
	Add     *Update  `parser:"| \"add\" @@"`
	Remove  *Update  `parser:"| \"remove\" @@"`
	Rebuild *Rebuild `parser:"| @@"`
}

// Init builds the watchlist from the cloud state: a predicate over elements of Type, or a list expression.
type Init struct {
	Pos  lexer.Position
	Type *Ident `parser:"\"init\" @@?"`
	Expr CEL    `parser:"@@"`
}

// Update adds or removes the elements an expression yields when a watchlist event occurs.
type Update struct {
	Pos   lexer.Position
	Event Ident `parser:"\"on\" @@"`
	Expr  CEL   `parser:"@@"`
	For   *CEL  `parser:"( \"for\" @@ )?"`
}

// Rebuild re-initialises the watchlist of the affected scopes when an event occurs.
type Rebuild struct {
	Pos    lexer.Position
	Events []Ident `parser:"\"rebuild\" \"on\" @@ ( \",\" @@ )*"`
	For    *CEL    `parser:"( \"for\" @@ )?"`
}

// ---- security metrics ----

// Metric is a security metric of a model's providers (MuSIC: security metrics with
// measurement points and target values whose misses degrade trust). Its clauses are checked by
// the compiler, not the grammar, so a missing or repeated one is a diagnostic with its position.
type Metric struct {
	Tokens []lexer.Token
	Pos    lexer.Position
	Name   Ident         `parser:"\"metric\" @@"`
	Model  Ident         `parser:"\"on\" @@ \"{\""`
	Items  []*MetricItem `parser:"@@* \"}\""`
}

// MetricItem is one clause of a metric.
type MetricItem struct {
	Tokens   []lexer.Token
	Pos      lexer.Position
	Doc      *Str         `parser:"  \"doc\" @@"`
	Unit     *Str         `parser:"| \"unit\" @@"`
	Target   *Target      `parser:"| @@"`
	Reported *Reported    `parser:"| @@"`
	Miss     *MissPenalty `parser:"| @@"`
}

// Target is the value a measurement must not exceed (at most) or fall below (at least). The
// direction is a word the compiler checks, so a misspelt one is reported by name.
type Target struct {
	Pos       lexer.Position
	Direction Ident `parser:"\"target\" \"at\" @@"`
	Value     SInt  `parser:"@@"`
}

// SInt is a signed integer literal.
type SInt struct {
	Pos   lexer.Position
	Neg   bool `parser:"@\"-\"?"`
	Value int  `parser:"@Int"`
}

// Int is the literal's value.
func (s SInt) Int() int {
	if s.Neg {
		return -s.Value
	}
	return s.Value
}

// String renders the literal as written.
func (s SInt) String() string { return strconv.Itoa(s.Int()) }

// Reported names the event a measurement point reports the metric with, and the point.
type Reported struct {
	Pos   lexer.Position
	Event Ident `parser:"\"reported\" \"by\" @@"`
	Point *Str  `parser:"( \"at\" @@ )?"`
}

// MissPenalty is how a miss degrades the provider's trust: by a number of levels.
type MissPenalty struct {
	Pos    lexer.Position
	Levels SInt `parser:"\"miss\" \"lowers\" \"trust\" \"by\" @@"`
}
