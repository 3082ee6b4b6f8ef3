package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"pvsc.dev/pvsc/lab/cloudgen"
)

func init() {
	register(&command{
		name:    "gen-cloud",
		summary: "generate a seeded OpenStack or MuSIC cloud snapshot, and an operation stream over it",
		usage:   "[-kind openstack|music] [-dataset N | -scale F | -ports N ...] [-o FILE] [-ops N -ops-out FILE]",
		run:     runGenCloud,
	})
}

// genFlags are gen-cloud's flags.
type genFlags struct {
	perTenant, native                        bool
	workload                                 cloudgen.WorkloadConfig
	cloud, out, opsOut, progress, properties string
	seed                                     uint64
	dataset, ops                             int
	scale, critical, violating               float64
	os                                       cloudgen.Sizes
	music                                    cloudgen.MusicSizes
}

func (g *genFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.cloud, "kind", "openstack", "cloud to generate: openstack or music")
	deprecated(fs, "cloud", "kind")
	fs.Uint64Var(&g.seed, "seed", 1, "seed: the same seed and sizes give the same bytes")
	fs.IntVar(&g.dataset, "dataset", 0, "point 1..10 of the paper's grid (10,000·N ports, 1,000·N tenants); 0: the largest")
	fs.Float64Var(&g.scale, "scale", 1, "multiply every size (10: a million ports and users)")
	fs.StringVar(&g.out, "o", "-", "snapshot file (- for stdout)")
	fs.IntVar(&g.ops, "ops", 0, "operations to generate (OpenStack only)")
	fs.StringVar(&g.opsOut, "ops-out", "", "operation stream file, JSON lines in the neutral form")
	fs.Float64Var(&g.critical, "critical", 0.1, "share of operations that are critical")
	fs.Float64Var(&g.violating, "violating", 0.1, "share of critical operations that violate their property")
	fs.StringVar(&g.properties, "properties", strings.Join(cloudgen.StreamProperties, ","), "properties critical operations are drawn for")
	fs.StringVar(&g.progress, "progress", "auto", "progress bar on stderr: auto (on a terminal), on or off")
	fs.BoolVar(&g.perTenant, "per-tenant", false, "the per-tenant generator: -tenants projects (organisations for music) with -ports-per-tenant ports (data objects) each, and a stream that can use OpenStack's wire shapes (-native)")
	fs.IntVar(&g.workload.PortsPerTenant, "ports-per-tenant", 10, "with -per-tenant: ports per project (data objects per organisation for music)")
	fs.BoolVar(&g.native, "native", false, "with -per-tenant: operations in OpenStack's wire shapes (notifications, REST calls) instead of the neutral form")
	fs.Float64Var(&g.workload.AttackRate, "attacks", 0.3, "with -per-tenant: share of critical port updates that are the OSSA-2015-018 move")
	sizes := []struct {
		p          *int
		name, help string
	}{
		{&g.os.Ports, "ports", "ports"}, {&g.os.Tenants, "tenants", "tenants (projects)"},
		{&g.os.Domains, "domains", "domains"}, {&g.os.Users, "users", "users"}, {&g.os.VMs, "vms", "VMs"},
		{&g.os.Networks, "networks", "networks"}, {&g.os.Subnets, "subnets", "subnets"},
		{&g.os.Routers, "routers", "routers"}, {&g.os.Hosts, "hosts", "hypervisors"},
		{&g.os.Groups, "groups", "groups"}, {&g.os.RolesPerTenant, "roles-per-tenant", "domain roles per tenant"},
		{&g.music.Communities, "communities", "MuSIC communities"},
		{&g.music.Organisations, "organisations", "MuSIC organisations"},
		{&g.music.Providers, "providers", "MuSIC providers"}, {&g.music.Services, "services", "MuSIC services"},
		{&g.music.DataObjects, "data-objects", "MuSIC data objects"}, {&g.music.Workflows, "workflows", "MuSIC workflows"},
	}
	for _, s := range sizes {
		*s.p = -1
		fs.IntVar(s.p, s.name, -1, "number of "+s.help+" (default: from -dataset and -scale)")
	}
}

// openstackSizes are the sizes the flags ask for: the dataset, scaled, then each size given.
func (g *genFlags) openstackSizes() (cloudgen.Sizes, error) {
	s := cloudgen.Paper()
	if g.dataset != 0 {
		if g.dataset < 1 || g.dataset > cloudgen.GridPoints {
			return s, fmt.Errorf("-dataset %d: want 1..%d", g.dataset, cloudgen.GridPoints)
		}
		s = cloudgen.Dataset(g.dataset)
	}
	s = s.Scale(g.scale)
	over := func(dst *int, v int) {
		if v >= 0 {
			*dst = v
		}
	}
	over(&s.Ports, g.os.Ports)
	over(&s.Tenants, g.os.Tenants)
	over(&s.Domains, g.os.Domains)
	over(&s.Users, g.os.Users)
	over(&s.VMs, g.os.VMs)
	over(&s.Networks, g.os.Networks)
	over(&s.Subnets, g.os.Subnets)
	over(&s.Routers, g.os.Routers)
	over(&s.Hosts, g.os.Hosts)
	over(&s.Groups, g.os.Groups)
	over(&s.RolesPerTenant, g.os.RolesPerTenant)
	return s.Normalize(), nil
}

func (g *genFlags) musicSizes() cloudgen.MusicSizes {
	s := cloudgen.MusicDefault().Scale(g.scale)
	for _, p := range []struct{ dst, v *int }{
		{&s.Communities, &g.music.Communities}, {&s.Organisations, &g.music.Organisations},
		{&s.Providers, &g.music.Providers}, {&s.Services, &g.music.Services},
		{&s.DataObjects, &g.music.DataObjects}, {&s.Workflows, &g.music.Workflows},
	} {
		if *p.v >= 0 {
			*p.dst = *p.v
		}
	}
	return s.Normalize()
}

func runGenCloud(args []string, stdout, stderr io.Writer) error {
	var g genFlags
	fs := newFlags(commands["gen-cloud"], stderr)
	g.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if g.scale <= 0 {
		return fmt.Errorf("-scale %g: want a positive factor", g.scale)
	}
	if g.perTenant {
		return g.genPerTenant(stdout, stderr)
	}
	switch g.cloud {
	case "openstack":
		return g.genOpenStack(stdout, stderr)
	case "music":
		if g.ops > 0 {
			return errors.New("-ops: operation streams are generated for OpenStack clouds only")
		}
		m := cloudgen.NewMusic(g.seed, g.musicSizes())
		return g.write(g.out, stdout, stderr, "snapshot", m.Sizes.Records(), m.WriteSnapshot)
	}
	return fmt.Errorf("-kind %q: want openstack or music", g.cloud)
}

// genPerTenant writes a small cloud sized per tenant and its stream (what pvsc workload made).
func (g *genFlags) genPerTenant(stdout, stderr io.Writer) error {
	cfg := g.workload
	cfg.Seed, cfg.Ops, cfg.Native, cfg.Tenants = g.seed, g.ops, g.native, g.os.Tenants
	if cfg.Tenants < 0 {
		cfg.Tenants = 100
	}
	var w *cloudgen.Workload
	switch g.cloud {
	case "openstack":
		w = cloudgen.OpenStackWorkload(cfg)
	case "music":
		w = cloudgen.MusicWorkload(cfg)
	default:
		return fmt.Errorf("-kind %q: want openstack or music", g.cloud)
	}
	if g.out == "-" || g.opsOut == "" {
		return errors.New("-per-tenant needs -o FILE and -ops-out FILE")
	}
	if err := writeFile(g.out, w.WriteSnapshot); err != nil {
		return err
	}
	if err := writeFile(g.opsOut, w.WriteOps); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (%d operations)\n", g.out, g.opsOut, len(w.Ops))
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (g *genFlags) genOpenStack(stdout, stderr io.Writer) error {
	s, err := g.openstackSizes()
	if err != nil {
		return err
	}
	c := cloudgen.NewOpenStack(g.seed, s)
	if g.ops > 0 && g.opsOut == "" {
		return errors.New("-ops needs -ops-out FILE")
	}
	if g.ops > 0 && g.opsOut == g.out {
		return errors.New("-ops-out must differ from -o")
	}
	var stream *cloudgen.Stream
	if g.ops > 0 {
		props := strings.Split(g.properties, ",")
		if stream, err = c.NewStream(g.seed, cloudgen.StreamConfig{Critical: g.critical, Violating: g.violating, Properties: props}); err != nil {
			return err
		}
	}
	if g.out != "" {
		if err := g.write(g.out, stdout, stderr, "snapshot", s.Records(), c.WriteSnapshot); err != nil {
			return err
		}
	}
	if stream == nil {
		return nil
	}
	return g.write(g.opsOut, stdout, stderr, "operations", g.ops, func(w io.Writer, p *cloudgen.Progress) error {
		return stream.Write(w, g.ops, p)
	})
}

// write runs a generator into a file (or stdout for "-") with a progress bar.
func (g *genFlags) write(path string, stdout, stderr io.Writer, label string, total int, gen func(io.Writer, *cloudgen.Progress) error) error {
	w := stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	p := g.bar(stderr, label, total)
	if err := gen(w, p); err != nil {
		return err
	}
	p.Done()
	if f, ok := w.(*os.File); ok && w != stdout {
		return f.Close()
	}
	return nil
}

// bar is the progress bar the -progress flag asks for, nil for none.
func (g *genFlags) bar(stderr io.Writer, label string, total int) *cloudgen.Progress {
	tty := isTerminal(stderr)
	switch g.progress {
	case "off":
		return nil
	case "auto":
		if !tty {
			return nil
		}
	}
	return cloudgen.NewProgress(stderr, label, total, tty)
}

// isTerminal says whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
