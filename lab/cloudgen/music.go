package cloudgen

import (
	"fmt"
	"io"
	"math"
)

// MusicSizes are the entity counts of a MuSIC Inter-Community Cloud.
type MusicSizes struct {
	Communities   int
	Organisations int
	Providers     int
	Services      int
	DataObjects   int
	Workflows     int
}

// MusicDefault is a MuSIC cloud of the size of the paper's largest OpenStack
// dataset in records: 100,000 data objects of 1,000 organisations on 200 providers.
func MusicDefault() MusicSizes {
	return MusicSizes{Communities: 10, Organisations: 1_000, Providers: 200, Services: 2_000, DataObjects: 100_000, Workflows: 10_000}
}

// Scale multiplies every count by f.
func (s MusicSizes) Scale(f float64) MusicSizes {
	m := func(n int) int { return int(math.Round(float64(n) * f)) }
	return MusicSizes{m(s.Communities), m(s.Organisations), m(s.Providers), m(s.Services), m(s.DataObjects), m(s.Workflows)}.Normalize()
}

// Normalize gives every count its minimum: one community.
func (s MusicSizes) Normalize() MusicSizes {
	s.Communities = max(s.Communities, 1)
	s.Organisations, s.Providers, s.Services = max(s.Organisations, 0), max(s.Providers, 0), max(s.Services, 0)
	s.DataObjects, s.Workflows = max(s.DataObjects, 0), max(s.Workflows, 0)
	if s.Organisations == 0 {
		s.DataObjects, s.Workflows = 0, 0
	}
	if s.Providers == 0 {
		s.Services = 0
	}
	return s
}

// Records is the number of records a snapshot of these sizes holds.
func (s MusicSizes) Records() int {
	return s.Communities + s.Organisations + s.Providers + s.Services + s.DataObjects + s.Workflows
}

// Levels are the MuSIC trust levels and protection classes, lowest first.
var Levels = []string{"public", "internal", "confidential", "secret"}

// Tags are the tags providers, services and data objects carry.
var Tags = []string{"eu", "gdpr", "health", "finance", "iso27001", "hpc", "us", "pci"}

// Music is a generated MuSIC cloud. Organisation o and provider p are in
// community o (p) mod Communities; service s runs on provider s mod Providers;
// data object d and workflow w belong to organisation d (w) mod Organisations. A
// provider's trust never exceeds its SLA level; a data object is stored, when
// at all, on a provider of its community that admits it (data_placement holds).
type Music struct {
	Seed  uint64
	Sizes MusicSizes
}

// NewMusic is the MuSIC cloud of these sizes and seed.
func NewMusic(seed uint64, s MusicSizes) *Music { return &Music{Seed: seed, Sizes: s.Normalize()} }

func (m *Music) CommunityID(c int) string    { return uuid(m.Seed, kCommunity, c) }
func (m *Music) OrganisationID(o int) string { return uuid(m.Seed, kOrganisation, o) }
func (m *Music) ProviderID(p int) string     { return uuid(m.Seed, kProvider, p) }
func (m *Music) ServiceID(s int) string      { return uuid(m.Seed, kService, s) }
func (m *Music) DataID(d int) string         { return uuid(m.Seed, kData, d) }
func (m *Music) WorkflowID(w int) string     { return uuid(m.Seed, kWorkflow, w) }

// tagSet is a random subset of Tags: each tag with probability p.
func (m *Music) tagSet(k kind, i int, p float64) []string {
	out := []string{}
	for j, t := range Tags {
		if frac(rnd(m.Seed, k, i, 16+uint64(j))) < p {
			out = append(out, t)
		}
	}
	return out
}

// ProviderTags, ProviderSLA and ProviderTrust describe provider p (levels as ranks).
func (m *Music) ProviderTags(p int) []string { return m.tagSet(kProvider, p, 0.6) }
func (m *Music) ProviderSLA(p int) int       { return 1 + int(rnd(m.Seed, kProvider, p, 1)%3) }
func (m *Music) ProviderTrust(p int) int {
	return m.ProviderSLA(p) - int(rnd(m.Seed, kProvider, p, 2)%2)
}

// DataClass and DataTags describe data object d.
func (m *Music) DataClass(d int) int     { return int(rnd(m.Seed, kData, d, 1) % 4) }
func (m *Music) DataTags(d int) []string { return m.tagSet(kData, d, 0.15) }

// admits says whether provider p may hold data object d.
func (m *Music) admits(p, d int) bool {
	if min(m.ProviderTrust(p), m.ProviderSLA(p)) < m.DataClass(d) {
		return false
	}
	have := m.ProviderTags(p)
	for _, t := range m.DataTags(d) {
		if !contains(have, t) {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// DataLocation is the provider storing data object d, -1 when it is not stored.
func (m *Music) DataLocation(d int) int {
	S := m.Sizes
	if S.Providers == 0 || frac(rnd(m.Seed, kData, d, 3)) < 0.1 {
		return -1
	}
	c := (d % S.Organisations) % S.Communities
	for try := range 8 {
		p := nth(S.Providers, S.Communities, c, int(rnd(m.Seed, kData, d, 4+uint64(try))%64))
		if p >= 0 && m.admits(p, d) {
			return p
		}
	}
	return -1
}

// WriteSnapshot writes the cloud as its registry lists it: communities,
// organisations, providers, services, data_objects and workflows. p may be nil.
func (m *Music) WriteSnapshot(w io.Writer, p *Progress) error {
	S := m.Sizes
	sw := newSnapWriter(w, p)
	colls := []struct {
		name string
		n    int
		rec  func([]byte, int) []byte
	}{
		{"communities", S.Communities, m.communityRec},
		{"organisations", S.Organisations, m.organisationRec},
		{"providers", S.Providers, m.providerRec},
		{"services", S.Services, m.serviceRec},
		{"data_objects", S.DataObjects, m.dataRec},
		{"workflows", S.Workflows, m.workflowRec},
	}
	for _, cl := range colls {
		if err := sw.collection(cl.name, cl.n, cl.rec); err != nil {
			return fmt.Errorf("write %s: %w", cl.name, err)
		}
	}
	return sw.close()
}

func (m *Music) communityRec(b []byte, c int) []byte {
	return newObj(b).str("id", m.CommunityID(c)).str("name", fmt.Sprintf("community-%03d", c)).done()
}

func (m *Music) organisationRec(b []byte, o int) []byte {
	return newObj(b).str("id", m.OrganisationID(o)).str("name", fmt.Sprintf("org-%05d", o)).
		str("community_id", m.CommunityID(o%m.Sizes.Communities)).done()
}

func (m *Music) providerRec(b []byte, p int) []byte {
	return newObj(b).str("id", m.ProviderID(p)).str("name", fmt.Sprintf("cloud-%04d", p)).
		str("community_id", m.CommunityID(p%m.Sizes.Communities)).strs("tags", m.ProviderTags(p)).
		str("trust", Levels[m.ProviderTrust(p)]).str("sla", Levels[m.ProviderSLA(p)]).
		num("cost", 1+int(rnd(m.Seed, kProvider, p, 7)%9)).raw("downtime", noDowntime).done()
}

// noDowntime is a registry entry's downtime window when none is announced.
var noDowntime = []byte(`{"from":0,"until":0}`)

// serviceKinds are the kinds of the generated services (workflow steps ask for a kind).
var serviceKinds = []string{"traffic", "blackspots", "roadblocks", "routing"}

func (m *Music) serviceRec(b []byte, s int) []byte {
	p := s % m.Sizes.Providers
	return newObj(b).str("id", m.ServiceID(s)).str("name", fmt.Sprintf("service-%05d", s)).
		str("provider_id", m.ProviderID(p)).strs("tags", m.ProviderTags(p)).
		str("kind", serviceKinds[s%len(serviceKinds)]).num("cost", int(rnd(m.Seed, kService, s, 7)%5)).
		num("workload", int(rnd(m.Seed, kService, s, 8)%100)).raw("downtime", noDowntime).str("billing", "per-call").done()
}

func (m *Music) dataRec(b []byte, d int) []byte {
	loc := ""
	if p := m.DataLocation(d); p >= 0 {
		loc = m.ProviderID(p)
	}
	return newObj(b).str("id", m.DataID(d)).str("owner", m.OrganisationID(d%m.Sizes.Organisations)).
		str("class", Levels[m.DataClass(d)]).num("criticality", 1+int(rnd(m.Seed, kData, d, 5)%5)).
		strs("tags", m.DataTags(d)).str("location", loc).boolean("vault", rnd(m.Seed, kData, d, 6)%4 == 0).done()
}

func (m *Music) workflowRec(b []byte, w int) []byte {
	S := m.Sizes
	o := w % S.Organisations
	o2 := newObj(b).str("id", m.WorkflowID(w)).str("name", fmt.Sprintf("workflow-%06d", w)).str("owner", m.OrganisationID(o))
	if d := nth(S.DataObjects, S.Organisations, o, int(rnd(m.Seed, kWorkflow, w, 1)%64)); d >= 0 {
		o2.str("data_id", m.DataID(d))
	}
	if w%3 == 0 {
		// A third of the workflows name their steps' kinds (1 to 4 of the services' kinds):
		// music/paths keeps those from the start.
		o2.strs("kinds", serviceKinds[:1+int(rnd(m.Seed, kWorkflow, w, 2)%uint64(len(serviceKinds)))])
	}
	return o2.done()
}
