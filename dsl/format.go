package dsl

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// maxLine is the width under which a braced list stays on one line.
const maxLine = 100

// Format prints a parsed file canonically, keeping its comments: a comment on
// its own line stays before the item that follows it, a comment at the end of
// an item's line stays at the end of that line. Format(Parse(Format(f))) == Format(f).
func Format(f *File) []byte {
	p := &printer{comments: f.Comments}
	for i, d := range f.Decls {
		if i > 0 {
			p.buf.WriteString("\n")
		}
		p.decl(d)
	}
	p.flushLeading(-1, "")
	return p.buf.Bytes()
}

type printer struct {
	buf      bytes.Buffer
	comments []Comment
	next     int // index of the first comment not yet printed
	lastLine int // source line of the last printed item, for blank-line keeping
}

// span is the source lines an item covers.
type span struct {
	pos     lexer.Position
	endLine int
}

func spanOf(pos lexer.Position, toks []lexer.Token) span {
	end := pos.Line
	for _, t := range toks {
		last := t.Pos.Line + strings.Count(t.Value, "\n")
		if last > end && strings.TrimSpace(t.Value) != "" {
			end = last
		}
	}
	return span{pos: pos, endLine: end}
}

// flushLeading prints the comments that start before offset (all when offset < 0) on their own lines.
func (p *printer) flushLeading(offset int, indent string) {
	for p.next < len(p.comments) {
		c := p.comments[p.next]
		if offset >= 0 && c.Pos.Offset >= offset {
			return
		}
		p.blankIfGap(c.Pos.Line, indent)
		p.buf.WriteString(indent + c.Text + "\n")
		p.lastLine = c.Pos.Line + strings.Count(c.Text, "\n")
		p.next++
	}
}

// blankIfGap keeps one blank line where the source had at least one.
func (p *printer) blankIfGap(line int, indent string) {
	if p.lastLine > 0 && line > p.lastLine+1 && indent != "" && !bytes.HasSuffix(p.buf.Bytes(), []byte("{\n")) {
		p.buf.WriteString("\n")
	}
}

// trailing collects the comments that sit on the item's lines after its start.
func (p *printer) trailing(s span) string {
	var parts []string
	for p.next < len(p.comments) {
		c := p.comments[p.next]
		if c.Pos.Line > s.endLine || c.Pos.Offset < s.pos.Offset {
			break
		}
		parts = append(parts, c.Text)
		p.next++
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// line prints one item line with its leading and trailing comments.
func (p *printer) line(s span, indent, text string) {
	p.flushLeading(s.pos.Offset, indent)
	p.blankIfGap(s.pos.Line, indent)
	p.buf.WriteString(indent + text + p.trailing(s) + "\n")
	p.lastLine = s.endLine
}

// open prints the first line of a block; its trailing comments are those on
// that line before the block's first child (at offset limit; -1 when none).
func (p *printer) open(pos lexer.Position, indent, text string, limit int) {
	p.flushLeading(pos.Offset, indent)
	p.blankIfGap(pos.Line, indent)
	var parts []string
	for p.next < len(p.comments) {
		c := p.comments[p.next]
		if c.Pos.Line != pos.Line || c.Pos.Offset < pos.Offset || (limit >= 0 && c.Pos.Offset > limit) {
			break
		}
		parts = append(parts, c.Text)
		p.next++
	}
	trail := ""
	if len(parts) > 0 {
		trail = " " + strings.Join(parts, " ")
	}
	p.buf.WriteString(indent + text + trail + "\n")
	p.lastLine = pos.Line
}

// first returns the offset of a block's first child, or -1.
func first(n int, pos func(int) lexer.Position) int {
	if n == 0 {
		return -1
	}
	return pos(0).Offset
}

// close prints a block's closing brace after the comments inside the block.
func (p *printer) close(toks []lexer.Token, indent, innerIndent string) {
	if len(toks) > 0 {
		last := toks[len(toks)-1]
		p.flushLeading(last.Pos.Offset, innerIndent)
		p.lastLine = last.Pos.Line
	}
	p.buf.WriteString(indent + "}\n")
}

func (p *printer) decl(d *Decl) {
	switch {
	case d.Model != nil:
		p.model(d.Model)
	case d.Operations != nil:
		p.operations(d.Operations)
	case d.Property != nil:
		p.property(d.Property)
	case d.Metric != nil:
		p.metric(d.Metric)
	}
}

func (p *printer) model(m *Model) {
	p.open(m.Pos, "", "model "+m.Name.Name+" {", first(len(m.Items), func(i int) lexer.Position { return m.Items[i].Pos }))
	for _, it := range m.Items {
		p.modelItem(it)
	}
	p.close(m.Tokens, "", "  ")
}

func (p *printer) modelItem(it *ModelItem) {
	s := spanOf(it.Pos, it.Tokens)
	switch {
	case it.Enum != nil:
		p.line(s, "  ", enumText(it.Enum))
	case it.Entity != nil:
		p.entity(it, s)
	case it.Group != nil:
		p.line(s, "  ", "group "+it.Group.Name.Name+" ("+joinIdents(it.Group.Members)+")")
	case it.Map != nil:
		p.line(s, "  ", "map "+it.Map.From.Name+" to "+it.Map.To.Name)
	case it.Event != nil:
		p.line(s, "  ", eventText(it.Event, "  "))
	}
}

func enumText(e *Enum) string {
	vals := make([]string, len(e.Values))
	for i, v := range e.Values {
		vals[i] = v.Name
	}
	return "enum " + e.Name.Name + " { " + strings.Join(vals, " < ") + " }"
}

func entityHead(e *Entity) string {
	s := "entity " + e.Name.Name
	if len(e.In) > 0 {
		s += " in " + joinIdents(e.In)
	}
	if e.Plural != nil {
		s += " plural " + e.Plural.Name
	}
	return s
}

func (p *printer) entity(it *ModelItem, s span) {
	e := it.Entity
	head := entityHead(e)
	attrs := make([]string, len(e.Attrs))
	for i, a := range e.Attrs {
		attrs[i] = a.Name.Name + ": " + a.Type.String()
	}
	oneLine := head
	if len(attrs) > 0 {
		oneLine += " { " + strings.Join(attrs, ", ") + " }"
	}
	if len(attrs) == 0 || (len(oneLine)+2 <= maxLine && !p.commentInside(s)) {
		p.line(s, "  ", oneLine)
		return
	}
	p.open(it.Pos, "  ", head+" {", first(len(e.Attrs), func(i int) lexer.Position { return e.Attrs[i].Pos }))
	for i, a := range e.Attrs {
		p.line(spanOf(a.Pos, a.Tokens), "    ", attrs[i])
	}
	p.close(it.Tokens, "  ", "    ")
}

// commentInside reports whether a comment starts inside the span's lines before its last line.
func (p *printer) commentInside(s span) bool {
	for _, c := range p.comments[p.next:] {
		if c.Pos.Line >= s.endLine {
			return false
		}
		if c.Pos.Offset > s.pos.Offset {
			return true
		}
	}
	return false
}

// eventText puts a long event's guard on a continuation line.
func eventText(e *Event, indent string) string {
	head := eventHead(e)
	if e.Where == nil {
		return head
	}
	if one := head + " where " + e.Where.Raw; len(indent)+len(one) <= maxLine || strings.Contains(e.Where.Raw, "\n") {
		return one
	}
	return head + "\n" + indent + "  where " + e.Where.Raw
}

func eventHead(e *Event) string {
	s := "event " + e.Name.Name + " " + e.Kind + " " + e.Target.Name
	if e.Other != nil {
		if e.Kind == "dissociates" {
			s += " from " + e.Other.Name
		} else {
			s += " with " + e.Other.Name
		}
	}
	if len(e.Params) > 0 {
		ps := make([]string, len(e.Params))
		for i, pa := range e.Params {
			ps[i] = pa.Name.Name + ": " + pa.Type.String()
			if pa.Required {
				ps[i] += " required"
			}
		}
		s += " (" + strings.Join(ps, ", ") + ")"
	}
	return s
}

func (p *printer) operations(o *Operations) {
	p.open(o.Pos, "", "operations "+o.Cloud.Name+" for "+o.Model.Name+" {", first(len(o.Rows), func(i int) lexer.Position { return o.Rows[i].Pos }))
	for _, r := range o.Rows {
		p.opRow(r)
	}
	p.close(o.Tokens, "", "  ")
}

func (p *printer) opRow(r *OpRow) {
	head := r.Event.Name + " ="
	if r.Ignore {
		head = "ignore ="
	}
	for _, s := range r.Sources {
		head += " " + s.Kind + " " + strconv.Quote(s.Key.Value)
	}
	if r.Also {
		head += " also"
	}
	if r.Each != nil {
		head += " each " + strconv.Quote(r.Each.Value)
	}
	if r.If != nil {
		head += " if " + strconv.Quote(r.If.Value)
	}
	if r.When != nil {
		head += " when " + r.When.Raw
	}
	s := spanOf(r.Pos, r.Tokens)
	if len(r.Params) == 0 {
		p.line(s, "  ", head)
		return
	}
	params := make([]string, len(r.Params))
	for i, pm := range r.Params {
		params[i] = paramMapText(pm)
	}
	inline := "params { " + strings.Join(params, ", ") + " }"
	if !p.commentInside(s) {
		if one := head + " " + inline; len(one)+2 <= maxLine {
			p.line(s, "  ", one)
			return
		}
		if len(inline)+4 <= maxLine && !strings.Contains(head, "\n") {
			p.line(s, "  ", head+"\n    "+inline)
			return
		}
	}
	p.open(r.Pos, "  ", head+" params {", first(len(r.Params), func(i int) lexer.Position { return r.Params[i].Pos }))
	for i, pm := range r.Params {
		p.line(spanOf(pm.Pos, pm.Tokens), "    ", params[i])
	}
	p.close(r.Tokens, "  ", "    ")
}

func paramMapText(pm *ParamMap) string {
	if pm.From != nil {
		return pm.Name.Name + " from " + strconv.Quote(pm.From.Value)
	}
	return pm.Name.Name + " = " + strconv.Quote(pm.Const.Value)
}

func (p *printer) property(pr *Property) {
	p.open(pr.Pos, "", "property "+pr.Name.Name+" on "+pr.Model.Name+" {", first(len(pr.Items), func(i int) lexer.Position { return pr.Items[i].Pos }))
	for _, it := range pr.Items {
		p.propItem(it)
	}
	p.close(pr.Tokens, "", "  ")
}

func (p *printer) propItem(it *PropItem) {
	if it.Watchlist != nil {
		p.watchlist(it)
		return
	}
	p.line(spanOf(it.Pos, it.Tokens), "  ", propItemText(it))
}

func propItemText(it *PropItem) string {
	switch {
	case it.Doc != nil:
		return "doc " + strconv.Quote(it.Doc.Value)
	case it.Invariant != nil:
		return "invariant " + it.Invariant.Raw
	case it.Let != nil:
		return "let " + it.Let.Name.Name + " = " + it.Let.Expr.Raw
	case it.Critical != nil:
		return criticalText(it.Critical)
	case it.Allow != nil:
		if it.Allow.On != nil {
			return "allow on " + it.Allow.On.Name + " if " + it.Allow.Expr.Raw
		}
		return "allow if " + it.Allow.Expr.Raw
	case it.Threshold != nil:
		return "threshold " + strconv.Itoa(it.Threshold.Value)
	case it.Enforce != nil:
		return "enforce " + it.Enforce.Name
	case it.Fail != nil:
		return "fail " + it.Fail.Name
	case len(it.Rare) > 0:
		return "rare " + joinIdents(it.Rare)
	}
	return ""
}

func criticalText(c *Critical) string {
	s := "critical " + c.Event.Name
	if len(c.After) > 0 {
		s += " after " + joinIdents(c.After)
	}
	if c.When != nil {
		s += " when " + c.When.Raw
	}
	return s
}

func (p *printer) watchlist(it *PropItem) {
	w := it.Watchlist
	head := "watchlist " + w.Name.Name + "[" + w.Scope.Name
	if w.By != nil {
		head += " by " + w.By.Name
	}
	head += "] of " + elemTypeText(w.Of)
	p.open(it.Pos, "  ", head, first(len(w.Rules), func(i int) lexer.Position { return w.Rules[i].Pos }))
	for _, r := range w.Rules {
		p.line(spanOf(r.Pos, r.Tokens), "    ", ruleText(r))
	}
}

func elemTypeText(e ElemType) string {
	if len(e.Pair) > 0 {
		return "(" + e.Pair[0].String() + ", " + e.Pair[1].String() + ")"
	}
	parts := make([]string, len(e.Union))
	for i, t := range e.Union {
		parts[i] = t.String()
	}
	return strings.Join(parts, " | ")
}

func ruleText(r *WatchRule) string {
	switch {
	case r.Init != nil:
		if r.Init.Type != nil {
			return "init " + r.Init.Type.Name + " " + r.Init.Expr.Raw
		}
		return "init " + r.Init.Expr.Raw
	case r.Add != nil:
		return "add " + updateText(r.Add)
	case r.Remove != nil:
		return "remove " + updateText(r.Remove)
	case r.Rebuild != nil:
		s := "rebuild on " + joinIdents(r.Rebuild.Events)
		if r.Rebuild.For != nil {
			s += " for " + r.Rebuild.For.Raw
		}
		return s
	}
	return ""
}

func updateText(u *Update) string {
	s := "on " + u.Event.Name + " " + u.Expr.Raw
	if u.For != nil {
		s += " for " + u.For.Raw
	}
	return s
}

func joinIdents(ids []Ident) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.Name
	}
	return strings.Join(names, ", ")
}

func (p *printer) metric(m *Metric) {
	p.open(m.Pos, "", "metric "+m.Name.Name+" on "+m.Model.Name+" {", first(len(m.Items), func(i int) lexer.Position { return m.Items[i].Pos }))
	for _, it := range m.Items {
		p.line(spanOf(it.Pos, it.Tokens), "  ", metricItemText(it))
	}
	p.close(m.Tokens, "", "  ")
}

func metricItemText(it *MetricItem) string {
	switch {
	case it.Doc != nil:
		return "doc " + strconv.Quote(it.Doc.Value)
	case it.Unit != nil:
		return "unit " + strconv.Quote(it.Unit.Value)
	case it.Target != nil:
		return "target at " + it.Target.Direction.Name + " " + it.Target.Value.String()
	case it.Reported != nil:
		s := "reported by " + it.Reported.Event.Name
		if it.Reported.Point != nil {
			s += " at " + strconv.Quote(it.Reported.Point.Value)
		}
		return s
	case it.Miss != nil:
		return "miss lowers trust by " + it.Miss.Levels.String()
	}
	return ""
}
