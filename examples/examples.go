// Package examples holds runnable scenarios of the verifier on the shipped specs, printed step by step: `pvsc demo` runs them.
package examples

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/tables"
)

// Example is one scenario.
type Example struct {
	Name, Title string
	Spec        string // directory under the specs root
	Watch       []watch
	Steps       []Step
}

// watch names a property and scope whose watchlist is printed after every step.
type watch struct{ property, scope string }

// Step is one operation in any form the interceptor reads (neutral, notification, REST).
type Step struct {
	Say string // what the step means, printed before it
	Op  string
}

// Scenario is what the demo runs: an example on the engine, or a journey through the
// engine and the trust level manager.
type Scenario interface {
	ID() string
	Run(root string, w io.Writer) error
}

// All lists the scenarios in the order the demo runs them.
func All() []Scenario {
	return []Scenario{OSSA(), CrossDomainGrant(), MusicWorkflow(), Navigation()}
}

// ID is the example's name.
func (x Example) ID() string { return x.Name }

// Run runs one example against the specs under root, printing every step.
func (x Example) Run(root string, w io.Writer) error {
	e, err := engineOf(root, x.Spec)
	if err != nil {
		return err
	}
	in := intercept.New(e)
	fmt.Fprintf(w, "== %s\n", x.Title)
	n := 0
	for i, s := range x.Steps {
		if s.Say != "" {
			n++
			fmt.Fprintf(w, "\n%d. %s\n", n, s.Say)
		}
		ops, err := in.Line([]byte(s.Op))
		if err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		for k := range ops {
			if err := x.step(e, &ops[k], k == 0, w); err != nil {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
		}
		if i+1 == len(x.Steps) || x.Steps[i+1].Say != "" {
			x.printWatchlists(e, w)
		}
	}
	fmt.Fprintln(w)
	return nil
}

// step processes one operation and prints, for the watched properties, its kind, N-cp, verdict and reason.
// Operations another model also maps (create_domain is in both OpenStack
// models) are printed only when a watched property is concerned.
func (x Example) step(e *runtime.Engine, op *runtime.Op, first bool, w io.Writer) error {
	line := e.Format(op)
	d := e.Process(op)
	if d.Err != nil {
		return d.Err
	}
	printed := false
	for i := 0; i < d.Len(); i++ {
		c := d.At(i)
		p := e.Spec().Properties[c.Property].Name
		if !x.watches(p) {
			continue
		}
		if !printed {
			fmt.Fprintf(w, "   %s\n", line)
			printed = true
		}
		fmt.Fprintf(w, "   %-22s %s  N-cp %s  %s\n", p, runtime.KindName(c.Kind), ncp(c.NCP), strings.ToUpper(c.Verdict.String()))
		if c.Kind == tables.CE && c.Why != runtime.WhyNotCritical {
			fmt.Fprintf(w, "      %s\n", d.Reason(i))
		}
	}
	if !printed && first {
		fmt.Fprintf(w, "   %s\n", line)
	}
	if d.Blocked {
		fmt.Fprintf(w, "   => blocked: the operation does not reach the cloud\n")
	}
	return nil
}

func (x Example) watches(p string) bool {
	for _, wt := range x.Watch {
		if wt.property == p {
			return true
		}
	}
	return false
}

func (x Example) printWatchlists(e *runtime.Engine, w io.Writer) {
	for _, wt := range x.Watch {
		st, err := e.Scope(wt.property, wt.scope)
		if err != nil {
			continue
		}
		prop := e.Spec().Property(wt.property)
		if !st.Watched {
			fmt.Fprintf(w, "   watchlist %s[%s]: none (N-cp %s > N-th %d)\n", prop.Watchlist.Name, wt.scope, ncp(st.NCP), st.Threshold)
			continue
		}
		fmt.Fprintf(w, "   watchlist %s[%s] = {%s}  (N-cp %s, N-th %d)\n", prop.Watchlist.Name, wt.scope, strings.Join(st.Elements, ", "), ncp(st.NCP), st.Threshold)
	}
}

func ncp(n int32) string {
	switch n {
	case -1:
		return "?"
	case 0:
		return "∞"
	}
	return fmt.Sprint(n)
}

// neutral writes an operation in the neutral form.
func neutral(event string, params ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"op": %q, "params": {`, event)
	for i := 0; i+1 < len(params); i += 2 {
		if i > 0 {
			b.WriteString(", ")
		}
		v := params[i+1]
		if _, err := strconv.Atoi(v); err != nil && !strings.HasPrefix(v, "[") && v != "true" && v != "false" {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, "%q: %s", params[i], v)
	}
	b.WriteString("}}")
	return b.String()
}

// engineOf is an engine of the spec directory spec under root, with an empty context.
func engineOf(root, spec string) (*runtime.Engine, error) {
	res, err := compiler.CompileDir(filepath.Join(root, spec))
	if err != nil {
		return nil, err
	}
	return runtime.New(res.Spec, res.Envs, runtime.Options{})
}
