package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"time"
)

// TakeJSON takes a snapshot and writes it in the snapshot format.
func TakeJSON(ctx context.Context, opts Options) (Snapshot, []byte, error) {
	snap, err := Take(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	var b bytes.Buffer
	if err := snap.WriteJSON(&b); err != nil {
		return nil, nil, err
	}
	return snap, b.Bytes(), nil
}

// Live takes a snapshot for an engine to load: its name says when it was taken.
func Live(ctx context.Context, opts Options) (name string, data []byte, err error) {
	_, data, err = TakeJSON(ctx, opts)
	return "live snapshot " + time.Now().UTC().Format(time.RFC3339), data, err
}

// Save takes a snapshot with cfg's credentials and writes it to path ("-" for stdout), then
// lists the records per collection and the time taken on log. It returns the JSON it wrote.
func Save(ctx context.Context, cfg Config, path string, stdout, log io.Writer) ([]byte, error) {
	t0 := time.Now()
	opts, err := cfg.Options(ctx)
	if err != nil {
		return nil, err
	}
	snap, data, err := TakeJSON(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := writeOut(path, data, stdout); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(snap))
	for k := range snap {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(log, "%-18s %d\n", k, len(snap[k]))
	}
	fmt.Fprintf(log, "snapshot taken in %v (%d bytes)\n", time.Since(t0).Round(time.Millisecond), len(data))
	return data, nil
}

// writeOut replaces path with data through a temporary file, so that a reader never sees half a snapshot.
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
