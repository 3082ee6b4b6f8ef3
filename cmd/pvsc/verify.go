package main

import (
	"fmt"
	"io"
	"slices"
	"time"

	"pvsc.dev/pvsc/solver"
	"pvsc.dev/pvsc/tables"
)

func init() {
	register(&command{
		name:    "verify",
		summary: "prove each property's N table and its proactive verdicts against its invariant, by SAT",
		usage:   "[--property P,...] [--allow-bounded] [--bounds entity=n,...,steps=n] [--from-empty] [--reuse-ids] [--redeliver] PATH...",
		run:     runVerify,
	})
}

type verifyFlags struct {
	property     string
	allowBounded bool
	bounds       solver.Bounds
	fromEmpty    bool
	reuseIDs     bool
	redeliver    bool
}

func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["verify"], stderr)
	var f verifyFlags
	var bounds string
	fs.StringVar(&f.property, "property", "", "verify only these properties (comma-separated)")
	fs.BoolVar(&f.allowBounded, "allow-bounded", false, "accept claims proven only up to the bound (without, they fail: the exit code means proven for runs of any length)")
	fs.StringVar(&bounds, "bounds", "", "record slots per entity and run length, e.g. port=3,vm=2,steps=6 (unlisted entities get defaults chosen from the property)")
	fs.BoolVar(&f.fromEmpty, "from-empty", false, "start runs from the empty cloud instead of any snapshot satisfying the invariant")
	fs.BoolVar(&f.reuseIDs, "reuse-ids", false, "let operations reuse deleted ids and name records not created yet")
	fs.BoolVar(&f.redeliver, "redeliver", false, "let creates name records that exist (re-delivered notifications: they repeat the record and fill in parents it did not know)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if f.bounds, err = solver.ParseBounds(bounds); err != nil {
		return err
	}
	f.bounds.FromEmpty, f.bounds.ReuseIDs, f.bounds.Redeliver = f.fromEmpty, f.reuseIDs, f.redeliver
	return f.run(fs.Args(), stdout, stderr)
}

// run verifies every property (or the one -property names) of each spec directory.
func (f *verifyFlags) run(args []string, stdout, stderr io.Writer) error {
	dirs, err := specDirs(args)
	if err != nil {
		return err
	}
	ok := true
	want, seen := list(f.property), map[string]bool{}
	for _, dir := range dirs {
		res, err := compileUnit(dir)
		if err != nil {
			printCompileError(stderr, err)
			ok = false
			continue
		}
		for _, p := range res.Spec.Properties {
			if len(want) == 0 || slices.Contains(want, p.Name) {
				seen[p.Name] = true
				ok = f.verifyProperty(stdout, dir, res.Spec, p) && ok
			}
		}
	}
	return propertiesResult(want, seen, dirs, ok)
}

// propertiesResult is a command's outcome over the properties it was asked for: an error
// naming one that no spec has, else exit 1 unless all went well.
func propertiesResult(want []string, seen map[string]bool, dirs []string, ok bool) error {
	for _, p := range want {
		if !seen[p] {
			return fmt.Errorf("no property %s in %v", p, dirs)
		}
	}
	if !ok {
		return exitError{code: 1}
	}
	return nil
}

// verifyProperty prints one property's N check and verdict proof; it reports whether both hold.
func (f *verifyFlags) verifyProperty(w io.Writer, dir string, spec *tables.Spec, p *tables.Property) bool {
	b := f.bounds
	fmt.Fprintf(w, "%s: %s\n", dir, p.Name)
	start := time.Now()
	findings := solver.VerifyN(spec, p)
	if len(findings) == 0 {
		fmt.Fprintf(w, "  N: Model-N-property agrees with bounded model checking on all %d configurations (N-max %d, N-th %d; %v)\n",
			len(p.NTable), p.NMax, p.Threshold, time.Since(start).Round(time.Millisecond))
	}
	for _, f := range findings {
		fmt.Fprintf(w, "  N: error: %s\n", f)
	}
	res, err := solver.VerifyVerdicts(spec, p, b)
	if err != nil {
		fmt.Fprintf(w, "  verdicts: error: %v\n", err)
		return false
	}
	res.Write(w)
	return len(findings) == 0 && accepted(w, res, f.allowBounded)
}

// accepted says whether a verdict proof is good enough: proven, and for runs of any length
// unless bounded proofs are allowed.
func accepted(w io.Writer, res solver.Result, allowBounded bool) bool {
	if res.Bounded() && !allowBounded {
		fmt.Fprintf(w, "  verdicts: proven only up to the bound (%d steps): not accepted without --allow-bounded\n", res.Bounds.Steps)
		return false
	}
	return res.Proven
}
