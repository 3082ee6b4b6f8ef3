// Command os-snapshot writes one JSON object with every Keystone, Neutron and Nova list (records as the APIs returned them).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"pvsc.dev/pvsc/openstack/snapshot"
)

func main() {
	var cfg snapshot.Config
	cfg.RegisterFlags(flag.CommandLine)
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, &cfg, *out); err != nil {
		fmt.Fprintln(os.Stderr, "os-snapshot:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg *snapshot.Config, out string) error {
	opts, err := cfg.Options(ctx)
	if err != nil {
		return err
	}
	snap, err := snapshot.Take(ctx, opts)
	if err != nil {
		return err
	}
	if out == "-" {
		return snap.WriteJSON(os.Stdout)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := snap.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
