// Package solver proves compiled PVSC tables and verdicts with the gini SAT solver and is the intercept-and-check baseline.
//
// Three jobs share one set of encodings:
//   - VerifyN is bounded model checking of the abstract dependency model: it
//     recomputes every configuration's N by SAT and reports where
//     Model-N-property disagrees;
//   - VerifyVerdicts searches a bounded cloud for an operation sequence after
//     which the proactive plan (watchlists, N-cp, allow rules) and the
//     property's invariant disagree, and proves there is none when UNSAT;
//   - Baseline decides one critical operation the intercept-and-check way, by
//     encoding state, effect and invariant as CNF.
//
// The semantics encoded is docs/SEMANTICS.md; docs/SOLVER.md describes the encodings.
package solver
