package intercept_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/specs/openstack"
)

// corpus is the directory of real messages captured from the project's stack.
const corpus = "../../openstack/testdata/captured"

// seeds adds up to n lines of each capture file whose name matches glob, as the fuzzer's seeds;
// amqp captures give their bodies (oslo envelopes).
func seeds(f *testing.F, glob string, n int, add func([]byte)) {
	paths, err := filepath.Glob(filepath.Join(corpus, glob))
	require.NoError(f, err)
	require.NotEmpty(f, paths, "the captured corpus")
	for _, p := range paths {
		fh, err := os.Open(p)
		require.NoError(f, err)
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for i := 0; i < n && sc.Scan(); i++ {
			line := sc.Bytes()
			var amqp struct{ Body string }
			if json.Unmarshal(line, &amqp) == nil && amqp.Body != "" {
				line = []byte(amqp.Body)
			}
			add(append([]byte(nil), line...))
		}
		fh.Close()
	}
}

func fuzzEngine(t testing.TB) *intercept.Interceptor {
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	return intercept.New(e)
}

// wellFormed checks the decoder's contract on any input: an error is an *intercept.Error
// naming what failed, never a panic, and a decoded operation can be decided.
func wellFormed(t *testing.T, e *runtime.Engine, ops []runtime.Op, err error) {
	if err != nil {
		var ie *intercept.Error
		require.True(t, errors.As(err, &ie), "errors name what failed: %v", err)
		require.NotEmpty(t, ie.What)
		return
	}
	for i := range ops {
		e.Decide(&ops[i])
	}
}

// FuzzLine feeds every form a replay line may take (neutral form, REST description, oslo
// envelope or bare notification, CADF event), seeded from the real captures.
func FuzzLine(f *testing.F) {
	seeds(f, "amqp-*.jsonl", 40, func(b []byte) { f.Add(b) })
	seeds(f, "rest-*.jsonl", 40, func(b []byte) { f.Add(b) })
	f.Add([]byte(`{"op": "update_port", "params": {"port_id": "p", "device_owner": "network:dhcp"}}`))
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(f, err)
	in := intercept.New(e)
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := in.Line(data)
		wellFormed(t, e, ops, err)
	})
}

// FuzzNotification feeds oslo envelopes, bare messages and CADF events: Neutron's
// unversioned payloads, Nova's versioned and legacy ones, Keystone's CADF.
func FuzzNotification(f *testing.F) {
	seeds(f, "amqp-*.jsonl", 80, func(b []byte) { f.Add(b) })
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(f, err)
	in := intercept.New(e)
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := in.Notification(data)
		wellFormed(t, e, ops, err)
	})
}

// FuzzRequest feeds REST calls: method, path and body as a proxy sees them.
func FuzzRequest(f *testing.F) {
	seeds(f, "rest-*.jsonl", 60, func(b []byte) {
		var c struct {
			Method, Path string
			Body         json.RawMessage
		}
		if json.Unmarshal(b, &c) == nil {
			f.Add(c.Method, c.Path, []byte(c.Body))
		}
	})
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(f, err)
	in := intercept.New(e)
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		ops, err := in.Request(intercept.Request{Method: method, Path: path, Body: body})
		wellFormed(t, e, ops, err)
	})
}

// FuzzNeutral feeds the neutral form.
func FuzzNeutral(f *testing.F) {
	for _, s := range []string{`{"op": "create_port", "params": {"port_id": "p1", "tenant_id": "t"}}`, `{"op": "frobnicate"}`,
		`{"op": "grant_role", "params": {"assignment_id": "u:p:r:false", "user_id": "u", "project_id": "p", "role_id": "r", "inherited": false}}`,
		`{"op": "migrate_vm", "params": {"vm_id": "v", "host": null}}`} {
		f.Add([]byte(s))
	}
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(f, err)
	in := intercept.New(e)
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := in.Neutral(data)
		wellFormed(t, e, ops, err)
	})
}
