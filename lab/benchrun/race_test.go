//go:build race

package benchrun_test

// raceOn shrinks the quick run under the race detector (make race), which is ten times slower.
const raceOn = true
