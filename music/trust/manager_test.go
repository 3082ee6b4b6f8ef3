package trust

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/music/neutral"
)

func op(event string, kv ...any) neutral.Op {
	p := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return neutral.Op{Event: event, Params: p}
}

// manager has one provider, cloud-a, registered with trust base under ceiling sla.
func manager(t *testing.T, cfg Config, base, sla string) *Manager {
	t.Helper()
	m, err := New(cfg)
	require.NoError(t, err)
	changes, err := m.Observe(op("register_provider", "provider_id", "cloud-a", "trust", base, "sla", sla))
	require.NoError(t, err)
	require.Empty(t, changes, "a provider registered within its SLA is at its base")
	return m
}

func observe(t *testing.T, m *Manager, o neutral.Op) []Change {
	t.Helper()
	c, err := m.Observe(o)
	require.NoError(t, err)
	return c
}

func current(t *testing.T, m *Manager) Level {
	t.Helper()
	s, ok := m.Status("cloud-a")
	require.True(t, ok)
	return s.Current
}

// step hands a step to cloud-a and records its outcome.
func step(t *testing.T, m *Manager, id, outcome string) []Change {
	t.Helper()
	observe(t, m, op("hand_to_provider", "step_id", id, "provider", "cloud-a"))
	return observe(t, m, op("record_outcome", "step_id", id, "outcome", outcome))
}

func TestTrustNeverAboveTheSLA(t *testing.T) {
	m := manager(t, Default(), "confidential", "confidential")
	for _, id := range []string{"s1", "s2", "s3", "s4", "s5", "s6"} {
		assert.Empty(t, step(t, m, id, "completed"), "a provider at its SLA is never raised")
	}
	s, _ := m.Status("cloud-a")
	assert.Equal(t, 1, s.Offset, "the score earns a level")
	assert.Equal(t, Confidential, s.Current, "but the SLA caps it")

	// Registered above its SLA, a provider is brought down to it at once.
	changes := observe(t, m, op("register_provider", "provider_id", "cloud-b", "trust", "secret", "sla", "internal"))
	assert.Equal(t, []Change{{Provider: "cloud-b", From: Secret, To: Internal, Cause: "register_provider cloud-b (contract secret, SLA internal)"}}, changes)

	for _, c := range []struct{ base, sla, want Level }{{Secret, Internal, Internal}, {Public, Secret, Internal}, {Secret, Secret, Secret}} {
		assert.Equal(t, c.want, Default().Level(c.base, c.sla, 0.9, 0), "raise %v under %v", c.base, c.sla)
	}
	assert.Equal(t, Public, Default().Level(Internal, Secret, 0.1, 3), "never below public")
}

func TestExperienceRaisesAndLowers(t *testing.T) {
	m := manager(t, Default(), "internal", "secret")
	assert.Empty(t, step(t, m, "s1", "completed"))
	assert.Empty(t, step(t, m, "s2", "completed"))
	changes := step(t, m, "s3", "completed")
	assert.Equal(t, []Change{{Provider: "cloud-a", From: Internal, To: Confidential, Cause: "record_outcome s3 completed at cloud-a"}}, changes)
	assert.Equal(t, Set{"set_trust", "cloud-a", "confidential"}, setOf(changes[0].Op()))

	changes = step(t, m, "s4", "violated")
	assert.Equal(t, Public, changes[0].To, "one violation after three completed steps falls below the base (internal)")
	s, _ := m.Status("cloud-a")
	assert.Equal(t, Experience{Score: s.Experience.Score, Completed: 3, Violated: 1}, s.Experience)
	assert.Equal(t, -1, s.Offset)
}

type Set struct{ Event, Provider, Trust string }

func setOf(o neutral.Op) Set {
	return Set{o.Event, o.Params["provider_id"].(string), o.Params["trust"].(string)}
}

func TestFailuresLowerOnlyWhenTheyPileUp(t *testing.T) {
	m := manager(t, Default(), "confidential", "secret")
	var moved []int
	for i, id := range []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"} {
		if len(step(t, m, id, "failed")) > 0 {
			moved = append(moved, i+1)
		}
	}
	assert.Equal(t, []int{3}, moved, "the third failure in a row costs a level, and no more")
	assert.Equal(t, Internal, current(t, m))
}

func TestDecayForgetsOldOutcomes(t *testing.T) {
	// Three violations long ago, then a run of completed steps: with decay the provider
	// recovers its base; without decay (1) the violations weigh as much as ever.
	run := func(decay float64) Level {
		cfg := Default()
		cfg.Decay = decay
		m := manager(t, cfg, "confidential", "confidential")
		step(t, m, "v1", "violated")
		step(t, m, "v2", "violated")
		step(t, m, "v3", "violated")
		for _, id := range []string{"s1", "s2", "s3", "s4", "s5", "s6"} {
			step(t, m, id, "completed")
		}
		return current(t, m)
	}
	assert.Equal(t, Confidential, run(0.5))
	assert.Equal(t, Confidential, run(0.8))
	assert.Equal(t, Internal, run(1))

	assert.InDelta(t, 0.7, Default().decayed(nil), 1e-9, "no history: the prior")
	cfg := Default()
	cfg.Decay = 0
	assert.InDelta(t, (0.7*2+1)/3, cfg.decayed([]float64{-1, -1, 1}), 1e-9, "decay 0 keeps only the newest")
}

func TestReputationFromOtherMembersRatings(t *testing.T) {
	rate := func(m *Manager, rater string, score any) []Change {
		return observe(t, m, op("rate_provider", "provider_id", "cloud-a", "rater", rater, "score", score))
	}
	// Two completed steps are not quite a raise (0.799); a member's top rating tips it.
	m := manager(t, Default(), "internal", "secret")
	step(t, m, "s1", "completed")
	assert.Empty(t, step(t, m, "s2", "completed"))
	s, _ := m.Status("cloud-a")
	assert.Equal(t, 0.799474, s.Score)
	changes := rate(m, "org-1", int64(5))
	assert.Equal(t, []Change{{Provider: "cloud-a", From: Internal, To: Confidential, Cause: "rate_provider cloud-a rated 5 by org-1"}}, changes)

	// One failure alone keeps the base; a bad rating with it costs a level; the member's
	// new rating replaces its last one and gives the level back.
	m = manager(t, Default(), "internal", "secret")
	assert.Empty(t, step(t, m, "s1", "failed"))
	assert.Equal(t, Public, rate(m, "org-1", float64(0))[0].To, "JSON numbers are float64")
	assert.Equal(t, Internal, rate(m, "org-1", int64(5))[0].To)
	s, _ = m.Status("cloud-a")
	assert.Equal(t, Reputation{Score: 0.8, Ratings: 1}, s.Reputation)

	// Ratings alone move no level, however bad.
	m = manager(t, Default(), "internal", "secret")
	for _, org := range []string{"org-1", "org-2", "org-3", "org-4"} {
		assert.Empty(t, rate(m, org, int64(0)))
	}
	s, _ = m.Status("cloud-a")
	assert.Equal(t, 4, s.Reputation.Ratings)
	assert.Less(t, s.Reputation.Score, 0.3)

	_, err := m.Observe(op("rate_provider", "provider_id", "cloud-a", "rater", "org-1", "score", int64(6)))
	assert.EqualError(t, err, "rate_provider: score 6 of cloud-a: want 0..5")
	_, err = m.Observe(op("rate_provider", "provider_id", "cloud-z", "rater", "org-1", "score", int64(3)))
	assert.EqualError(t, err, `rate_provider: unknown provider "cloud-z"`)
}

// TestInputsNeverMoveAgainstTheirSign: a completed step or a top rating never lowers a level,
// a violation or a zero rating never raises one, over pseudo-random histories.
func TestInputsNeverMoveAgainstTheirSign(t *testing.T) {
	outcomes := []string{"completed", "failed", "violated"}
	seed := uint32(7)
	next := func(n int) int { seed = seed*1664525 + 1013904223; return int(seed>>16) % n }
	for run := range 50 {
		m := manager(t, Default(), Levels[next(4)], "secret")
		for i := range 30 {
			var changes []Change
			good := false
			switch next(2) {
			case 0:
				o := outcomes[next(3)]
				good = o == "completed"
				changes = step(t, m, fmt.Sprintf("r%d-s%d", run, i), o)
				if o == "failed" {
					continue
				}
			default:
				score := int64(5 * next(2))
				good = score == 5
				changes = observe(t, m, op("rate_provider", "provider_id", "cloud-a", "rater", fmt.Sprintf("org-%d", next(3)), "score", score))
			}
			for _, c := range changes {
				assert.Equal(t, good, c.To > c.From, "run %d step %d: %+v", run, i, c)
			}
		}
	}
}

func TestMetricMissesDegradeUntilMet(t *testing.T) {
	m := manager(t, Default(), "secret", "secret")
	measure := func(metric string, value, target int64, dir string) []Change {
		return observe(t, m, op("report_measurement", "provider_id", "cloud-a", "name", metric, "value", value, "target", target, "direction", dir))
	}
	changes := measure("patch_latency_days", 12, 7, "max")
	assert.Equal(t, []Change{{Provider: "cloud-a", From: Secret, To: Confidential, Cause: "report_measurement cloud-a patch_latency_days 12 > target 7"}}, changes)
	changes = measure("availability_permille", 990, 995, "min")
	assert.Equal(t, Internal, changes[0].To, "each miss costs a level")
	s, _ := m.Status("cloud-a")
	assert.Equal(t, []Metric{{Name: "availability_permille", Value: 990, Target: 995, Direction: "min", Penalty: 1},
		{Name: "patch_latency_days", Value: 12, Target: 7, Direction: "max", Penalty: 1}}, s.Misses)

	assert.Equal(t, Confidential, measure("availability_permille", 999, 995, "min")[0].To, "a met target gives the level back")
	assert.Equal(t, Secret, measure("patch_latency_days", 7, 7, "max")[0].To, "the target itself is met")
	assert.Empty(t, measure("patch_latency_days", 2, 7, "max"))

	_, err := m.Observe(op("report_measurement", "provider_id", "cloud-a", "name", "x", "value", 1, "target", 1, "direction", "up"))
	assert.EqualError(t, err, `report_measurement: x of cloud-a: no definition, and direction "up" (want max or min)`)
}

func TestStepsThroughServicesCountForTheirProvider(t *testing.T) {
	m := manager(t, Default(), "internal", "secret")
	observe(t, m, op("register_service", "service_id", "svc-route", "provider_id", "cloud-a"))
	for _, id := range []string{"s1", "s2", "s3"} {
		observe(t, m, op("hand_to_service", "step_id", id, "service", "svc-route"))
		observe(t, m, op("record_outcome", "step_id", id, "outcome", "completed"))
	}
	s, _ := m.Status("cloud-a")
	assert.Equal(t, 3, s.Experience.Completed)
	assert.Equal(t, Confidential, s.Current)

	_, err := m.Observe(op("record_outcome", "step_id", "s9", "outcome", "completed"))
	assert.EqualError(t, err, `record_outcome: step "s9" was not handed to a known provider`)
}

func TestSetTrustFromOutsideIsANewBase(t *testing.T) {
	m := manager(t, Default(), "confidential", "secret")
	assert.Empty(t, observe(t, m, op("set_trust", "provider_id", "cloud-a", "trust", "confidential")), "an echo changes nothing")
	assert.Empty(t, observe(t, m, op("set_trust", "provider_id", "cloud-a", "trust", "internal")))
	s, _ := m.Status("cloud-a")
	assert.Equal(t, Internal, s.Base)
	assert.Equal(t, Internal, s.Current)

	m.Observe(op("report_measurement", "provider_id", "cloud-a", "name", "incidents", "value", 3, "target", 0, "direction", "max"))
	assert.Equal(t, Public, current(t, m))
	observe(t, m, op("deregister_provider", "provider_id", "cloud-a"))
	_, ok := m.Status("cloud-a")
	assert.False(t, ok)
}

func TestConfigValidation(t *testing.T) {
	require.NoError(t, Default().Validate())
	for _, c := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Decay = 1.5 }, "decay 1.5: want 0..1"},
		{func(c *Config) { c.LowerAt = 0.9 }, "drop_at 0.25, lower_at 0.9, raise_at 0.8: want drop_at <= lower_at <= raise_at"},
		{func(c *Config) { c.ExperienceWeight, c.ReputationWeight = 0, 0 }, "experience_weight 0, reputation_weight 0: want >= 0, not both 0"},
		{func(c *Config) { c.MissPenalty = -1 }, "miss_penalty -1: want >= 0"},
	} {
		cfg := Default()
		c.edit(&cfg)
		_, err := New(cfg)
		assert.EqualError(t, err, c.want)
	}
}

func TestLevelsMatchTheMusicModel(t *testing.T) {
	for i, n := range Levels {
		l, err := ParseLevel(n)
		require.NoError(t, err)
		assert.Equal(t, Level(i), l)
	}
	_, err := ParseLevel("top")
	assert.Error(t, err)
}
