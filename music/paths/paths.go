// Package paths determines MuSIC's admissible workflow paths: given a workflow (its data
// object's class and tags, its ordered steps as service kinds) and the community (providers
// with trust, SLA, tags and cost; services with kind, provider, tags and cost), every
// assignment of a service (and so its provider) to each step that the tagging scheme and the
// trust levels admit, cheapest first. The rule is the one data_placement and
// workflow_admissibility apply: a provider is admissible when min(trust, sla) reaches the
// data's class and its tags cover the data's tags; a service, when its provider is and its own
// tags cover the data's tags too.
package paths

import (
	"container/heap"
	"fmt"
	"slices"
	"sort"
	"strings"

	"pvsc.dev/pvsc/music/trust"
)

// Data is the data object a workflow processes.
type Data struct {
	ID    string      `json:"id,omitempty"`
	Class trust.Level `json:"class"`
	Tags  []string    `json:"tags"`
}

// Provider is a member cloud.
type Provider struct {
	ID    string      `json:"id"`
	Trust trust.Level `json:"trust"`
	SLA   trust.Level `json:"sla"`
	Tags  []string    `json:"tags"`
	Cost  int64       `json:"cost"`
}

// Level is what the provider may hold: its trust, never above its SLA.
func (p Provider) Level() trust.Level { return min(p.Trust, p.SLA) }

// Service is a service a provider offers.
type Service struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Provider string   `json:"provider"`
	Tags     []string `json:"tags"`
	Cost     int64    `json:"cost"`
}

// Community is the registry's providers and services.
type Community struct {
	Providers []Provider `json:"providers"`
	Services  []Service  `json:"services"`
}

// Workflow is the data and the ordered steps, each a service kind.
type Workflow struct {
	Data  Data     `json:"data"`
	Steps []string `json:"steps"`
}

// Candidate is a service (and its provider) for one step, with the step's cost: the
// service's plus the provider's.
type Candidate struct {
	Service  string `json:"service"`
	Provider string `json:"provider"`
	Cost     int64  `json:"cost"`
}

func (c Candidate) String() string { return c.Service + "@" + c.Provider }

// Rejected is a service of the step's kind that the data does not admit, and why.
type Rejected struct {
	Service  string `json:"service"`
	Provider string `json:"provider"`
	Reason   string `json:"reason"`
}

// Step is one step's admissible candidates (cheapest first) and the rejected services.
type Step struct {
	Kind       string      `json:"kind"`
	Admissible []Candidate `json:"admissible"`
	Rejected   []Rejected  `json:"rejected"`
}

// Path is one admissible assignment: a candidate for every step.
type Path struct {
	Cost  int64       `json:"cost"`
	Steps []Candidate `json:"steps"`
}

// Result is every step's candidates, how many admissible paths there are, and the cheapest
// of them up to the limit.
type Result struct {
	Workflow Workflow `json:"workflow"`
	Steps    []Step   `json:"steps"`
	// Total is the number of admissible paths (the product of the steps' candidates),
	// saturated at MaxTotal.
	Total uint64 `json:"total"`
	Paths []Path `json:"paths"`
}

// MaxTotal is where Total saturates.
const MaxTotal = uint64(1) << 62

// Admissible lists the admissible paths of w through c, cheapest first (ties by the services'
// ids, step by step), at most limit of them (limit <= 0: none, only the counts). Inadmissible
// services are pruned per step first; the paths are then enumerated best-first, so listing k
// paths costs O(k · steps · log k) whatever the number of combinations.
func Admissible(c Community, w Workflow, limit int) Result {
	r := Result{Workflow: w, Steps: make([]Step, len(w.Steps)), Paths: []Path{}}
	providers := map[string]Provider{}
	for _, p := range c.Providers {
		providers[p.ID] = p
	}
	r.Total = 1
	for i, kind := range w.Steps {
		r.Steps[i] = candidates(providers, c.Services, w.Data, kind)
		r.Total = mulSat(r.Total, uint64(len(r.Steps[i].Admissible)))
	}
	if len(w.Steps) == 0 {
		r.Total = 0
	}
	if r.Total > 0 && limit > 0 {
		r.Paths = cheapest(r.Steps, limit)
	}
	return r
}

// candidates prunes the services of one step's kind to those the data admits.
func candidates(providers map[string]Provider, services []Service, d Data, kind string) Step {
	st := Step{Kind: kind, Admissible: []Candidate{}, Rejected: []Rejected{}}
	for _, s := range services {
		if s.Kind != kind {
			continue
		}
		p, ok := providers[s.Provider]
		if why := reject(p, ok, s, d); why != "" {
			st.Rejected = append(st.Rejected, Rejected{Service: s.ID, Provider: s.Provider, Reason: why})
			continue
		}
		st.Admissible = append(st.Admissible, Candidate{Service: s.ID, Provider: s.Provider, Cost: s.Cost + p.Cost})
	}
	sort.Slice(st.Admissible, func(i, j int) bool {
		a, b := st.Admissible[i], st.Admissible[j]
		return a.Cost < b.Cost || a.Cost == b.Cost && a.Service < b.Service
	})
	sort.Slice(st.Rejected, func(i, j int) bool { return st.Rejected[i].Service < st.Rejected[j].Service })
	return st
}

// reject says why the data may not go to the service, "" when it may.
func reject(p Provider, known bool, s Service, d Data) string {
	switch {
	case !known:
		return fmt.Sprintf("provider %s is not registered", s.Provider)
	case p.Level() < d.Class:
		return fmt.Sprintf("provider %s holds at most %s (trust %s, SLA %s) < class %s", p.ID, p.Level(), p.Trust, p.SLA, d.Class)
	}
	if miss := missing(d.Tags, p.Tags); len(miss) > 0 {
		return fmt.Sprintf("provider %s lacks tags %s", p.ID, strings.Join(miss, ", "))
	}
	if miss := missing(d.Tags, s.Tags); len(miss) > 0 {
		return fmt.Sprintf("service lacks tags %s", strings.Join(miss, ", "))
	}
	return ""
}

func missing(want, have []string) []string {
	var out []string
	for _, t := range want {
		if !slices.Contains(have, t) {
			out = append(out, t)
		}
	}
	return out
}

func mulSat(a, b uint64) uint64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > MaxTotal/b {
		return MaxTotal
	}
	return a * b
}

// cheapest enumerates the k cheapest index vectors over the steps' sorted candidates: the
// cheapest is all zeros; a vector's successors raise one index at or after the last one
// raised, so every vector is reached exactly once, and only from a cheaper one.
func cheapest(steps []Step, k int) []Path {
	h := &pathHeap{steps: steps}
	heap.Push(h, node{idx: make([]int, len(steps)), cost: costOf(steps, make([]int, len(steps)))})
	var out []Path
	for h.Len() > 0 && len(out) < k {
		n := heap.Pop(h).(node)
		out = append(out, pathOf(steps, n))
		for j := n.last; j < len(steps); j++ {
			if n.idx[j]+1 >= len(steps[j].Admissible) {
				continue
			}
			idx := slices.Clone(n.idx)
			idx[j]++
			heap.Push(h, node{idx: idx, last: j, cost: costOf(steps, idx)})
		}
	}
	return out
}

type node struct {
	idx  []int
	last int
	cost int64
}

func costOf(steps []Step, idx []int) int64 {
	var c int64
	for i, k := range idx {
		c += steps[i].Admissible[k].Cost
	}
	return c
}

func pathOf(steps []Step, n node) Path {
	p := Path{Cost: n.cost, Steps: make([]Candidate, len(steps))}
	for i, k := range n.idx {
		p.Steps[i] = steps[i].Admissible[k]
	}
	return p
}

// pathHeap orders nodes by cost, then by their services' ids step by step.
type pathHeap struct {
	steps []Step
	nodes []node
}

func (h *pathHeap) Len() int      { return len(h.nodes) }
func (h *pathHeap) Swap(i, j int) { h.nodes[i], h.nodes[j] = h.nodes[j], h.nodes[i] }
func (h *pathHeap) Push(x any)    { h.nodes = append(h.nodes, x.(node)) }
func (h *pathHeap) Pop() any {
	n := h.nodes[len(h.nodes)-1]
	h.nodes = h.nodes[:len(h.nodes)-1]
	return n
}

func (h *pathHeap) Less(i, j int) bool {
	a, b := h.nodes[i], h.nodes[j]
	if a.cost != b.cost {
		return a.cost < b.cost
	}
	for s := range a.idx {
		x, y := h.steps[s].Admissible[a.idx[s]].Service, h.steps[s].Admissible[b.idx[s]].Service
		if x != y {
			return x < y
		}
	}
	return false
}
