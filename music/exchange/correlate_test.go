package exchange

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func report(origin, id, data string, score int64, at time.Time) Report {
	return Report{Origin: origin, ID: id, Provider: "cloud-edge", Data: data, Property: "p", Score: score, Time: at}
}

// TestRatingIsTheWorstInTheWindow: a violation (0) and then the trust drop it caused (2) are
// one rating of 0; once the violation is older than the window, the next report rates alone.
func TestRatingIsTheWorstInTheWindow(t *testing.T) {
	c := NewCorrelator(time.Hour)
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	_, r, dup := c.Add(report("a", "1", "blackspots", 0, t0))
	require.False(t, dup)
	require.NotNil(t, r)
	assert.Equal(t, Rating{Provider: "cloud-edge", Rater: "a", Score: 0}, *r)

	_, r, _ = c.Add(report("a", "2", "", 2, t0.Add(time.Minute)))
	assert.Nil(t, r, "the worst in the window is still 0: no new rating")

	_, r, _ = c.Add(report("a", "3", "", 3, t0.Add(2*time.Hour)))
	require.NotNil(t, r)
	assert.Equal(t, int64(3), r.Score)
}

func TestDuplicatesAndIncidents(t *testing.T) {
	c := NewCorrelator(0)
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	c.Add(report("a", "1", "blackspots", 0, t0))
	_, r, dup := c.Add(report("a", "1", "blackspots", 0, t0))
	assert.True(t, dup)
	assert.Nil(t, r)
	inc, r, _ := c.Add(report("b", "1", "blackspots", 0, t0.Add(-time.Minute)))
	require.NotNil(t, r, "another cloud's report of the same id is its own rating")
	assert.Equal(t, []string{"a", "b"}, inc.Clouds)
	assert.Equal(t, t0.Add(-time.Minute), inc.First)
	c.Add(report("a", "2", "", 2, t0))
	incs := c.Incidents()
	require.Len(t, incs, 2)
	assert.Equal(t, "blackspots", incs[0].Data, "the incident two clouds reported comes first")
	assert.Equal(t, 2, incs[0].Alerts)
}
