package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"pvsc.dev/pvsc/openstack/keystone"
	"pvsc.dev/pvsc/server/proxy"
)

func init() {
	register(&command{
		name:    "proxy",
		summary: "enforce in front of Neutron, Nova and Keystone: critical calls are decided, denied ones answered 403",
		usage:   "--spec DIR --upstream neutron=URL [--upstream keystone=URL] [--listen NAME=ADDR] [--api-listen ADDR] [serve's flags]",
		run:     runProxy,
	})
}

// defaultListen is where each service's proxy listens unless --listen says otherwise.
var defaultListen = map[string]string{"neutron": "127.0.0.1:19696", "keystone": "127.0.0.1:15000", "nova": "127.0.0.1:18774"}

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
	ups, listens := pairs{}, pairs{}
	n.register(fs)
	a.register(fs, "api-listen", "")
	fs.Var(ups, "upstream", "a service behind the proxy, NAME=URL (neutron, keystone, nova); repeat for each")
	fs.Var(listens, "listen", "where the proxy of a service listens, NAME=ADDR (default neutron 127.0.0.1:19696, keystone 127.0.0.1:15000, nova 127.0.0.1:18774)")
	noApply := fs.Bool("no-apply", false, "do not apply successful calls from the upstream's response; rely on notifications alone")
	noValidate := fs.Bool("no-validate-tokens", false, "do not ask Keystone who a token belongs to (rows reading the caller's project then see none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(ups) == 0 {
		fs.Usage()
		return errors.New("at least one --upstream is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nd, err := n.start(ctx, stderr)
	if err != nil {
		return err
	}
	defer nd.close()
	cfg := proxy.Config{Engine: nd.eng, NoApply: *noApply, Revisions: nd.pipe.Revisions(), Registry: nd.reg, Log: nd.log}
	if !*noValidate {
		cfg.Validator = keystone.NewValidator(keystone.New(n.os.AuthURL, nil), keystone.ValidatorOptions{})
	}
	p, err := proxy.New(cfg)
	if err != nil {
		return err
	}
	var servers []*http.Server
	for name, raw := range ups {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("--upstream %s=%s: want an absolute URL", name, raw)
		}
		addr := listens[name]
		if addr == "" {
			addr = defaultListen[name]
		}
		if addr == "" {
			return fmt.Errorf("--upstream %s: give --listen %s=ADDR", name, name)
		}
		servers = append(servers, &http.Server{Addr: addr, Handler: p.Handler(proxy.Upstream{Name: name, URL: u}), ReadHeaderTimeout: 10 * time.Second})
	}
	if a.listen != "" {
		hs, err := a.apiServer(nd, n.os.AuthURL)
		if err != nil {
			return err
		}
		servers = append(servers, hs)
	}
	return runServers(ctx, nd, stderr, servers...)
}
