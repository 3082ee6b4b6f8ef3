package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"pvsc.dev/pvsc/server"
	"pvsc.dev/pvsc/solver/satengine"
)

func init() {
	register(&command{
		name:    "proxy",
		summary: "enforce in front of Neutron, Nova and Keystone: critical calls are decided, denied ones answered 403",
		usage:   "--spec DIR --upstream neutron=URL [--upstream keystone=URL] [--listen NAME=ADDR] [--api-listen ADDR] [serve's flags]",
		run:     runProxy,
	})
}

// pairs is a repeatable NAME=VALUE flag.
type pairs map[string]string

func (p pairs) String() string { return fmt.Sprint(map[string]string(p)) }

func (p pairs) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" || val == "" {
		return fmt.Errorf("%q: want NAME=VALUE", v)
	}
	p[k] = val
	return nil
}

func runProxy(args []string, stdout, stderr io.Writer) error {
	fs := newFlags(commands["proxy"], stderr)
	var n nodeFlags
	var a apiFlags
	pc := &server.ProxyConfig{Upstreams: pairs{}, Listens: pairs{}}
	n.register(fs)
	a.register(fs, "api-listen", "")
	fs.Var(pairs(pc.Upstreams), "upstream", "a service behind the proxy, NAME=URL (neutron, keystone, nova); repeat for each")
	fs.Var(pairs(pc.Listens), "listen", "where the proxy of a service listens, NAME=ADDR (default neutron 127.0.0.1:19696, keystone 127.0.0.1:15000, nova 127.0.0.1:18774)")
	fs.BoolVar(&pc.NoApply, "no-apply", false, "do not apply successful calls from the upstream's response; rely on notifications alone")
	fs.BoolVar(&pc.NoValidate, "no-validate-tokens", false, "do not ask Keystone who a token belongs to (rows reading the caller's project then see none)")
	shadow := fs.Bool("shadow-sat", false, "decide every held call again by SAT intercept-and-check on the same context and count disagreements (pvsc_shadow_mismatches_total); slow, for tests and audits")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(pc.Upstreams) == 0 {
		fs.Usage()
	}
	cfg, err := n.config(stderr)
	if err != nil {
		return err
	}
	cfg.API, cfg.Proxy = a.config(), pc
	if *shadow {
		sh, err := satengine.NewShadow(cfg.Spec)
		if err != nil {
			return err
		}
		cfg.Shadow = sh.Check
	}
	return server.Serve(context.Background(), cfg)
}
