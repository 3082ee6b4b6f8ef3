package music_test

import (
	"testing"

	"pvsc.dev/pvsc/lab/specstest"
	"pvsc.dev/pvsc/specs/music"
)

// TestGeneratedTablesMatchTheSpecs checks the committed Go tables against the
// .pvsc files (go generate ./... refreshes them).
func TestGeneratedTablesMatchTheSpecs(t *testing.T) {
	specstest.CheckGenerated(t, ".", music.Spec)
}
