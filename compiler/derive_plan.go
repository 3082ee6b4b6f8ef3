package compiler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"pvsc.dev/pvsc/dsl"
)

// planless reports whether a property gives its invariant and no plan: no critical event,
// watchlist or allow rule. Its plan is then derived.
func planless(p *dsl.Property) bool {
	inv := false
	for _, it := range p.Items {
		if it.Critical != nil || it.Watchlist != nil || it.Allow != nil {
			return false
		}
		inv = inv || it.Invariant != nil
	}
	return inv
}

func letSources(p *dsl.Property) map[string]string {
	out := map[string]string{}
	for _, it := range p.Items {
		if it.Let != nil {
			out[it.Let.Name.Name] = it.Let.Expr.Text()
		}
	}
	return out
}

func invariantOf(p *dsl.Property) *dsl.CEL {
	for _, it := range p.Items {
		if it.Invariant != nil {
			return it.Invariant
		}
	}
	return nil
}

// derivePlan derives a plan-less property's plan and adds its clauses to the property, as
// if written there.
func (c *compiler) derivePlan(p *propInfo) {
	inv := invariantOf(p.ast)
	if _, err := inlineBindsText(inv.Text()); err != nil {
		p.underivable = true // the invariant's own check reports the binding
		return
	}
	d, err := Derive(p.model.t, p.ast.Name.Name, inv.Text(), letSources(p.ast))
	if err != nil {
		c.errorf(inv.Pos, "property %s gives no plan, and none can be derived: %v", p.ast.Name.Name, err)
		p.underivable = true
		return
	}
	c.addDerived(p, d)
}

// rederive sets a hand-written plan aside for the derived one (CompileDirDerived); a
// property whose plan cannot be derived keeps its own, and Result.Underived says why.
func (c *compiler) rederive(p *propInfo) {
	inv := invariantOf(p.ast)
	if inv == nil {
		return
	}
	d, err := Derive(p.model.t, p.ast.Name.Name, inv.Text(), letSources(p.ast))
	if err != nil {
		c.underived[p.ast.Name.Name] = err.Error()
		return
	}
	var keep []*dsl.PropItem
	for _, it := range p.ast.Items {
		if it.Critical == nil && it.Watchlist == nil && it.Allow == nil && it.Rare == nil && it.Threshold == nil {
			keep = append(keep, it)
		}
	}
	p.ast.Items = keep
	c.addDerived(p, d)
}

// addDerived parses the derived clauses as a source of their own and adds them to the
// property. Without a threshold, N-th is N-max: the derived watchlist is empty, so every
// scope can be ready at no cost.
func (c *compiler) addDerived(p *propInfo, d *Derived) {
	name := p.ast.Name.Name
	text := d.Text("  ")
	inv := invariantOf(p.ast)
	file := fmt.Sprintf("%s (plan derived for %s)", inv.Pos.Filename, name)
	src := []byte(fmt.Sprintf("property %s on %s {\n%s}\n", name, p.ast.Model.Name, text))
	f, err := dsl.Parse(file, src)
	var ds dsl.Diagnostics
	switch {
	case errors.As(err, &ds):
		c.diags = append(c.diags, ds...)
		return
	case err != nil:
		c.errorf(inv.Pos, "property %s: derived plan: %v", name, err)
		return
	}
	p.ast.Items = append(p.ast.Items, f.Decls[0].Property.Items...)
	c.derived[name], c.derivedSrc[file] = d, src
}

// CompileDirDerived compiles a spec directory with every property's plan derived from its
// invariant, the hand-written plans set aside: what `pvsc derive` compares, and what the
// proofs and benchmarks of derived plans run on.
func CompileDirDerived(dir string) (*Result, error) {
	files, err := dsl.ParseDir(dir)
	if err != nil {
		return nil, err
	}
	return compile(dirName(dir), files, true)
}

// CompileFileDerived is CompileDirDerived for one .pvsc file compiled on its own.
func CompileFileDerived(path string) (*Result, error) {
	f, err := dsl.ParseFile(path)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return compile(strings.TrimSuffix(filepath.Base(path), ".pvsc"), []*dsl.SpecFile{{Path: path, Src: src, File: f}}, true)
}
