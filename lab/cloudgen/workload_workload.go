package cloudgen

import (
	"encoding/json"
	"io"
	"math/rand/v2"
)

// WorkloadConfig sizes a workload: a small cloud, sized per tenant, and a stream in the neutral form or OpenStack's wire shapes. The same config gives the same workload.
type WorkloadConfig struct {
	Seed           uint64
	Tenants        int // projects in the snapshot
	PortsPerTenant int // ports per tenant in the snapshot (one is the network's DHCP port)
	Ops            int // operations in the stream
	// Native writes operations in OpenStack's wire shapes (Neutron and Nova
	// notifications, REST calls, Keystone CADF notifications) instead of the
	// neutral form, so that replay also measures interception.
	Native bool
	// AttackRate is the share of critical port updates aimed at ports bound
	// to a VM (the OSSA-2015-018 move, denied); the others are allowed.
	AttackRate float64
}

// Workload is a snapshot in the shapes the list APIs return and a stream of operations, one JSON document each.
type Workload struct {
	Snapshot map[string][]map[string]any
	Ops      []json.RawMessage
}

// WriteSnapshot writes the snapshot as one JSON object.
func (w *Workload) WriteSnapshot(out io.Writer) error {
	return json.NewEncoder(out).Encode(w.Snapshot)
}

// WriteOps writes the operations as JSON lines.
func (w *Workload) WriteOps(out io.Writer) error {
	for _, op := range w.Ops {
		if _, err := out.Write(append(op, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// wgen is the state a generator keeps to pick plausible targets.
type wgen struct {
	r   *rand.Rand
	cfg WorkloadConfig
	w   *Workload
	seq int
}

func newWGen(cfg WorkloadConfig) *wgen {
	return &wgen{r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5bd1e995)), cfg: cfg, w: &Workload{Snapshot: map[string][]map[string]any{}}}
}

func (g *wgen) record(collection string, rec map[string]any) {
	g.w.Snapshot[collection] = append(g.w.Snapshot[collection], rec)
}

func (g *wgen) emit(doc any) {
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // the generator only builds maps of plain values
	}
	g.w.Ops = append(g.w.Ops, b)
}

// neutral emits an operation in the neutral form.
func (g *wgen) neutral(event string, params map[string]any) {
	g.emit(map[string]any{"op": event, "params": params})
}

func (g *wgen) next() int { g.seq++; return g.seq }

// pick removes and returns a random element of a list.
func pick[T any](r *rand.Rand, xs *[]T) (T, bool) {
	var zero T
	if len(*xs) == 0 {
		return zero, false
	}
	i := r.IntN(len(*xs))
	x := (*xs)[i]
	(*xs)[i] = (*xs)[len(*xs)-1]
	*xs = (*xs)[:len(*xs)-1]
	return x, true
}
