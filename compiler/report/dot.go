package report

import (
	"fmt"
	"io"
	"math/bits"
	"strings"

	"pvsc.dev/pvsc/tables"
)

// kindColor colours edges by the event's kind for the property.
var kindColor = map[tables.Kind]string{tables.CE: "red", tables.WE: "blue", tables.TE: "darkgreen", tables.None: "gray60"}

// WriteDOT draws the dependency model as Graphviz DOT, annotated for one
// property like the paper's Fig. 7: each vertex and link of the property's
// configurations carries the N-cp of the smallest configuration reached with it.
func WriteDOT(w io.Writer, spec *tables.Spec, p *tables.Property) error {
	m := spec.Models[p.Model]
	d := &dot{w: w, m: m, p: p, n: factN(p)}
	d.printf("digraph %q {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n", m.Name+"/"+p.Name)
	d.printf("  labelloc=t; label=%q;\n", fmt.Sprintf("%s on %s: N-th = %d, N-max = %d (red CE, blue WE, green TE)", p.Name, m.Name, p.Threshold, p.NMax))
	d.vertices()
	d.precedence()
	d.events()
	d.legend()
	d.printf("}\n")
	return d.err
}

type dot struct {
	w   io.Writer
	m   *tables.Model
	p   *tables.Property
	n   map[string]int32 // fact name → N of the smallest configuration holding it
	err error
}

func (d *dot) printf(format string, args ...any) {
	if d.err == nil {
		_, d.err = fmt.Fprintf(d.w, format, args...)
	}
}

// factN gives each fact the N of the smallest reachable configuration that holds it.
func factN(p *tables.Property) map[string]int32 {
	out := map[string]int32{}
	best := map[string]int{}
	for _, c := range p.Configs {
		size := bits.OnesCount32(c.Mask)
		for _, f := range p.ConfigFacts(c.Mask) {
			if b, ok := best[f]; !ok || size < b {
				best[f], out[f] = size, c.N
			}
		}
	}
	return out
}

func (d *dot) vertices() {
	for i, e := range d.m.Entities {
		label := e.Name
		attrs := ""
		switch {
		case int32(i) == d.p.Scope:
			label += fmt.Sprintf("\\nN = %d (root)", d.p.NMax)
			attrs = ", penwidth=2"
		case d.n[e.Name] > 0:
			label += fmt.Sprintf("\\nN = %d", d.n[e.Name])
			attrs = ", penwidth=2"
		}
		d.printf("  %q [label=\"%s\"%s];\n", e.Name, label, attrs)
	}
	for _, g := range d.m.Groups {
		d.printf("  %q [shape=ellipse, style=dashed];\n", g.Name)
		for _, mem := range g.Members {
			d.printf("  %q -> %q [style=dotted, arrowhead=none];\n", d.m.Entities[mem].Name, g.Name)
		}
	}
	for _, mp := range d.m.Maps {
		d.printf("  %q -> %q [dir=none, style=dashed, label=\"maps\"];\n", d.m.Entities[mp.From].Name, d.m.Entities[mp.To].Name)
	}
}

func (d *dot) precedence() {
	for i, e := range d.m.Entities {
		for _, p := range e.Parents {
			d.printf("  %q -> %q [color=gray40];\n", d.m.Entities[p].Name, d.m.Entities[i].Name)
		}
	}
}

// events labels each relevant event on its edge: creates on the precedence
// edge, associations between their ends, updates as self-loops.
func (d *dot) events() {
	for i, ev := range d.m.Events {
		k := d.p.EventKinds[i]
		if k == tables.None {
			continue
		}
		from, to := d.edge(ev)
		style := fmt.Sprintf("color=%s, fontcolor=%s, label=\"%s (%s)%s\"", kindColor[k], kindColor[k], ev.Name, kindNames[k], d.linkN(ev))
		if ev.Kind == tables.Associates || ev.Kind == tables.Dissociates {
			style += ", dir=both"
		}
		d.printf("  %q -> %q [%s];\n", from, to, style)
	}
}

func (d *dot) linkN(ev tables.Event) string {
	if ev.Kind != tables.Associates {
		return ""
	}
	for _, f := range d.p.Facts {
		if f.Kind == tables.Linked && f.Link == ev.Link && d.n[f.Name] > 0 {
			return fmt.Sprintf("\\nN = %d", d.n[f.Name])
		}
	}
	return ""
}

func (d *dot) edge(ev tables.Event) (string, string) {
	target := d.vertexName(ev.Target)
	switch ev.Kind {
	case tables.Creates:
		if ps := d.m.Entities[ev.Target.Index].Parents; len(ps) > 0 {
			return d.m.Entities[ps[0]].Name, target
		}
		return target, target
	case tables.Associates, tables.Dissociates:
		return target, d.m.Entities[ev.Other].Name
	}
	return target, target
}

func (d *dot) vertexName(v tables.Vertex) string {
	if v.Group {
		return d.m.Groups[v.Index].Name
	}
	return d.m.Entities[v.Index].Name
}

// legend lists every configuration with its N-cp (the Model-N-property table).
func (d *dot) legend() {
	var rows []string
	scope := d.m.Entities[d.p.Scope].Name
	for _, c := range d.p.Configs {
		conf := strings.Join(append([]string{scope}, d.p.ConfigFacts(c.Mask)...), ", ")
		rows = append(rows, fmt.Sprintf("<tr><td align=\"left\">{%s}</td><td>%d</td></tr>", htmlEscape(conf), c.N))
	}
	d.printf("  configurations [shape=plain, label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\"><tr><td><b>configuration</b></td><td><b>N-cp</b></td></tr>%s</table>>];\n", strings.Join(rows, ""))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
