package feed

import "pvsc.dev/pvsc/runtime"

// Gate is a judge beside the properties with state of its own, kept from what the pipeline
// applies: MuSIC's keeper of admissible workflow paths. The decision API asks it about an
// operation the properties allow; the pipeline tells it, in order, each operation it applied
// and each context it loaded. Refuse runs on the decision path, so it must be a lookup;
// Applied and Reloaded run under the pipeline's mutex, off it.
type Gate interface {
	// Refuse says whether the gate refuses an operation the properties allowed, with the
	// kind of refusal and a message naming what it leaves.
	Refuse(op *runtime.Op) (kind, message string, refused bool)
	// Applied is told each operation that changed the context.
	Applied(op *runtime.Op)
	// Reloaded is told that the context was replaced (a snapshot, the store's base).
	Reloaded()
}

func (p *Pipeline) applied(op *runtime.Op) {
	if p.cfg.Gate != nil {
		p.cfg.Gate.Applied(op)
	}
}

func (p *Pipeline) reloaded() {
	if p.cfg.Gate != nil {
		p.cfg.Gate.Reloaded()
	}
}
