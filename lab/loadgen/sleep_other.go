//go:build !linux

package loadgen

import "time"

func lockThread()               {}
func unlockThread()             {}
func fineSleep(d time.Duration) { time.Sleep(d) }
