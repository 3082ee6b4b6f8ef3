package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"pvsc.dev/pvsc/lab/benchrun"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/specs/openstack"
)

func init() {
	register(&command{
		name:    "bench-startup",
		summary: "(used by pvsc bench --catalogue) start an engine with every OpenStack property from a snapshot or checkpoint and print what it took, as JSON",
		usage:   "FILE",
		run:     runBenchStartup,
	})
}

// runCatalogue is pvsc bench --catalogue.
func (b *benchFlags) runCatalogue(ctx context.Context, stdout, stderr io.Writer) error {
	cfg, out := benchrun.CatalogueFull(), "bench-out/catalogue"
	if b.quick {
		cfg, out = benchrun.CatalogueQuick(), "bench-out/catalogue-quick"
	}
	if !b.scale && !b.quick {
		cfg.Datasets = cfg.Datasets[:2] // 1M ports is the --scale extension
	}
	if b.out != "" {
		out = b.out
	}
	if b.stream > 0 {
		cfg.StreamOps = b.stream
	}
	cfg.Seed, cfg.WorkDir, cfg.Keep, cfg.Captured = b.seed, b.workdir, b.keep, "openstack/testdata/captured"
	if _, err := os.Stat(cfg.Captured); err != nil {
		fmt.Fprintln(stderr, "pvsc bench: no captured corpus here (run from the repository root): decode + match is not measured")
		cfg.Captured = ""
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cfg.Startup = func(path string) (benchrun.StartRun, error) { return startupChild(ctx, self, path) }
	if b.verbose || b.progress == "on" {
		cfg.Log = stderr
	}
	res, err := benchrun.RunCatalogue(ctx, cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := res.Write(out); err != nil {
		return err
	}
	return res.Markdown(stdout)
}

// startupChild runs pvsc bench-startup in its own process and reads its answer.
func startupChild(ctx context.Context, self, path string) (benchrun.StartRun, error) {
	var r benchrun.StartRun
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, self, "bench-startup", path)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("bench-startup %s: %v: %s", path, err, strings.TrimSpace(errOut.String()))
	}
	return r, json.Unmarshal(out.Bytes(), &r)
}

func runBenchStartup(args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("want one file")
	}
	t := time.Now()
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	if err != nil {
		return err
	}
	st, err := e.LoadSnapshotFile(args[0])
	if err != nil {
		return err
	}
	r := benchrun.StartRun{Took: time.Since(t), Records: st.Records, Watchlists: st.Watchlists}
	debug.FreeOSMemory()
	r.RSS, r.Peak = procKB("VmRSS")<<10, procKB("VmHWM")<<10
	return json.NewEncoder(stdout).Encode(r)
}

// procKB reads a "Key: N kB" line of /proc/self/status.
func procKB(key string) int64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
