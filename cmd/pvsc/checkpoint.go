package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"pvsc.dev/pvsc/runtime"
)

func init() {
	register(&command{
		name:    "checkpoint",
		summary: "write pvsc's binary checkpoint of a snapshot's context (records and watchlists): serve, proxy and replay start from it without JSON",
		usage:   "--spec DIR --snapshot FILE --out FILE [--property P,...]",
		run:     runCheckpoint,
	})
}

func runCheckpoint(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["checkpoint"], stderr)
	spec := fs.String("spec", "", "spec directory")
	snap := fs.String("snapshot", "", "cloud snapshot (or an older checkpoint) to build the context from")
	out := fs.String("out", "", "write the checkpoint here")
	props := fs.String("property", "", "keep only these properties' watchlists (comma-separated)")
	var opt runtime.Options
	registerCloudBlock(fs, &opt.Cloud)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *spec == "" || *snap == "" || *out == "" {
		fs.Usage()
		return errors.New("--spec, --snapshot and --out are required")
	}
	res, err := compileOne(*spec, stderr)
	if err != nil {
		return err
	}
	opt.Properties = list(*props)
	e, err := runtime.New(res.Spec, res.Envs, opt)
	if err != nil {
		return err
	}
	t0 := time.Now()
	st, err := e.LoadSnapshotFile(*snap)
	if err != nil {
		return err
	}
	load := time.Since(t0)
	size, err := writeCheckpoint(e, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d records, %d watchlists, %d bytes (snapshot loaded in %v)\n", *out, st.Records, st.Watchlists, size, load.Round(time.Millisecond))
	return nil
}

// writeCheckpoint writes the engine's context to path, through a temporary file renamed into place.
func writeCheckpoint(e *runtime.Engine, path string) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = e.WriteCheckpoint(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
