package paths

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/music/trust"
)

// navigation is the seed's scenario: traffic, blackspot and roadblock data from different
// clouds combined by a routing service.
func navigation() Community {
	nav := []string{"navigation"}
	return Community{
		Providers: []Provider{
			{ID: "cloud-secure", Trust: trust.Secret, SLA: trust.Secret, Tags: []string{"navigation", "gdpr"}, Cost: 5},
			{ID: "cloud-budget", Trust: trust.Confidential, SLA: trust.Internal, Tags: nav, Cost: 1},
			{ID: "cloud-edge", Trust: trust.Confidential, SLA: trust.Confidential, Tags: nav, Cost: 2},
			{ID: "cloud-health", Trust: trust.Secret, SLA: trust.Secret, Tags: []string{"health"}, Cost: 1},
		},
		Services: []Service{
			{ID: "traffic-s", Kind: "traffic", Provider: "cloud-secure", Tags: nav, Cost: 4},
			{ID: "traffic-e", Kind: "traffic", Provider: "cloud-edge", Tags: nav, Cost: 1},
			{ID: "traffic-b", Kind: "traffic", Provider: "cloud-budget", Tags: nav, Cost: 0},
			{ID: "blackspots-e", Kind: "blackspots", Provider: "cloud-edge", Tags: nav, Cost: 2},
			{ID: "blackspots-h", Kind: "blackspots", Provider: "cloud-health", Tags: nav, Cost: 0},
			{ID: "routing-s", Kind: "routing", Provider: "cloud-secure", Tags: nav, Cost: 3},
			{ID: "routing-e", Kind: "routing", Provider: "cloud-edge", Tags: nil, Cost: 1},
			{ID: "routing-x", Kind: "routing", Provider: "cloud-gone", Tags: nav, Cost: 0},
		},
	}
}

var route = Workflow{Data: Data{ID: "blackspots", Class: trust.Confidential, Tags: []string{"navigation"}}, Steps: []string{"traffic", "blackspots", "routing"}}

func TestAdmissiblePathsCheapestFirst(t *testing.T) {
	r := Admissible(navigation(), route, 10)
	assert.Equal(t, uint64(2), r.Total)
	assert.Equal(t, []Path{
		{Cost: 3 + 4 + 8, Steps: []Candidate{{"traffic-e", "cloud-edge", 3}, {"blackspots-e", "cloud-edge", 4}, {"routing-s", "cloud-secure", 8}}},
		{Cost: 9 + 4 + 8, Steps: []Candidate{{"traffic-s", "cloud-secure", 9}, {"blackspots-e", "cloud-edge", 4}, {"routing-s", "cloud-secure", 8}}},
	}, r.Paths)
	assert.Equal(t, []Rejected{{"traffic-b", "cloud-budget", "provider cloud-budget holds at most internal (trust confidential, SLA internal) < class confidential"}}, r.Steps[0].Rejected,
		"the SLA caps the trust")
	assert.Equal(t, []Rejected{{"blackspots-h", "cloud-health", "provider cloud-health lacks tags navigation"}}, r.Steps[1].Rejected)
	assert.Equal(t, []Rejected{
		{"routing-e", "cloud-edge", "service lacks tags navigation"},
		{"routing-x", "cloud-gone", "provider cloud-gone is not registered"},
	}, r.Steps[2].Rejected)

	r = Admissible(navigation(), route, 1)
	assert.Len(t, r.Paths, 1, "--limit")
	assert.Equal(t, uint64(2), r.Total, "the count is of every admissible path")
}

func TestATrustDropRemovesPaths(t *testing.T) {
	c := navigation()
	c.Providers[2].Trust = trust.Internal // the trust level manager lowered cloud-edge
	r := Admissible(c, route, 10)
	assert.Equal(t, uint64(0), r.Total, "no blackspots service is left")
	assert.Empty(t, r.Paths)
	assert.Empty(t, r.Steps[1].Admissible)

	public := route
	public.Data.Class = trust.Internal
	assert.Equal(t, uint64(3), Admissible(c, public, 10).Total, "internal data still has paths, cloud-budget among them")
}

// TestMatchesBruteForce: on random communities, the listed paths are exactly the cheapest
// of all combinations that pass the admissibility check, in (cost, ids) order.
func TestMatchesBruteForce(t *testing.T) {
	seed := uint32(1)
	next := func(n int) int { seed = seed*1664525 + 1013904223; return int(seed>>16) % n }
	kinds := []string{"a", "b", "c"}
	tags := []string{"x", "y"}
	for run := range 200 {
		var c Community
		for p := range 1 + next(4) {
			c.Providers = append(c.Providers, Provider{ID: fmt.Sprintf("p%d", p), Trust: trust.Level(next(4)), SLA: trust.Level(next(4)), Tags: pick(tags, next), Cost: int64(next(3))})
		}
		for s := range next(9) {
			c.Services = append(c.Services, Service{ID: fmt.Sprintf("s%d", s), Kind: kinds[next(3)], Provider: fmt.Sprintf("p%d", next(5)), Tags: pick(tags, next), Cost: int64(next(4))})
		}
		w := Workflow{Data: Data{Class: trust.Level(next(4)), Tags: pick(tags, next)}}
		for range 1 + next(4) {
			w.Steps = append(w.Steps, kinds[next(3)])
		}
		limit := 1 + next(6)
		want := brute(c, w)
		r := Admissible(c, w, limit)
		require.Equal(t, uint64(len(want)), r.Total, "run %d", run)
		if len(want) > limit {
			want = want[:limit]
		}
		if len(want) == 0 {
			want = []Path{}
		}
		require.Equal(t, want, r.Paths, "run %d", run)
	}
}

func pick(from []string, next func(int) int) []string {
	var out []string
	for _, t := range from {
		if next(2) == 0 {
			out = append(out, t)
		}
	}
	return out
}

// brute lists every combination of services of the right kinds, keeps the admissible ones
// (the invariant's check, written out again), and sorts them.
func brute(c Community, w Workflow) []Path {
	provs := map[string]Provider{}
	for _, p := range c.Providers {
		provs[p.ID] = p
	}
	ok := func(s Service) bool {
		p, known := provs[s.Provider]
		return known && min(p.Trust, p.SLA) >= w.Data.Class && len(missing(w.Data.Tags, p.Tags)) == 0 && len(missing(w.Data.Tags, s.Tags)) == 0
	}
	paths := []Path{{}}
	for _, kind := range w.Steps {
		var next []Path
		for _, p := range paths {
			for _, s := range c.Services {
				if s.Kind == kind && ok(s) {
					cand := Candidate{s.ID, s.Provider, s.Cost + provs[s.Provider].Cost}
					next = append(next, Path{Cost: p.Cost + cand.Cost, Steps: append(append([]Candidate{}, p.Steps...), cand)})
				}
			}
		}
		paths = next
	}
	sort.Slice(paths, func(i, j int) bool {
		if paths[i].Cost != paths[j].Cost {
			return paths[i].Cost < paths[j].Cost
		}
		for k := range paths[i].Steps {
			if a, b := paths[i].Steps[k].Service, paths[j].Steps[k].Service; a != b {
				return a < b
			}
		}
		return false
	})
	return paths
}

func TestEnumerationIsLazy(t *testing.T) {
	// 12 steps of 10 candidates each: 10^12 paths; the cheapest 5 come at once.
	var c Community
	c.Providers = []Provider{{ID: "p", Trust: trust.Secret, SLA: trust.Secret}}
	w := Workflow{}
	for k := range 12 {
		kind := fmt.Sprintf("k%d", k)
		w.Steps = append(w.Steps, kind)
		for s := range 10 {
			c.Services = append(c.Services, Service{ID: fmt.Sprintf("%s-%d", kind, s), Kind: kind, Provider: "p", Cost: int64(s)})
		}
	}
	r := Admissible(c, w, 5)
	assert.Equal(t, uint64(1_000_000_000_000), r.Total)
	require.Len(t, r.Paths, 5)
	assert.Equal(t, []int64{0, 1, 1, 1, 1}, []int64{r.Paths[0].Cost, r.Paths[1].Cost, r.Paths[2].Cost, r.Paths[3].Cost, r.Paths[4].Cost})
	for i, step := range []int{11, 10, 9, 8} {
		assert.Equal(t, fmt.Sprintf("k%d-1", step), r.Paths[i+1].Steps[step].Service, "ties by the services' ids, step by step")
	}
}
