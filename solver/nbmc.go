package solver

import (
	"fmt"
	"strings"

	"github.com/go-air/gini"
	"github.com/go-air/gini/logic"
	"github.com/go-air/gini/z"

	"pvsc.dev/pvsc/tables"
)

// Finding is a disagreement between the solver and a compiled table.
type Finding struct {
	Property string
	// What names the table entry: "N" (Model-N-property), "N-max", "Configs" or "facts".
	What string
	// Mask and Config are the configuration (bitmask over the property's facts and the facts' names).
	Mask   uint32
	Config []string
	// Table is the compiler's value, Solver the value bounded model checking found.
	Table, Solver int32
	// Untracked names the facts N depends on that the configuration leaves out ("facts" findings).
	Untracked []string
}

func (f Finding) String() string {
	cfg := "{" + strings.Join(f.Config, ", ") + "}"
	switch f.What {
	case "facts":
		return fmt.Sprintf("property %s: N depends on facts the configuration does not track (%s): from configuration {%s} N is %d when they hold and %d when they do not",
			f.Property, strings.Join(f.Untracked, ", "), strings.Join(f.Config, ", "), f.Table, f.Solver)
	case "N-max":
		return fmt.Sprintf("property %s: N-max is %d, the root configuration's N is %d", f.Property, f.Table, f.Solver)
	}
	return fmt.Sprintf("property %s: configuration %s: %s has N = %d, bounded model checking finds N = %d", f.Property, cfg, tableName(f.What), f.Table, f.Solver)
}

func tableName(what string) string {
	if what == "Configs" {
		return "the Model-N-property row"
	}
	return "NTable"
}

// VerifyN recomputes, by SAT, N for every configuration of the property and
// reports each one where the compiled tables differ. N is the smallest k at
// which a critical event can fire in the abstract transition system, plus one;
// 0 when no k does.
func VerifyN(spec *tables.Spec, p *tables.Property) []Finding {
	a := newAbstract(spec.Models[p.Model], p)
	var out []Finding
	bmc := a.unroll()
	n := make([]int32, 1<<uint(len(p.Facts)))
	reported := false
	for mask := range n {
		// The compiler leaves out facts N does not depend on and counts them as
		// holding; N only shrinks as facts are added, so they are harmless
		// exactly when N is the same with all of them false.
		n[mask] = bmc.distance(uint32(mask), true)
		if worst := bmc.distance(uint32(mask), false); worst != n[mask] && !reported {
			reported = true
			f := a.finding(p, "facts", uint32(mask), n[mask], worst)
			f.Untracked = a.names[a.tracked:]
			out = append(out, f)
		}
		if int(mask) < len(p.NTable) && int32(p.NTable[mask]) != n[mask] {
			out = append(out, a.finding(p, "N", uint32(mask), int32(p.NTable[mask]), n[mask]))
		}
	}
	return append(out, consistency(p, n)...)
}

// consistency checks N-max and the Model-N-property rows against the recomputed N.
func consistency(p *tables.Property, n []int32) []Finding {
	var out []Finding
	if p.NMax != n[0] {
		out = append(out, Finding{Property: p.Name, What: "N-max", Table: p.NMax, Solver: n[0]})
	}
	for _, c := range p.Configs {
		if int(c.Mask) < len(n) && c.N != n[c.Mask] {
			out = append(out, Finding{Property: p.Name, What: "Configs", Mask: c.Mask, Config: p.ConfigFacts(c.Mask), Table: c.N, Solver: n[c.Mask]})
		}
	}
	return out
}

func (a *abstract) finding(p *tables.Property, what string, mask uint32, table, solver int32) Finding {
	return Finding{Property: p.Name, What: what, Mask: mask, Config: p.ConfigFacts(mask), Table: table, Solver: solver}
}

// nBMC is the abstract transition system unrolled to its diameter: every
// useful step adds a fact, so no shortest run is longer than the number of facts.
type nBMC struct {
	g      *gini.Gini
	init   []z.Lit // facts at step 0
	goalAt []z.Lit // a critical event can fire at step k
	track  int     // facts the configuration mask sets; the others start false
}

func (a *abstract) unroll() *nBMC {
	c := logic.NewC()
	b := &nBMC{g: gini.New(), track: a.tracked}
	x := make([]z.Lit, len(a.facts))
	for i := range x {
		x[i] = c.Lit()
	}
	b.init = x
	var roots, sels []z.Lit
	for k := 0; k <= len(a.facts); k++ {
		b.goalAt = append(b.goalAt, a.goal(c, x))
		if k == len(a.facts) {
			break
		}
		var pres []z.Lit
		x, sels, pres = a.step(c, x)
		roots = append(roots, pres...)
		exactlyOne(b.g, sels)
	}
	c.ToCnfFrom(b.g, append(roots, b.goalAt...)...)
	for _, r := range roots {
		b.g.Add(r)
		b.g.Add(0)
	}
	return b
}

// step chooses one event: its preconditions must hold, and it adds its gains.
func (a *abstract) step(c *logic.C, x []z.Lit) (next, sels, pres []z.Lit) {
	next = append([]z.Lit(nil), x...)
	for _, ev := range a.events {
		sel := c.Lit()
		sels = append(sels, sel)
		for _, f := range ev.pre {
			pres = append(pres, c.Implies(sel, x[f]))
		}
		for _, f := range ev.gain {
			next[f] = c.Or(next[f], sel)
		}
	}
	return next, sels, pres
}

func (a *abstract) goal(c *logic.C, x []z.Lit) z.Lit {
	any := c.F
	for _, g := range a.goals {
		all := c.T
		for _, f := range g {
			all = c.And(all, x[f])
		}
		any = c.Or(any, all)
	}
	return any
}

func exactlyOne(g *gini.Gini, ls []z.Lit) {
	for _, l := range ls {
		g.Add(l)
	}
	g.Add(0)
	for i := range ls {
		for j := i + 1; j < len(ls); j++ {
			g.Add(ls[i].Not())
			g.Add(ls[j].Not())
			g.Add(0)
		}
	}
}

// distance is the configuration's N: the first k whose goal is satisfiable,
// plus one. Facts the configuration does not track start as untracked says.
func (b *nBMC) distance(mask uint32, untracked bool) int32 {
	assume := make([]z.Lit, len(b.init))
	for i, l := range b.init {
		on := mask&(1<<uint(i)) != 0
		if i >= b.track {
			on = untracked
		}
		if on {
			assume[i] = l
		} else {
			assume[i] = l.Not()
		}
	}
	for k, goal := range b.goalAt {
		b.g.Assume(assume...)
		b.g.Assume(goal)
		if b.g.Solve() == 1 {
			return int32(min(k+1, 127))
		}
	}
	return 0
}
