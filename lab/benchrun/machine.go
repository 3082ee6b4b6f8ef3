package benchrun

import (
	"bufio"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"
)

// Machine is what the report says of the computer the run was on.
type Machine struct {
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MemBytes int64  `json:"mem_bytes"`
	OS       string `json:"os"`
	Go       string `json:"go"`
}

// ThisMachine describes the machine the process runs on (from /proc on Linux).
func ThisMachine() Machine {
	m := Machine{Cores: goruntime.NumCPU(), OS: goruntime.GOOS + "/" + goruntime.GOARCH, Go: goruntime.Version()}
	m.CPU = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		n, _ := strconv.ParseInt(strings.TrimSuffix(kb, " kB"), 10, 64)
		m.MemBytes = n << 10
	}
	return m
}

// procField is the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// clockOverhead is the median cost of one clock read pair, included once in every timed decision.
func clockOverhead() time.Duration {
	s := make([]time.Duration, 10001)
	for i := range s {
		t := time.Now()
		s[i] = time.Since(t)
	}
	return Summarise(s).Median
}
