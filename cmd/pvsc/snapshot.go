package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"time"

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
	t0 := time.Now()
	opts, err := cfg.Options(ctx)
	if err != nil {
		return err
	}
	snap, err := snapshot.Take(ctx, opts)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := snap.WriteJSON(&b); err != nil {
		return err
	}
	if err := writeOut(*out, b.Bytes(), stdout); err != nil {
		return err
	}
	names := make([]string, 0, len(snap))
	for k := range snap {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(stderr, "%-18s %d\n", k, len(snap[k]))
	}
	fmt.Fprintf(stderr, "snapshot taken in %v (%d bytes)\n", time.Since(t0).Round(time.Millisecond), b.Len())
	if *spec == "" {
		return nil
	}
	res, err := compileOne(*spec, stderr)
	if err != nil {
		return err
	}
	e, err := runtime.New(res.Spec, res.Envs, runtime.Options{})
	if err != nil {
		return err
	}
	st, err := e.LoadSnapshot(bytes.NewReader(b.Bytes()), *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "loads into %s: %d records, %d watchlists\n", *spec, st.Records, st.Watchlists)
	return nil
}

func writeOut(path string, data []byte, stdout io.Writer) error {
	if path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
