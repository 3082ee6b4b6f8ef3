package solver

import (
	"fmt"
	"io"
	"strings"
)

// Claim is what proving a kind establishes.
func (k Kind) Claim() string {
	return [...]string{
		"every critical operation's verdict equals the invariant on the state it would produce",
		"no non-critical operation breaks the invariant",
		"violating critical operations arrive only in scopes at or below N-th",
	}[k]
}

// Scope describes where the runs start and how long they are.
func (r Result) Scope() string {
	start := "any snapshot satisfying the invariant"
	if r.Bounds.FromEmpty {
		start = "the empty cloud"
	}
	ids := "ids are fresh (UUIDs)"
	switch {
	case r.Bounds.ReuseIDs:
		ids = "ids may be reused"
	case r.Bounds.Redeliver:
		ids = "ids are fresh (UUIDs), creates may be re-delivered"
	}
	return fmt.Sprintf("records %s; runs of up to %d operations from %s; %s", slotCounts(r.Bounds), r.Bounds.Steps, start, ids)
}

func slotCounts(b Bounds) string {
	s := b.String()
	return strings.TrimSuffix(s[:strings.LastIndex(s, "steps=")], ",")
}

// Write prints the result: each claim with its outcome, and each counterexample.
func (r Result) Write(w io.Writer) {
	fmt.Fprintf(w, "  verdicts: %s (%s, %v)\n", r.verdict(), r.Scope(), r.Time.Round(1e6))
	for k, o := range r.Outcomes {
		fmt.Fprintf(w, "    %s: %s\n", Kind(k).Claim(), o)
		if c := r.Counterexamples[k]; c != nil {
			for _, line := range strings.Split(strings.TrimRight(c.String(), "\n"), "\n") {
				fmt.Fprintf(w, "      %s\n", line)
			}
		}
	}
}

func (r Result) verdict() string {
	if r.Proven {
		return "proven"
	}
	return "NOT proven"
}
