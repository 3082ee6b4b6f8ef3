package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/tables"
)

func init() {
	register(&command{
		name:    "derive",
		summary: "derive each property's proactive plan from its invariant, print it as spec text, and compare it with the hand-written plan",
		usage:   "[--property P,...] [--verify [--redeliver] [--reuse-ids] [--from-empty]] PATH...",
		run:     runDerive,
	})
}

func runDerive(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["derive"], stderr)
	property := fs.String("property", "", "derive only these properties (comma-separated)")
	verify := fs.Bool("verify", false, "prove each derived plan (as pvsc verify does; bounded-only proofs fail)")
	var vf verifyFlags
	fs.BoolVar(&vf.fromEmpty, "from-empty", false, "with --verify: start runs from the empty cloud")
	fs.BoolVar(&vf.reuseIDs, "reuse-ids", false, "with --verify: let operations reuse deleted ids")
	fs.BoolVar(&vf.redeliver, "redeliver", false, "with --verify: let creates name records that exist (re-delivered notifications)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	vf.bounds.FromEmpty, vf.bounds.ReuseIDs, vf.bounds.Redeliver = vf.fromEmpty, vf.reuseIDs, vf.redeliver
	dirs, err := specDirs(fs.Args())
	if err != nil {
		return err
	}
	want, seen, ok := list(*property), map[string]bool{}, true
	for _, dir := range dirs {
		hand, err := compileUnit(dir)
		if err != nil {
			printCompileError(stderr, err)
			ok = false
			continue
		}
		derived, err := compileUnitDerived(dir)
		if err != nil {
			printCompileError(stderr, err)
			ok = false
			continue
		}
		for _, p := range derived.Spec.Properties {
			if len(want) > 0 && !slices.Contains(want, p.Name) {
				continue
			}
			seen[p.Name] = true
			var v *verifyFlags
			if *verify {
				v = &vf
			}
			ok = deriveOne(stdout, dir, hand, derived, p, v) && ok
		}
	}
	return propertiesResult(want, seen, dirs, ok)
}

func compileUnitDerived(path string) (*compiler.Result, error) {
	if strings.HasSuffix(path, ".pvsc") {
		return compiler.CompileFileDerived(path)
	}
	return compiler.CompileDirDerived(path)
}

// deriveOne prints one property's derived plan, or why it has none, then how it differs
// from the hand-written plan, and with verify its proof. It reports whether all went well.
func deriveOne(w io.Writer, dir string, hand, derived *compiler.Result, p *tables.Property, verify *verifyFlags) bool {
	d := derived.Derived[p.Name]
	if d == nil {
		fmt.Fprintf(w, "// %s: %s: no plan can be derived: %s\n\n", dir, p.Name, derived.Underived[p.Name])
		return false
	}
	m := derived.Spec.Models[p.Model]
	fmt.Fprintf(w, "// %s: %s, scope %s\n", dir, p.Name, d.Scope)
	fmt.Fprintf(w, "property %s on %s {\n%s}\n", p.Name, m.Name, d.Text("  "))
	if h := hand.Spec.Property(p.Name); h != nil && hand.Derived[p.Name] == nil {
		for _, l := range planDifference(m, h, p) {
			fmt.Fprintf(w, "// %s\n", l)
		}
	}
	ok := true
	if verify != nil {
		ok = verify.verifyProperty(w, dir, derived.Spec, p)
	}
	fmt.Fprintln(w)
	return ok
}

// planDifference compares the critical events of the hand-written and the derived plan.
func planDifference(m *tables.Model, hand, derived *tables.Property) []string {
	when := func(p *tables.Property) map[string]string {
		out := map[string]string{}
		for _, c := range p.Criticals {
			out[m.Events[c.Event].Name] = ""
			if c.When != nil {
				out[m.Events[c.Event].Name] = c.When.Src
			}
		}
		return out
	}
	h, d := when(hand), when(derived)
	out := []string{fmt.Sprintf("compared with the hand-written plan (scope %s, %s):", scopeName(m, hand), watchlistSummary(m, hand))}
	for _, e := range sortedKeys(h, d) {
		hw, inH := h[e]
		dw, inD := d[e]
		switch {
		case !inD:
			out = append(out, fmt.Sprintf("  critical only in the hand-written plan: %s%s (derive finds it cannot break the invariant)", e, whenText(hw)))
		case !inH:
			out = append(out, fmt.Sprintf("  critical only in the derived plan: %s%s", e, whenText(dw)))
		case hw != dw:
			out = append(out, fmt.Sprintf("  critical in both, conditions differ: %s: hand-written%s, derived%s", e, orAlways(hw), orAlways(dw)))
		default:
			out = append(out, fmt.Sprintf("  critical in both: %s%s", e, whenText(dw)))
		}
	}
	return out
}

func scopeName(m *tables.Model, p *tables.Property) string {
	if p.Scope < 0 {
		return "none"
	}
	return m.Entities[p.Scope].Name
}

func watchlistSummary(m *tables.Model, p *tables.Property) string {
	w := p.Watchlist
	if len(w.Inits) == 0 && len(w.Updates) == 0 {
		return "no watchlist"
	}
	return fmt.Sprintf("watchlist %s with %d init and %d update rules", w.Name, len(w.Inits), len(w.Updates))
}

func whenText(w string) string {
	if w == "" {
		return ""
	}
	return " when `" + w + "`"
}

func orAlways(w string) string {
	if w == "" {
		return " always"
	}
	return whenText(w)
}

func sortedKeys(a, b map[string]string) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
