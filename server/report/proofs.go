package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Proof is one property's proofs as pvsc verify printed them: the N table's check and the
// verdict proof with its bounds and claims.
type Proof struct {
	Spec, Property string
	N              string // "Model-N-property agrees ..." or "error: ..."
	Verdict        string // proven, NOT proven, or error: ...
	Bounds         string // the scope searched: records per entity, run length, ids
	Claims         []Claim
	Notes          []string // verify's remarks, e.g. a proof accepted only up to the bound
}

// Claim is one claim of a verdict proof and how it was settled.
type Claim struct {
	Claim, Outcome string
	Counterexample []string
}

// ReadProofs reads the output of pvsc verify (its text form: verify has no other).
func ReadProofs(path string) ([]Proof, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readProofs(path, f)
}

func readProofs(name string, r io.Reader) ([]Proof, error) {
	var out []Proof
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		if err := proofLine(&out, sc.Text()); err != nil {
			return nil, &LineError{File: name, Line: n, Err: err}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no proofs (want the output of pvsc verify)", name)
	}
	return out, nil
}

// proofLine adds one line of verify's output: "DIR: property" opens a property, two spaces
// indent its N and verdict lines, four its claims, six a counterexample.
func proofLine(out *[]Proof, line string) error {
	trimmed := strings.TrimSpace(line)
	indent := len(line) - len(strings.TrimLeft(line, " "))
	if trimmed == "" {
		return nil
	}
	if indent == 0 {
		spec, prop, ok := strings.Cut(trimmed, ": ")
		if !ok || strings.Contains(prop, " ") {
			return fmt.Errorf("not a line of pvsc verify: %q", trimmed)
		}
		*out = append(*out, Proof{Spec: spec, Property: prop})
		return nil
	}
	if len(*out) == 0 {
		return errors.New("a proof line before any property (want the output of pvsc verify)")
	}
	p := &(*out)[len(*out)-1]
	switch {
	case indent >= 6 && len(p.Claims) > 0:
		c := &p.Claims[len(p.Claims)-1]
		c.Counterexample = append(c.Counterexample, trimmed)
	case indent >= 4:
		claim, outcome, _ := strings.Cut(trimmed, ": ")
		p.Claims = append(p.Claims, Claim{Claim: claim, Outcome: outcome})
	default:
		p.header(trimmed)
	}
	return nil
}

// header reads a property's "N: ..." or "verdicts: ..." line.
func (p *Proof) header(s string) {
	switch {
	case strings.HasPrefix(s, "N: "):
		p.N = strings.TrimPrefix(s, "N: ")
	case strings.HasPrefix(s, "verdicts: ") && p.Verdict == "":
		v := strings.TrimPrefix(s, "verdicts: ")
		verdict, scope, _ := strings.Cut(v, " (")
		p.Verdict = verdict
		if i := strings.LastIndex(scope, ", "); i >= 0 {
			scope = scope[:i] // the time the proof took
		}
		p.Bounds = scope
	default:
		p.Notes = append(p.Notes, s)
	}
}
