package trust

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	musicspec "pvsc.dev/pvsc/specs/music"
)

// TestDefinedMetricsComeFromTheSpec: the shipped spec's targets judge the measurements, not
// the targets the measurements carry, and each miss costs its own penalty.
func TestDefinedMetricsComeFromTheSpec(t *testing.T) {
	m := manager(t, Default(), "secret", "secret")
	require.NoError(t, m.Define(Definitions(musicspec.Spec)))
	// The measurement point claims a lax target of 30 days: the spec's 7 decides.
	changes := observe(t, m, op("report_measurement", "provider_id", "cloud-a", "name", "patch_latency_days", "value", 12, "target", 30, "direction", "max"))
	require.Len(t, changes, 1)
	assert.Equal(t, "report_measurement cloud-a patch_latency_days 12 > target 7", changes[0].Cause)
	assert.Equal(t, Confidential, changes[0].To)
	// audit_findings costs two levels: confidential to public.
	changes = observe(t, m, op("report_measurement", "provider_id", "cloud-a", "name", "audit_findings", "value", 1))
	require.Len(t, changes, 1)
	assert.Equal(t, Public, changes[0].To)
	s, _ := m.Status("cloud-a")
	assert.Equal(t, 3, s.Penalty)
	// A third miss at public moves nothing, and is still reported.
	assert.Empty(t, observe(t, m, op("report_measurement", "provider_id", "cloud-a", "name", "availability", "value", 990)))
	var got []string
	for _, miss := range m.Misses() {
		got = append(got, miss.String())
	}
	assert.Equal(t, []string{
		"cloud-a patch_latency_days 12 > target 7 days (reported by patch management): costs 1 level(s) until met",
		"cloud-a audit_findings 1 > target 0 findings (reported by audit): costs 2 level(s) until met",
		"cloud-a availability 990 < target 995 per mille (reported by uptime probe): costs 1 level(s) until met",
	}, got)
	assert.Empty(t, observe(t, m, op("report_measurement", "provider_id", "cloud-a", "name", "availability", "value", 999)),
		"met, but the other misses still hold the level at public")
	assert.Len(t, m.Misses(), 3, "a met target is no miss")
}

// TestConfigOverridesOneField: a config file's metrics move single fields of the spec's
// definitions and keep the rest; a definition out of range is refused.
func TestConfigOverridesOneField(t *testing.T) {
	ms := Definitions(musicspec.Spec)
	require.NoError(t, json.Unmarshal([]byte(`{"availability": {"target": 990}, "backup_age_days": {"unit": "days", "target": 1, "direction": "max", "penalty": 1}}`), &ms))
	assert.Equal(t, MetricDef{Unit: "per mille", Target: 990, Direction: "min", Point: "uptime probe", Penalty: 1}, ms["availability"])
	assert.Equal(t, int64(1), ms["backup_age_days"].Target)
	assert.Equal(t, int64(7), ms["patch_latency_days"].Target, "untouched")
	assert.Error(t, json.Unmarshal([]byte(`{"availability": {"goal": 990}}`), &ms), "unknown fields are an error")

	m, err := New(Default())
	require.NoError(t, err)
	ms["availability"] = MetricDef{Unit: "per mille", Target: 990, Direction: "up", Penalty: 1}
	assert.EqualError(t, m.Define(ms), `metric availability: direction "up" (want max or min)`)
}
