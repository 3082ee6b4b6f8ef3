package openstack_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/runtime/intercept"
	"pvsc.dev/pvsc/specs/openstack"
)

// The corpus captured from the project's real stack (scripts/openstack/capture.sh).
const captured = "../../openstack/testdata/captured"

// message is one captured AMQP delivery: its envelope and what it says.
type message struct {
	Envelope  []byte
	EventType string
	Timestamp string
	Payload   map[string]any
	Publisher string
}

func messages(t *testing.T) []message {
	t.Helper()
	var out []message
	for _, svc := range []string{"keystone", "neutron", "nova"} {
		for _, line := range jsonLines(t, filepath.Join(captured, "amqp-"+svc+".jsonl")) {
			var d struct{ Body string }
			require.NoError(t, json.Unmarshal(line, &d))
			var env struct {
				Message string `json:"oslo.message"`
			}
			require.NoError(t, json.Unmarshal([]byte(d.Body), &env))
			var m struct {
				EventType string         `json:"event_type"`
				Timestamp string         `json:"timestamp"`
				Payload   map[string]any `json:"payload"`
				Publisher string         `json:"publisher_id"`
			}
			require.NoError(t, json.Unmarshal([]byte(env.Message), &m))
			out = append(out, message{[]byte(d.Body), m.EventType, m.Timestamp, m.Payload, m.Publisher})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp < out[j].Timestamp })
	return out
}

func jsonLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) > 0 {
			out = append(out, append([]byte(nil), sc.Bytes()...))
		}
	}
	require.NoError(t, sc.Err())
	return out
}

func formats(e *runtime.Engine, ops []runtime.Op) []string {
	out := make([]string, len(ops))
	for i := range ops {
		out[i] = e.Format(&ops[i])
	}
	return out
}

// TestEveryCapturedNotificationIsUnderstood applies the real stack's notifications in the
// order they were sent: none is malformed, and the only unknown one is Keystone's
// group.updated, which names no user (pvsc serve reads the members back).
func TestEveryCapturedNotificationIsUnderstood(t *testing.T) {
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	in := intercept.New(e)
	unknown := map[string]bool{}
	for _, m := range messages(t) {
		d, err := in.Decode(m.Envelope)
		require.NoError(t, err, m.EventType)
		if !d.Known {
			unknown[m.EventType] = true
		}
		for i := range d.Ops {
			dec := e.Apply(&d.Ops[i])
			require.NoError(t, dec.Err, "%s: %s", m.EventType, e.Format(&d.Ops[i]))
		}
	}
	assert.Equal(t, map[string]bool{"identity.group.updated": true}, unknown)
}

// TestCapturedNovaNotificationsMeanWhatNovaDid pins the hosts and ports of Nova's real
// messages: the destination of a live migration is in post_dest.end (post.end is the
// source's), create.end and interface_attach.end plug every port they list.
func TestCapturedNovaNotificationsMeanWhatNovaDid(t *testing.T) {
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	in := intercept.New(e)
	seen := map[string]int{}
	for _, m := range messages(t) {
		ops, err := in.Notification(m.Envelope)
		require.NoError(t, err, m.EventType)
		data, _ := m.Payload["nova_object.data"].(map[string]any)
		host, _ := data["host"].(string)
		uuid, _ := data["uuid"].(string)
		got := formats(e, ops)
		switch m.EventType {
		case "instance.live_migration_post.end", "instance.rebuild.end", "instance.evacuate":
			assert.Empty(t, got, "%s carries the source host: it moves nothing", m.EventType)
		case "instance.live_migration_post_dest.end", "instance.resize_finish.end", "instance.unshelve.end":
			require.Len(t, got, 1, m.EventType)
			assert.Equal(t, "migrate_vm(vm_id="+uuid+", host="+host+")", got[0], m.EventType)
			assert.Contains(t, m.Publisher, host, "the destination's compute reports it")
		case "instance.create.end", "instance.interface_attach.end":
			ports := portsOf(data)
			require.NotEmpty(t, ports)
			plugs := got
			if m.EventType == "instance.create.end" {
				require.Equal(t, "boot_vm(vm_id="+uuid+", tenant_id="+data["tenant_id"].(string)+", host="+host+")", got[0])
				plugs = got[1:]
			}
			require.Len(t, plugs, len(ports), "%s plugs every port it lists", m.EventType)
			for i, p := range ports {
				assert.Equal(t, "create_vm(port_id="+p+", vm_id="+uuid+", device_owner=compute:nova, device_id="+uuid+")", plugs[i])
			}
		case "instance.shelve_offload.end":
			assert.Equal(t, []string{"migrate_vm(vm_id=" + uuid + ", host=)"}, got, "offloaded, the VM runs nowhere")
		case "instance.delete.end":
			assert.Equal(t, []string{"delete_vm(vm_id=" + uuid + ")"}, got)
		default:
			continue
		}
		seen[m.EventType]++
		for i := range ops {
			e.Apply(&ops[i])
		}
	}
	for _, et := range []string{"instance.live_migration_post.end", "instance.live_migration_post_dest.end", "instance.create.end",
		"instance.interface_attach.end", "instance.resize_finish.end", "instance.unshelve.end", "instance.shelve_offload.end", "instance.delete.end"} {
		assert.Positive(t, seen[et], "the corpus holds %s", et)
	}
}

func portsOf(data map[string]any) []string {
	var out []string
	ips, _ := data["ip_addresses"].([]any)
	for _, ip := range ips {
		d, _ := ip.(map[string]any)["nova_object.data"].(map[string]any)
		out = append(out, d["port_uuid"].(string))
	}
	return out
}

// TestEveryCapturedCallIsUnderstood decodes the real REST calls that changed something (2xx
// POST, PUT, PATCH, DELETE) as the proxy applies them, with their responses: each is known.
func TestEveryCapturedCallIsUnderstood(t *testing.T) {
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	in := intercept.New(e)
	var unknown []string
	for _, svc := range []string{"keystone", "neutron", "nova"} {
		for _, line := range jsonLines(t, filepath.Join(captured, "rest-"+svc+".jsonl")) {
			var c struct {
				Method, Path string
				Status       int
				Body         json.RawMessage
				Response     json.RawMessage
			}
			require.NoError(t, json.Unmarshal(line, &c))
			if c.Method == "GET" || c.Method == "HEAD" || c.Status < 200 || c.Status > 299 || strings.HasSuffix(c.Path, "/auth/tokens") ||
				strings.Contains(c.Path, "/images") || strings.Contains(c.Path, "/flavors") {
				continue
			}
			doc, _ := json.Marshal(map[string]any{"method": c.Method, "path": c.Path, "body": c.Body, "response": c.Response})
			d, err := in.Decode(doc)
			require.NoError(t, err, "%s %s", c.Method, c.Path)
			if !d.Known {
				unknown = append(unknown, c.Method+" "+c.Path)
			}
		}
	}
	assert.Empty(t, unknown, "state-changing calls no row maps")
}
