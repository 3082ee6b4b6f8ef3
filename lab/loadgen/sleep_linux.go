package loadgen

import (
	"runtime"
	"syscall"
	"time"
)

func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }

// fineSleep sleeps with nanosleep(2), whose resolution (tens of µs) is far finer than the
// runtime timers' on these machines.
func fineSleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}
