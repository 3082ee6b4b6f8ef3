package trust

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"pvsc.dev/pvsc/music/neutral"
)

// Manager keeps every provider's trust inputs and current level. It reads the music model's
// operations (Observe) and says which set_trust operations the model needs. It is not safe
// for concurrent use.
type Manager struct {
	cfg Config
	// metrics are the security metrics' definitions (Define): a measurement of a metric
	// defined is judged by its target, and a miss costs its penalty; one not defined is judged
	// by the measurement's own target and direction, and a miss costs the rule's MissPenalty.
	// Apart from Config, which stays comparable.
	metrics   Metrics
	misses    []Miss // every measurement that missed its target, in arrival order
	providers map[string]*provider
	services  map[string]string // service → its provider
	steps     map[string]string // step → the provider it was handed to (directly or by a service)
}

type provider struct {
	id        string
	base, sla Level
	published Level     // what the model holds: registered, or the last set_trust
	outcomes  []float64 // oldest first
	counts    [3]int    // completed, failed, violated
	ratings   []rating  // each rater's latest, oldest first
	metrics   map[string]Metric
}

type rating struct {
	rater string
	score int64
}

// Metric is a security metric's latest measurement, judged by its definition.
type Metric struct {
	Name      string `json:"metric"`
	Value     int64  `json:"value"`
	Target    int64  `json:"target"`
	Direction string `json:"direction"` // max: value must not exceed target; min: must not fall below
	Unit      string `json:"unit,omitempty"`
	Point     string `json:"point,omitempty"` // the measurement point the definition names
	Penalty   int    `json:"penalty"`         // levels a miss costs
}

// Missed reports whether the measurement misses its target.
func (m Metric) Missed() bool {
	if m.Direction == "min" {
		return m.Value < m.Target
	}
	return m.Value > m.Target
}

func (m Metric) String() string {
	op := ">"
	if m.Direction == "min" {
		op = "<"
	}
	if !m.Missed() {
		op = map[string]string{">": "<=", "<": ">="}[op]
	}
	return fmt.Sprintf("%s %d %s target %d", m.Name, m.Value, op, m.Target)
}

// Change is a move of a provider's current level: the set_trust operation the model needs.
type Change struct {
	Provider string `json:"provider"`
	From     Level  `json:"from"`
	To       Level  `json:"to"`
	Cause    string `json:"cause"`
}

// Op is the change as the model's set_trust operation.
func (c Change) Op() neutral.Op {
	return neutral.Op{Event: "set_trust", Params: map[string]any{"provider_id": c.Provider, "trust": c.To.String()}}
}

// Notification is the change as the trust level manager publishes it (music_ops.pvsc's
// "music.trust.changed"); its cause marks it as the manager's, so that a reader does not take
// it for a new base.
func (c Change) Notification() map[string]any {
	return map[string]any{"event_type": "music.trust.changed", "payload": map[string]any{"provider_id": c.Provider, "trust": c.To.String(), "cause": c.Cause}}
}

// New makes a manager with the rule cfg (see Default).
func New(cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Manager{cfg: cfg, providers: map[string]*provider{}, services: map[string]string{}, steps: map[string]string{}}, nil
}

// Define sets the security metrics' definitions (Definitions of the spec, a config file's
// overrides over them); measurements read before keep the target they were judged by.
func (m *Manager) Define(ms Metrics) error {
	if err := ms.validate(); err != nil {
		return err
	}
	m.metrics = ms
	return nil
}

// Metrics are the definitions the manager judges measurements by.
func (m *Manager) Metrics() Metrics { return m.metrics }

// Config is the manager's rule.
func (m *Manager) Config() Config { return m.cfg }

// observers are the events the manager reads; every other event changes nothing it keeps.
var observers = map[string]func(m *Manager, p params) (string, error){
	"register_provider":   (*Manager).registerProvider,
	"set_trust":           (*Manager).setTrust,
	"deregister_provider": (*Manager).deregisterProvider,
	"register_service":    (*Manager).registerService,
	"deregister_service":  (*Manager).deregisterService,
	"hand_to_provider":    (*Manager).handToProvider,
	"hand_to_service":     (*Manager).handToService,
	"record_outcome":      (*Manager).recordOutcome,
	"rate_provider":       (*Manager).rateProvider,
	"report_measurement":  (*Manager).reportMeasurement,
}

// Observe reads one operation the model applied and returns the level changes it causes
// (at most one: the provider it concerns). An error says the operation could not be used
// (a step whose provider is unknown, a rating of an unknown provider); nothing changed.
func (m *Manager) Observe(op neutral.Op) ([]Change, error) {
	obs, ok := observers[op.Event]
	if !ok {
		return nil, nil
	}
	p := params(op.Params)
	cause, err := obs(m, p)
	if err != nil || cause == "" {
		return nil, err
	}
	return m.settle(m.concerned(op.Event, p), op.Event+" "+cause), nil
}

// concerned is the provider an operation's inputs belong to.
func (m *Manager) concerned(event string, p params) string {
	switch event {
	case "record_outcome":
		return m.steps[p.str("step_id")]
	case "register_service", "deregister_service", "hand_to_provider", "hand_to_service":
		return ""
	}
	return p.str("provider_id")
}

// settle recomputes a provider's level; a level other than the model's is a change.
func (m *Manager) settle(id, cause string) []Change {
	pr := m.providers[id]
	if pr == nil {
		return nil
	}
	cur := m.status(pr).Current
	if cur == pr.published {
		return nil
	}
	c := Change{Provider: id, From: pr.published, To: cur, Cause: cause}
	pr.published = cur
	return []Change{c}
}

func (m *Manager) registerProvider(p params) (string, error) {
	id := p.str("provider_id")
	if id == "" {
		return "", fmt.Errorf("register_provider: no provider_id")
	}
	sla, err := p.level("sla", Public)
	if err != nil {
		return "", err
	}
	// The contract's basic value is the trust registered (the SLA's level when none is),
	// capped by the SLA; the model holds the registered trust (public when none is).
	published, err := p.level("trust", Public)
	if err != nil {
		return "", err
	}
	base, _ := p.level("trust", sla)
	pr := m.providers[id]
	if pr == nil {
		pr = &provider{id: id, metrics: map[string]Metric{}}
		m.providers[id] = pr
	}
	pr.sla, pr.base, pr.published = sla, min(base, sla), published
	return fmt.Sprintf("%s (contract %s, SLA %s)", id, base, sla), nil
}

// setTrust reads a set_trust the manager did not emit as a new contractual base (an
// administrator's decision); the echo of the manager's own change leaves everything as is.
func (m *Manager) setTrust(p params) (string, error) {
	pr := m.providers[p.str("provider_id")]
	if pr == nil {
		return "", nil
	}
	l, err := p.level("trust", pr.published)
	if err != nil || l == pr.published {
		return "", err
	}
	pr.base, pr.published = min(l, pr.sla), l
	return fmt.Sprintf("%s %s from outside: the base is now %s", pr.id, l, pr.base), nil
}

func (m *Manager) deregisterProvider(p params) (string, error) {
	delete(m.providers, p.str("provider_id"))
	return "", nil
}

func (m *Manager) registerService(p params) (string, error) {
	m.services[p.str("service_id")] = p.str("provider_id")
	return "", nil
}

func (m *Manager) deregisterService(p params) (string, error) {
	delete(m.services, p.str("service_id"))
	return "", nil
}

func (m *Manager) handToProvider(p params) (string, error) {
	m.steps[p.str("step_id")] = p.str("provider")
	return "", nil
}

func (m *Manager) handToService(p params) (string, error) {
	m.steps[p.str("step_id")] = m.services[p.str("service")]
	return "", nil
}

func (m *Manager) recordOutcome(p params) (string, error) {
	step, outcome := p.str("step_id"), p.str("outcome")
	pr := m.providers[m.steps[step]]
	if pr == nil {
		return "", fmt.Errorf("record_outcome: step %q was not handed to a known provider", step)
	}
	vals := map[string]float64{"completed": m.cfg.Completed, "failed": m.cfg.Failed, "violated": m.cfg.Violated}
	v, ok := vals[outcome]
	if !ok {
		return "", fmt.Errorf("record_outcome: step %q: outcome %q (want completed, failed or violated)", step, outcome)
	}
	pr.outcomes = append(pr.outcomes, v)
	pr.counts[map[string]int{"completed": 0, "failed": 1, "violated": 2}[outcome]]++
	return fmt.Sprintf("%s %s at %s", step, outcome, pr.id), nil
}

func (m *Manager) rateProvider(p params) (string, error) {
	pr, err := m.known("rate_provider", p)
	if err != nil {
		return "", err
	}
	rater, score := p.str("rater"), p.int("score")
	if score < 0 || score > int64(m.cfg.MaxRating) {
		return "", fmt.Errorf("rate_provider: score %d of %s: want 0..%d", score, pr.id, m.cfg.MaxRating)
	}
	pr.ratings = append(removeRater(pr.ratings, rater), rating{rater: rater, score: score})
	return fmt.Sprintf("%s rated %d by %s", pr.id, score, rater), nil
}

func removeRater(rs []rating, rater string) []rating {
	out := rs[:0]
	for _, r := range rs {
		if r.rater != rater {
			out = append(out, r)
		}
	}
	return out
}

func (m *Manager) reportMeasurement(p params) (string, error) {
	pr, err := m.known("report_measurement", p)
	if err != nil {
		return "", err
	}
	mt, defined := m.measurement(p)
	if mt.Direction != "max" && mt.Direction != "min" {
		return "", fmt.Errorf("report_measurement: %s of %s: no definition, and direction %q (want max or min)", mt.Name, pr.id, mt.Direction)
	}
	pr.metrics[mt.Name] = mt
	if mt.Missed() {
		m.misses = append(m.misses, Miss{Provider: pr.id, Metric: mt, Defined: defined})
	}
	return fmt.Sprintf("%s %s", pr.id, mt), nil
}

// measurement reads a report_measurement: a metric the rule defines is judged by its
// definition (the spec is the contract; a measurement point reports values), any other by
// the target and direction the measurement carries.
func (m *Manager) measurement(p params) (Metric, bool) {
	mt := Metric{Name: p.str("name"), Value: p.int("value")}
	if def, ok := m.metrics[mt.Name]; ok {
		mt.Target, mt.Direction, mt.Unit, mt.Point, mt.Penalty = def.Target, def.Direction, def.Unit, def.Point, def.Penalty
		return mt, true
	}
	mt.Target, mt.Direction, mt.Penalty = p.int("target"), p.str("direction"), m.cfg.MissPenalty
	return mt, false
}

// Misses are every measurement that missed its target so far, in arrival order.
func (m *Manager) Misses() []Miss { return m.misses }

func (m *Manager) known(event string, p params) (*provider, error) {
	pr := m.providers[p.str("provider_id")]
	if pr == nil {
		return nil, fmt.Errorf("%s: unknown provider %q", event, p.str("provider_id"))
	}
	return pr, nil
}

// Status is a provider's level and what it is made of.
type Status struct {
	Provider   string     `json:"provider"`
	Base       Level      `json:"base"`
	SLA        Level      `json:"sla"`
	Experience Experience `json:"experience"`
	Reputation Reputation `json:"reputation"`
	Misses     []Metric   `json:"misses"`
	Penalty    int        `json:"penalty"` // levels the misses cost together
	Score      float64    `json:"score"`   // experience and reputation combined
	Offset     int        `json:"offset"`  // levels the score moves the base by
	Current    Level      `json:"current"`
}

// Experience is the score of a provider's past workflow steps.
type Experience struct {
	Score     float64 `json:"score"`
	Completed int     `json:"completed"`
	Failed    int     `json:"failed"`
	Violated  int     `json:"violated"`
}

// Reputation is the score of the other members' ratings.
type Reputation struct {
	Score   float64 `json:"score"`
	Ratings int     `json:"ratings"`
}

// Status is one provider's status; ok is false when the provider is unknown.
func (m *Manager) Status(id string) (Status, bool) {
	pr := m.providers[id]
	if pr == nil {
		return Status{}, false
	}
	return m.status(pr), true
}

// Statuses are every provider's, sorted by id.
func (m *Manager) Statuses() []Status {
	ids := make([]string, 0, len(m.providers))
	for id := range m.providers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]Status, len(ids))
	for i, id := range ids {
		out[i] = m.status(m.providers[id])
	}
	return out
}

func (m *Manager) status(pr *provider) Status {
	s := Status{Provider: pr.id, Base: pr.base, SLA: pr.sla, Misses: []Metric{}}
	s.Experience = Experience{Score: round(m.cfg.decayed(pr.outcomes)), Completed: pr.counts[0], Failed: pr.counts[1], Violated: pr.counts[2]}
	s.Reputation = Reputation{Score: round(m.cfg.decayed(m.ratingScores(pr))), Ratings: len(pr.ratings)}
	for _, name := range sortedKeys(pr.metrics) {
		if mt := pr.metrics[name]; mt.Missed() {
			s.Misses = append(s.Misses, mt)
			s.Penalty += mt.Penalty
		}
	}
	s.Score = m.cfg.combine(s.Experience.Score, s.Reputation.Score)
	s.Offset = m.cfg.offset(s.Score)
	s.Current = m.cfg.levelAfter(pr.base, pr.sla, s.Score, s.Penalty)
	return s
}

func (m *Manager) ratingScores(pr *provider) []float64 {
	out := make([]float64, len(pr.ratings))
	for i, r := range pr.ratings {
		out[i] = float64(r.score) / float64(m.cfg.MaxRating)
	}
	return out
}

// round keeps six decimals: scores are printed and compared, without float noise.
func round(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func sortedKeys(m map[string]Metric) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// MarshalText writes a level by name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a level by name.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(strings.TrimSpace(string(b)))
	*l = v
	return err
}
