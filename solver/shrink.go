package solver

import (
	"time"

	"pvsc.dev/pvsc/solver/sym"
	"pvsc.dev/pvsc/solver/world"
	"pvsc.dev/pvsc/tables"
)

// shrinkBudget bounds the time spent making one counterexample readable.
const shrinkBudget = 2 * time.Second

// shrink makes a counterexample readable: it keeps bad and tries, one at a
// time, to do without each snapshot record, to give attributes their zero
// value, references a real id, and to leave optional parameters out. Each
// preference stays when the solver still finds a run; the model of the last
// successful solve is the counterexample.
func (pv *prover) shrink(r *run, steps []*step, bad sym.Lit) {
	deadline := time.Now().Add(shrinkBudget)
	kept := []sym.Lit{bad}
	for _, pref := range pv.preferences(r, steps) {
		if time.Now().After(deadline) {
			break
		}
		if try := append(kept, pref); r.solve(pv.b.All(try)) {
			kept = try
		}
	}
	r.solve(pv.b.All(kept))
}

func (pv *prover) preferences(r *run, steps []*step) []sym.Lit {
	d := &decoder{pv: pv, vs: r.model()}
	st := steps[0].pre
	var out []sym.Lit
	for e := range st.Exists {
		for i := range st.Exists[e] {
			if st.Ever[e][i] != pv.b.F {
				out = append(out, pv.b.And(st.Exists[e][i].Not(), st.Ever[e][i].Not()))
			}
		}
	}
	for e := range st.Exists {
		for i := range st.Exists[e] {
			out = append(out, pv.recordPrefs(st, int32(e), i)...)
		}
	}
	for _, s := range steps {
		out = append(out, pv.opPrefs(d, s.op)...)
	}
	return out
}

// recordPrefs: zero attributes, and parents and references that name real records.
func (pv *prover) recordPrefs(st *world.State, e int32, i int) []sym.Lit {
	var out []sym.Lit
	for k, p := range pv.m.Entities[e].Parents {
		out = append(out, pv.real(st.Parents[e][i][k], p), pv.plain(st.Parents[e][i][k], p))
	}
	for a, at := range pv.m.Entities[e].Attrs {
		v := st.Attrs[e][i][a]
		if at.Type.Kind == tables.TRef {
			out = append(out, pv.real(v.S, at.Type.Ref), pv.plain(v.S, at.Type.Ref))
		}
		out = append(out, pv.zero(v))
	}
	return out
}

// plain is "s is not one of the spec's string constants" (a foreign id then reads as `other`).
func (pv *prover) plain(s sym.Scalar, e int32) sym.Lit {
	var ls []sym.Lit
	for _, a := range s {
		if _, ok := pv.w.SlotOf(e, a.Key); ok || a.Key == 0 || pv.b.Dom.Str(a.Key) == world.Other {
			ls = append(ls, a.L)
		}
	}
	return pv.b.Any(ls)
}

// real is "s is empty or names a slot of entity e".
func (pv *prover) real(s sym.Scalar, e int32) sym.Lit {
	var ls []sym.Lit
	for _, a := range s {
		if _, ok := pv.w.SlotOf(e, a.Key); ok || a.Key == 0 {
			ls = append(ls, a.L)
		}
	}
	return pv.b.Any(ls)
}

func (pv *prover) zero(v sym.Val) sym.Lit {
	switch v.K {
	case sym.KBool:
		return v.B.Not()
	case sym.KList:
		var ls []sym.Lit
		for _, el := range v.L.Elems() {
			ls = append(ls, el.G.Not())
		}
		return pv.b.All(ls)
	}
	return pv.b.Is(v.S, 0)
}

// opPrefs: the chosen event's optional parameters absent, references real.
func (pv *prover) opPrefs(d *decoder, op *world.Op) []sym.Lit {
	ev := d.event(op)
	if ev < 0 {
		return nil
	}
	var out []sym.Lit
	for i, p := range pv.m.Events[ev].Params {
		if op.Has[ev][i] == pv.b.T || op.Has[ev][i] == pv.b.F {
			continue
		}
		out = append(out, op.Has[ev][i].Not())
		if p.Type.Kind == tables.TRef {
			out = append(out, pv.real(op.Params[ev][i].S, p.Type.Ref), pv.plain(op.Params[ev][i].S, p.Type.Ref))
		}
	}
	return out
}
