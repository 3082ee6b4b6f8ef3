package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

func init() {
	register(&command{
		name:    "workload",
		summary: "deprecated: use gen-cloud -per-tenant (a seeded snapshot and operation stream for a shipped spec)",
		usage:   "--kind openstack|music --snapshot FILE --ops FILE.jsonl [--tenants N] [--ports N] [--count N] [--seed N] [--native]",
		run:     runWorkload,
	})
}

// runWorkload maps the former pvsc workload's flags onto gen-cloud -per-tenant.
func runWorkload(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["workload"], stderr)
	kind := fs.String("kind", "openstack", "openstack (specs/openstack) or music (specs/music)")
	snapshot := fs.String("snapshot", "", "write the snapshot here")
	opsPath := fs.String("ops", "", "write the operations here")
	tenants := fs.Int("tenants", 100, "projects (organisations for music)")
	ports := fs.Int("ports", 10, "ports per project (data objects per organisation for music)")
	count := fs.Int("count", 1000, "operations in the stream")
	seed := fs.Uint64("seed", 1, "random seed")
	native := fs.Bool("native", false, "OpenStack wire shapes (notifications, REST calls) instead of the neutral form")
	attacks := fs.Float64("attacks", 0.3, "share of critical port updates that are the OSSA-2015-018 move")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *snapshot == "" || *opsPath == "" {
		fs.Usage()
		return errors.New("--snapshot and --ops are required")
	}
	fmt.Fprintln(stderr, "pvsc: workload is deprecated; use: pvsc gen-cloud -per-tenant -kind K -o SNAP -ops-out OPS -ops N [-native]")
	return runGenCloud([]string{"-per-tenant", "-kind", *kind, "-o", *snapshot, "-ops-out", *opsPath,
		"-tenants", strconv.Itoa(*tenants), "-ports-per-tenant", strconv.Itoa(*ports), "-ops", strconv.Itoa(*count),
		"-seed", strconv.FormatUint(*seed, 10), "-native=" + strconv.FormatBool(*native), "-attacks", fmt.Sprint(*attacks)}, stdout, stderr)
}
