package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"pvsc.dev/pvsc/openstack/snapshot"
	"pvsc.dev/pvsc/runtime"
)

func init() {
	register(&command{
		name:    "snapshot",
		summary: "pull a snapshot from the live Keystone, Neutron and Nova list APIs (paginated) into the snapshot format",
		usage:   "--out FILE [--spec DIR] [--os-auth-url URL --os-username U --os-password P ...]",
		run:     runSnapshot,
	})
}

func runSnapshot(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["snapshot"], stderr)
	var cfg snapshot.Config
	cfg.RegisterFlags(fs)
	out := fs.String("out", "", "write the snapshot here (- for stdout)")
	spec := fs.String("spec", "", "also load it into this spec's engine and report what it built")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errors.New("--out is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	data, err := snapshot.Save(ctx, cfg, *out, stdout, stderr)
	if err != nil || *spec == "" {
		return err
	}
	return loadInto(*spec, *out, data, stderr)
}

// loadInto loads a snapshot into a spec's engine and says what it built.
func loadInto(spec, name string, data []byte, stderr io.Writer) error {
	res, err := compileOne(spec, stderr)
	if err != nil {
		return err
	}
	e, err := runtime.New(res.Spec, res.Envs, runtime.Options{})
	if err != nil {
		return err
	}
	st, err := e.LoadSnapshot(bytes.NewReader(data), name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "loads into %s: %d records, %d watchlists\n", spec, st.Records, st.Watchlists)
	return nil
}
