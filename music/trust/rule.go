// Package trust is MuSIC's Trust Level Manager: it determines and monitors each provider's
// trust level from its contract (a base level and the SLA's ceiling), its experience (the
// outcomes of its past workflow steps), its reputation (the other members' ratings) and its
// security metrics (misses of target values), and emits a set_trust operation whenever the
// level the model holds should change. The rule is Config's; docs/MUSIC.md explains it.
package trust

import "fmt"

// Level is a rank on the music model's level scale.
type Level int

// The music model's enum level, weakest first.
const (
	Public Level = iota
	Internal
	Confidential
	Secret
)

// Levels are the level names by rank, as specs/music declares them.
var Levels = []string{"public", "internal", "confidential", "secret"}

func (l Level) String() string {
	if l < Public || int(l) >= len(Levels) {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return Levels[l]
}

// ParseLevel is the level named s.
func ParseLevel(s string) (Level, error) {
	for i, n := range Levels {
		if n == s {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("unknown level %q (want one of public, internal, confidential, secret)", s)
}

// Config are the rule's parameters; Default is what pvsc ships.
type Config struct {
	// Outcome values a step's outcome scores on the experience scale.
	Completed float64 `json:"completed"`
	Failed    float64 `json:"failed"`
	Violated  float64 `json:"violated"`
	// Decay is the weight an observation loses with each newer one of the same provider
	// (its weight is Decay^age, age 0 the newest): 1 never forgets, 0 keeps only the newest.
	Decay float64 `json:"decay"`
	// Prior is the score of a provider without history and PriorWeight how many observations
	// it is worth: a first outcome or rating moves the score only part of the way.
	Prior       float64 `json:"prior"`
	PriorWeight float64 `json:"prior_weight"`
	// ExperienceWeight and ReputationWeight mix the two scores into one.
	ExperienceWeight float64 `json:"experience_weight"`
	ReputationWeight float64 `json:"reputation_weight"`
	// RaiseAt: a score at or above it is one level above the base. LowerAt: below it, one
	// level below the base; DropAt: below it, two.
	RaiseAt float64 `json:"raise_at"`
	LowerAt float64 `json:"lower_at"`
	DropAt  float64 `json:"drop_at"`
	// MissPenalty is the levels each metric currently missing its target costs.
	MissPenalty int `json:"miss_penalty"`
	// MaxRating is the top of the rating scale (ratings are 0..MaxRating).
	MaxRating int `json:"max_rating"`
}

// Default is the shipped rule: a violation costs a level at once (two in a row, two), failures
// only when they pile up (the third in a row), three completed steps earn one level (never
// above the SLA); ratings tip the balance but alone move no level; every missed metric costs
// one level until its next measurement meets the target.
func Default() Config {
	return Config{
		Completed: 1, Failed: 0.3, Violated: -1,
		Decay: 0.8, Prior: 0.7, PriorWeight: 2,
		ExperienceWeight: 0.7, ReputationWeight: 0.3,
		RaiseAt: 0.8, LowerAt: 0.55, DropAt: 0.25,
		MissPenalty: 1, MaxRating: 5,
	}
}

// Validate reports a parameter out of its range.
func (c Config) Validate() error {
	switch {
	case c.Decay < 0 || c.Decay > 1:
		return fmt.Errorf("decay %v: want 0..1", c.Decay)
	case c.PriorWeight < 0:
		return fmt.Errorf("prior_weight %v: want >= 0", c.PriorWeight)
	case c.ExperienceWeight < 0 || c.ReputationWeight < 0 || c.ExperienceWeight+c.ReputationWeight == 0:
		return fmt.Errorf("experience_weight %v, reputation_weight %v: want >= 0, not both 0", c.ExperienceWeight, c.ReputationWeight)
	case !(c.DropAt <= c.LowerAt && c.LowerAt <= c.RaiseAt):
		return fmt.Errorf("drop_at %v, lower_at %v, raise_at %v: want drop_at <= lower_at <= raise_at", c.DropAt, c.LowerAt, c.RaiseAt)
	case c.MissPenalty < 0:
		return fmt.Errorf("miss_penalty %d: want >= 0", c.MissPenalty)
	case c.MaxRating <= 0:
		return fmt.Errorf("max_rating %d: want > 0", c.MaxRating)
	}
	return nil
}

// decayed is the prior-weighted, decayed mean of xs (oldest first).
func (c Config) decayed(xs []float64) float64 {
	sum, weight, w := c.Prior*c.PriorWeight, c.PriorWeight, 1.0
	for i := len(xs) - 1; i >= 0; i-- {
		sum += w * xs[i]
		weight += w
		w *= c.Decay
	}
	if weight == 0 {
		return c.Prior
	}
	return sum / weight
}

// offset is the levels a combined score moves the base by.
func (c Config) offset(score float64) int {
	switch {
	case score < c.DropAt:
		return -2
	case score < c.LowerAt:
		return -1
	case score >= c.RaiseAt:
		return 1
	}
	return 0
}

// combine is the weighted mean of the experience and reputation scores. Both always count:
// without observations a score is the prior, so a provider new to workflows sits at its base,
// and no single input can move the score against its sign (a top rating never lowers it).
func (c Config) combine(experience, reputation float64) float64 {
	return round((c.ExperienceWeight*experience + c.ReputationWeight*reputation) / (c.ExperienceWeight + c.ReputationWeight))
}

// Level is the rule: the base moved by the score's offset and lowered by the metric misses,
// kept between public and the SLA.
func (c Config) Level(base, sla Level, score float64, misses int) Level {
	return c.levelAfter(base, sla, score, c.MissPenalty*misses)
}

// levelAfter is the rule with the levels the current misses cost (each its own penalty).
func (c Config) levelAfter(base, sla Level, score float64, penalty int) Level {
	l := min(base, sla) + Level(c.offset(score)) - Level(penalty)
	return max(Public, min(l, sla))
}
