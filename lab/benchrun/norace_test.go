//go:build !race

package benchrun_test

const raceOn = false
