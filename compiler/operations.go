package compiler

import (
	"strconv"
	"strings"

	"cel.dev/cel-go/cel"
	"github.com/alecthomas/participle/v2/lexer"

	"pvsc.dev/pvsc/dsl"
	"pvsc.dev/pvsc/tables"
)

var sourceKinds = map[string]tables.SourceKind{"api": tables.API, "notify": tables.Notify, "cli": tables.CLI, "snapshot": tables.Snapshot}

var httpMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true}

// checkOperations builds the Event-operation table of every cloud block.
func (c *compiler) checkOperations() {
	for _, ci := range c.clouds {
		m, ok := c.byName[ci.ast.Model.Name]
		if !ok {
			c.errorf(ci.ast.Model.Pos, "operations %s: unknown model %s", ci.ast.Cloud.Name, ci.ast.Model.Name)
			continue
		}
		ci.model = m
		ci.t = &tables.Cloud{Name: ci.ast.Cloud.Name, Model: m.index}
		c.spec.Clouds = append(c.spec.Clouds, ci.t)
		if m.broken {
			continue
		}
		unconditional := map[string]lexer.Position{}
		for _, r := range ci.ast.Rows {
			c.opRow(ci, r, unconditional)
		}
	}
}

func (c *compiler) opRow(ci *cloudInfo, r *dsl.OpRow, unconditional map[string]lexer.Position) {
	row, ok := c.rowHead(ci, r)
	if !ok {
		return
	}
	for _, s := range r.Sources {
		if !c.sourceKey(s) {
			continue
		}
		if s.Kind == "snapshot" && (r.Each != nil || r.Also || r.Ignore) {
			c.errorf(s.Pos, "snapshot %q: every snapshot row applies to every record; each, also and ignore are for operations", s.Key.Value)
			continue
		}
		row.Source, row.Key = sourceKinds[s.Kind], s.Key.Value
		c.checkPathParams(row, r)
		if r.When == nil && r.If == nil && r.Each == nil && !r.Also && row.Source != tables.Snapshot {
			key := s.Kind + " " + s.Key.Value
			if prev, dup := unconditional[key]; dup {
				c.errorf(s.Key.Pos, "operations %s: %s %q is already mapped without a condition at %s; add a `when` or `if` condition to one of them", ci.t.Name, s.Kind, s.Key.Value, short(prev))
				continue
			}
			unconditional[key] = s.Key.Pos
		}
		ci.t.Rows = append(ci.t.Rows, row)
		ci.pos = append(ci.pos, rowPos(r, s))
	}
}

// rowHead checks what a row says besides its sources: the event, if, each, when and params.
func (c *compiler) rowHead(ci *cloudInfo, r *dsl.OpRow) (tables.OpRow, bool) {
	row := tables.OpRow{Event: -1, Also: r.Also}
	if !c.rowPaths(r, &row) {
		return row, false
	}
	if r.Ignore {
		return row, c.ignoreRow(r)
	}
	m := ci.model
	ev, ok := m.events[r.Event.Name]
	if !ok {
		c.errorf(r.Event.Pos, "operations %s: %s is not an event of model %s%s", ci.t.Name, r.Event.Name, m.t.Name, m.eventHint(r.Event.Name))
		return row, false
	}
	if m.badEvent[ev] {
		return row, false
	}
	row.Event = ev
	if r.When != nil {
		x, ok := c.checkExpr(m, r.When, tables.Vars{Event: ev, Elem: -1, Scope: -1}, exprCtx{}, cel.BoolType)
		if !ok {
			return row, false
		}
		row.When = x
	}
	event := &m.t.Events[ev]
	for _, pm := range r.Params {
		if ps, ok := c.paramSource(m.t, event, pm); ok {
			row.Params = append(row.Params, ps)
			c.checkEachPath(r, pm)
		}
	}
	return row, true
}

// rowPaths checks a row's if and each paths.
func (c *compiler) rowPaths(r *dsl.OpRow, row *tables.OpRow) bool {
	ok := true
	for _, x := range []struct {
		what string
		s    *dsl.Str
		dst  *string
	}{{"if", r.If, &row.If}, {"each", r.Each, &row.Each}} {
		if x.s == nil {
			continue
		}
		path := x.s.Value
		if x.what == "if" {
			path = strings.TrimPrefix(path, "!")
		}
		if !validPath(path) || strings.Contains(path, "#") || hasEachPrefix(path) {
			c.errorf(x.s.Pos, "%s: bad document path %q: want dotted names, e.g. \"body.ports\"", x.what, x.s.Value)
			ok = false
			continue
		}
		*x.dst = x.s.Value
	}
	return ok
}

// ignoreRow checks a row that maps an operation to no event.
func (c *compiler) ignoreRow(r *dsl.OpRow) bool {
	switch {
	case r.Also:
		c.errorf(r.Pos, "an ignore row cannot be an also row")
	case r.Each != nil || r.When != nil || len(r.Params) > 0:
		c.errorf(r.Pos, "an ignore row takes no each, when or params: it maps the operation to no event")
	default:
		return true
	}
	return false
}

// checkEachPath rejects "each." and "#" in the paths of a row that has no each.
func (c *compiler) checkEachPath(r *dsl.OpRow, pm *dsl.ParamMap) {
	if r.Each != nil {
		return
	}
	text := ""
	if pm.From != nil {
		text = pm.From.Value
	} else if pm.Const != nil {
		text = pm.Const.Value
	}
	if hasEachPrefix(text) || strings.Contains(text, ".#") || strings.HasPrefix(text, "#") {
		pos := pm.Name.Pos
		c.errorf(pos, "parameter %s: \"each\" and \"#\" read a list element: the row needs `each \"path\"`", pm.Name.Name)
	}
}

func hasEachPrefix(p string) bool {
	for _, alt := range strings.Split(strings.NewReplacer("{", "|", "}", "|").Replace(p), "|") {
		if alt == "each" || strings.HasPrefix(alt, "each.") {
			return true
		}
	}
	return false
}

// sourceKey checks the shape of an operation key: "METHOD /path" for API calls, non-empty otherwise.
func (c *compiler) sourceKey(s *dsl.Source) bool {
	k := s.Key.Value
	if strings.TrimSpace(k) == "" {
		c.errorf(s.Key.Pos, "%s: empty operation name", s.Kind)
		return false
	}
	if s.Kind != "api" {
		return true
	}
	method, path, ok := strings.Cut(k, " ")
	if !ok || !httpMethods[method] || !strings.HasPrefix(path, "/") || strings.Contains(path, " ") {
		c.errorf(s.Key.Pos, "api %q: want \"METHOD /path\" with METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD", k)
		return false
	}
	return true
}

// checkPathParams rejects path.X parameters whose X is not a placeholder of the API path.
func (c *compiler) checkPathParams(row tables.OpRow, r *dsl.OpRow) {
	if row.Source != tables.API {
		return
	}
	for _, pm := range r.Params {
		if pm.From == nil {
			continue
		}
		for _, alt := range strings.Split(pm.From.Value, "|") {
			name, ok := strings.CutPrefix(alt, "path.")
			if ok && !strings.Contains(row.Key, "{"+name+"}") {
				c.errorf(pm.From.Pos, "parameter %s: %q has no placeholder {%s}", pm.Name.Name, row.Key, name)
			}
		}
	}
}

func (c *compiler) paramSource(m *tables.Model, ev *tables.Event, pm *dsl.ParamMap) (tables.ParamSource, bool) {
	p := ev.ParamIndex(pm.Name.Name)
	if p < 0 {
		c.errorf(pm.Name.Pos, "event %s has no parameter %s%s", ev.Name, pm.Name.Name, didYouMean(pm.Name.Name, ev.ParamNames()))
		return tables.ParamSource{}, false
	}
	if pm.From != nil {
		if !validPath(pm.From.Value) {
			c.errorf(pm.From.Pos, "parameter %s: bad document path %q: want dotted names, e.g. \"body.port.device_id\"", pm.Name.Name, pm.From.Value)
			return tables.ParamSource{}, false
		}
		return tables.ParamSource{Param: p, Path: pm.From.Value}, true
	}
	if paths, ok := templatePaths(pm.Const.Value); ok && len(paths) > 0 {
		return c.template(ev, pm, p, paths)
	}
	if err := checkConst(m, ev.Params[p].Type, pm.Const.Value); err != "" {
		c.errorf(pm.Const.Pos, "parameter %s: %s", pm.Name.Name, err)
		return tables.ParamSource{}, false
	}
	return tables.ParamSource{Param: p, Const: pm.Const.Value, IsConst: true}, true
}

func (c *compiler) template(ev *tables.Event, pm *dsl.ParamMap, p int32, paths []string) (tables.ParamSource, bool) {
	if k := ev.Params[p].Type.Kind; k != tables.TString && k != tables.TRef {
		c.errorf(pm.Const.Pos, "parameter %s: only string parameters take a template", pm.Name.Name)
		return tables.ParamSource{}, false
	}
	for _, path := range paths {
		if !validPath(path) {
			c.errorf(pm.Const.Pos, "parameter %s: bad document path {%s} in template", pm.Name.Name, path)
			return tables.ParamSource{}, false
		}
	}
	return tables.ParamSource{Param: p, Const: pm.Const.Value, IsConst: true, Template: true}, true
}

// templatePaths lists the {path} placeholders of a constant; ok is false when braces do not pair.
func templatePaths(s string) ([]string, bool) {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out, !strings.Contains(s, "}")
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 || strings.Contains(s[:i], "}") {
			return nil, false
		}
		out = append(out, s[i+1:i+j])
		s = s[i+j+1:]
	}
}

// validPath accepts dotted paths, with alternatives separated by | (the first present wins).
func validPath(p string) bool {
	for _, alt := range strings.Split(p, "|") {
		if alt == "" {
			return false
		}
		for _, seg := range strings.Split(alt, ".") {
			if seg == "" {
				return false
			}
		}
	}
	return true
}

func checkConst(m *tables.Model, t tables.Type, v string) string {
	switch t.Kind {
	case tables.TEnum:
		for _, name := range m.Enums[t.Ref].Values {
			if name == v {
				return ""
			}
		}
		return strconv.Quote(v) + " is not a value of enum " + m.Enums[t.Ref].Name
	case tables.TInt:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "constant " + strconv.Quote(v) + " is not an integer"
		}
	case tables.TBool:
		if v != "true" && v != "false" {
			return "constant " + strconv.Quote(v) + " is not true or false"
		}
	case tables.TList:
		return "list parameters cannot be constants"
	}
	return ""
}

// rowPos locates a row's parts, for the tools that check rows against data.
func rowPos(r *dsl.OpRow, s *dsl.Source) RowPos {
	p := RowPos{Key: dsl.PosOf(s.Key.Pos)}
	if r.If != nil {
		p.If = dsl.PosOf(r.If.Pos)
	}
	if r.Each != nil {
		p.Each = dsl.PosOf(r.Each.Pos)
	}
	for _, pm := range r.Params {
		at := pm.Name.Pos
		if pm.From != nil {
			at = pm.From.Pos
		} else if pm.Const != nil {
			at = pm.Const.Pos
		}
		p.Params = append(p.Params, dsl.PosOf(at))
	}
	return p
}
