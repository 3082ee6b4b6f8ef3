package replay

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"pvsc.dev/pvsc/runtime"
)

// Job is one pvsc replay: an engine (and the processor that decides with it), a snapshot to
// start from, the operations file, and where the decision lines and the summary go.
type Job struct {
	Engine   *runtime.Engine
	Proc     Processor // default Proactive(Engine)
	Snapshot string    // "" starts from an empty cloud
	Ops      string
	Out      string            // decision lines; "" writes them to Stdout and the summary to Stderr
	Observe  func(Line)        // sees every decision line
	Fresh    func([]byte) bool // the revision guard: false for a line older than what was applied
	Stdout   io.Writer
	Stderr   io.Writer
}

// Run replays the job; it returns the summary and where it should be printed (stderr when the
// decision lines go to stdout).
func (j Job) Run() (*Summary, io.Writer, error) {
	if j.Proc == nil {
		j.Proc = Proactive(j.Engine)
	}
	if err := j.load(); err != nil {
		return nil, nil, err
	}
	in, err := os.Open(j.Ops)
	if err != nil {
		return nil, nil, err
	}
	defer in.Close()
	out, summaryOut, closeOut, err := j.outputs()
	if err != nil {
		return nil, nil, err
	}
	defer closeOut()
	s, err := RunOptions(j.Engine, j.Proc, in, out, Options{Observe: j.Observe, Fresh: j.Fresh})
	if err != nil {
		return nil, nil, err
	}
	return s, summaryOut, nil
}

func (j Job) load() error {
	if j.Snapshot == "" {
		return nil
	}
	t0 := time.Now()
	st, err := j.Engine.LoadSnapshotFile(j.Snapshot)
	if err != nil {
		return err
	}
	fmt.Fprintf(j.Stderr, "snapshot %s: %d records, %d watchlists built in %v", j.Snapshot, st.Records, st.Watchlists, time.Since(t0).Round(time.Millisecond))
	if len(st.Ignored) > 0 {
		fmt.Fprintf(j.Stderr, " (collections no row reads: %s)", strings.Join(st.Ignored, ", "))
	}
	fmt.Fprintln(j.Stderr)
	return nil
}

func (j Job) outputs() (out, summary io.Writer, closeOut func(), err error) {
	if j.Out == "" {
		return j.Stdout, j.Stderr, func() {}, nil
	}
	f, err := os.Create(j.Out)
	if err != nil {
		return nil, nil, nil, err
	}
	return f, j.Stdout, func() { f.Close() }, nil
}
