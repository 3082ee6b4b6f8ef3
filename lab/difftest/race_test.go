//go:build race

package difftest

// raceOps keeps the differential test short under the race detector (about ten times slower).
const raceOps = 1_000
