//go:build !race

package difftest

const raceOps = 0
