package intercept_test

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
)

// The decode + match benchmarks read real messages: the captured corpus of
// the real stack, with every OpenStack property on and the captured pvsc
// snapshot loaded (so the ids they name are known).
const captured = "../../openstack/testdata/captured/"

func benchEngine(b *testing.B) *intercept.Interceptor {
	b.Helper()
	specOnce.Do(func() { specRes, specErr = compiler.CompileDir("../../specs/openstack") })
	require.NoError(b, specErr)
	e, err := runtime.New(specRes.Spec, specRes.Envs, runtime.Options{})
	require.NoError(b, err)
	_, err = e.LoadSnapshotFile(captured + "pvsc-snapshot.json")
	require.NoError(b, err)
	return intercept.New(e)
}

// capturedLine is the first line of a capture file whose text contains all the needles.
func capturedLine(b *testing.B, file string, needles ...string) []byte {
	b.Helper()
	f, err := os.Open(captured + file)
	require.NoError(b, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<22), 1<<22)
next:
	for sc.Scan() {
		for _, n := range needles {
			if !strings.Contains(sc.Text(), n) {
				continue next
			}
		}
		return append([]byte(nil), sc.Bytes()...)
	}
	b.Fatalf("no line of %s holds %v", file, needles)
	return nil
}

// amqpBody is the message body (the oslo envelope) of a captured AMQP delivery.
func amqpBody(b *testing.B, line []byte) []byte {
	var d struct{ Body string }
	require.NoError(b, json.Unmarshal(line, &d))
	return []byte(d.Body)
}

func BenchmarkDecode(b *testing.B) {
	in := benchEngine(b)
	dec := in.NewDecoder()
	neutral := []byte(`{"op":"update_port","params":{"port_id":"p1","device_owner":"network:dhcp","device_id":""}}`)
	neutron := amqpBody(b, capturedLine(b, "amqp-neutron.jsonl", `port.update.end`))
	nova := amqpBody(b, capturedLine(b, "amqp-nova.jsonl", `instance.live_migration_post_dest.end`))
	// The log notification driver's form: the message without the oslo envelope.
	bare := capturedLine(b, "notifications-neutron.jsonl", `port.update.end`)
	var rest struct {
		Method, Path string
		Body         json.RawMessage
	}
	require.NoError(b, json.Unmarshal(capturedLine(b, "rest-neutron.jsonl", `"PUT"`, `/v2.0/ports/`), &rest))
	for _, c := range []struct {
		name string
		run  func() ([]runtime.Op, error)
	}{
		{"neutral", func() ([]runtime.Op, error) { d, err := dec.Decode(neutral); return d.Ops, err }},
		{"neutral-copied", func() ([]runtime.Op, error) { return in.Neutral(neutral) }},
		{"neutron-notification", func() ([]runtime.Op, error) { return in.Notification(neutron) }},
		{"nova-notification", func() ([]runtime.Op, error) { return in.Notification(nova) }},
		{"neutron-notification-bare", func() ([]runtime.Op, error) { return in.Notification(bare) }},
		{"neutron-rest", func() ([]runtime.Op, error) {
			return in.Request(intercept.Request{Method: rest.Method, Path: rest.Path, Body: rest.Body})
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			ops, err := c.run()
			require.NoError(b, err)
			require.NotEmpty(b, ops, "the message maps to an operation")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
