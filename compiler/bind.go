package compiler

import (
	"fmt"
	"slices"
	"strings"
)

// Local bindings (`cel.bind(v, init, body)`, CEL's bindings extension) are inlined
// before anything reads an expression: body with v replaced by init. The tables, the
// runtime's fast form, the generated Go, the solver and derive then see plain CEL, and
// evaluating init once per use costs what a lookup costs (expressions have no effects).

// hasBind reports text that may hold a binding, so others are left untouched.
func hasBind(src string) bool { return strings.Contains(src, "cel.bind") }

// inlineBindsText is src with every binding inlined.
func inlineBindsText(src string) (string, error) {
	if !hasBind(src) {
		return src, nil
	}
	t, err := parseTerm(src)
	if err != nil {
		return "", err
	}
	if t, err = inlineBinds(t); err != nil {
		return "", err
	}
	return t.String(), nil
}

// inlineBinds inlines bindings innermost first, so an inner binding's init may read an
// outer binding's variable.
func inlineBinds(t *term) (*term, error) {
	if t == nil || t.kind == tIdent || t.kind == tLit {
		return t, nil
	}
	out := *t
	var err error
	if out.recv, err = inlineBinds(t.recv); err != nil {
		return nil, err
	}
	out.args = make([]*term, len(t.args))
	for i, a := range t.args {
		if out.args[i], err = inlineBinds(a); err != nil {
			return nil, err
		}
	}
	if !out.isBind() {
		return &out, nil
	}
	if len(out.args) != 3 || out.args[0].kind != tIdent {
		return nil, fmt.Errorf("cel.bind takes a variable name, its value and an expression: cel.bind(v, init, body)")
	}
	v, init, body := out.args[0].name, out.args[1], out.args[2]
	if q := captured(body, v, init.free(nil)); q != "" {
		return nil, fmt.Errorf("cel.bind(%s, ...): its value reads %q, which a quantifier in the expression binds again: rename that quantifier's variable", v, q)
	}
	return body.subst(v, init), nil
}

func (t *term) isBind() bool {
	return t.kind == tCall && t.name == "bind" && t.recv != nil && t.recv.kind == tIdent && t.recv.name == "cel"
}

// free appends the identifiers t reads that no quantifier inside it binds.
func (t *term) free(out []string) []string {
	if t == nil {
		return out
	}
	switch t.kind {
	case tIdent:
		return append(out, t.name)
	case tLit:
		return out
	}
	out = t.recv.free(out)
	if t.binder() != "" {
		inner := t.args[1].free(nil)
		for _, n := range inner {
			if n != t.binder() {
				out = append(out, n)
			}
		}
		return out
	}
	for _, a := range t.args {
		out = a.free(out)
	}
	return out
}

// binder is the variable a quantifier binds ("" for any other term).
func (t *term) binder() string {
	if t.kind == tCall && t.recv != nil && isQuantifier(t.name) && len(t.args) == 2 && t.args[0].kind == tIdent {
		return t.args[0].name
	}
	return ""
}

// captured is a name of names that a quantifier of body binds around a free v.
func captured(body *term, v string, names []string) string {
	if body == nil || body.kind == tLit {
		return ""
	}
	if q := body.binder(); q != "" {
		if q == v {
			return captured(body.recv, v, names)
		}
		if slices.Contains(names, q) && slices.Contains(body.args[1].free(nil), v) {
			return q
		}
	}
	if c := captured(body.recv, v, names); c != "" {
		return c
	}
	for _, a := range body.args {
		if c := captured(a, v, names); c != "" {
			return c
		}
	}
	return ""
}
