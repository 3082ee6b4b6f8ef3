package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/snapshot"
	"pvsc.dev/pvsc/openstack/stacktest"
	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/specs/openstack"
)

// serveNode starts pvsc serve beside the stack, following its notifications, with its API.
func serveNode(t *testing.T, st *stacktest.Stack) *proc {
	t.Helper()
	queue := stacktest.UniqueName("pvsc-e2e")
	t.Cleanup(func() { deleteQueues(t, st.AMQPURL, queue) })
	api := freePort(t)
	return start(t, st, api, "serve", "--spec", "specs/openstack", "--snapshot-live", "--amqp-url", st.AMQPURL, "--queue", queue,
		"--listen", api, "--auth", "bearer")
}

// world is what the random run has made so far, to draw the next operation from.
type world struct {
	st                       *stacktest.Stack
	r                        *rand.Rand
	admin                    string
	neutron, keystone        string // the proxy's addresses
	projects, users, groups  []string
	nets, subnets, ports     []string
	freePorts, servers       []string
	roles                    []string
	grants                   [][3]string // user, project, role
	members                  [][2]string // group, user
	proxied, direct, refused int
}

// TestModelEqualsCloud drives seeded random operations at Keystone, Neutron and Nova, some
// through pvsc proxy and some straight at the services (pvsc then learns them from the
// notifications), and compares every record of pvsc's context with a fresh live snapshot,
// attribute by attribute.
func TestModelEqualsCloud(t *testing.T) {
	st := stacktest.New(t)
	n := 500
	if v, err := strconv.Atoi(os.Getenv("PVSC_E2E_OPS")); err == nil {
		n = v
	}
	p, neutron, keystone := proxyNode(t, st, "--shadow-sat")
	w := &world{st: st, r: rand.New(rand.NewPCG(1, 2)), admin: st.AdminToken(t), neutron: neutron, keystone: keystone + "/v3"}
	w.setup(t)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		w.step(t)
	}
	t.Logf("%d operations in %v: %d through the proxy, %d straight at the services, %d refused by pvsc",
		n, time.Since(t0).Round(time.Second), w.proxied, w.direct, w.refused)
	settle(t, p)
	diffs := compare(t, st, p)
	for _, d := range diffs {
		t.Log(d)
	}
	assert.Empty(t, diffs, "pvsc's context and the cloud differ")

	metrics := p.getText(t, "/metrics")
	checks, mismatches := metricValue(metrics, "pvsc_shadow_checks_total"), metricValue(metrics, "pvsc_shadow_mismatches_total")
	t.Logf("proxy decisions decided again by the SAT engine on the same context: %v property verdicts, %v disagreements", checks, mismatches)
	assert.Positive(t, checks, "the proxy held critical calls and the SAT engine decided them again")
	assert.Zero(t, mismatches, "every proxy decision equals the SAT engine's on the same context")
}

// metricValue reads an unlabelled metric's value from a metrics page (-1 when absent).
func metricValue(metrics, name string) float64 {
	for _, line := range strings.Split(metrics, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

func (w *world) setup(t *testing.T) {
	for _, name := range []string{"member", "reader"} {
		roles := w.st.JSON(t, http.StatusOK, "GET", w.st.KeystoneURL+"/roles?name="+name, w.admin, nil)["roles"].([]any)
		w.roles = append(w.roles, roles[0].(map[string]any)["id"].(string))
	}
	for range 3 {
		w.projects = append(w.projects, w.st.CreateProject(t, stacktest.UniqueName("eq")))
	}
}

// via picks the proxy or the service itself for a call.
func (w *world) via(proxy, direct string) string {
	if w.r.IntN(2) == 0 {
		w.proxied++
		return proxy
	}
	w.direct++
	return direct
}

func (w *world) pick(xs []string) string { return xs[w.r.IntN(len(xs))] }

// step makes one random operation; calls pvsc refuses are counted, not errors.
func (w *world) step(t *testing.T) {
	type op struct {
		weight int
		do     func(*testing.T) bool
	}
	ops := []op{
		{6, w.createUser}, {3, w.createGroup}, {8, w.grant}, {4, w.revoke}, {5, w.addMember}, {2, w.removeMember},
		{4, w.groupGrant}, {2, w.domainGrant},
		{4, w.createNetwork}, {6, w.createSubnet}, {10, w.createPort}, {3, w.bulkPorts}, {6, w.updatePort},
		{4, w.deletePort}, {2, w.bootServer}, {1, w.migrate}, {1, w.deleteServer},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	for {
		k := w.r.IntN(total)
		for _, o := range ops {
			if k < o.weight {
				if o.do(t) {
					return
				}
				break
			}
			k -= o.weight
		}
	}
}

// call sends one request and records a refusal by pvsc (403 from the proxy).
func (w *world) call(t *testing.T, method, url string, body any) (int, []byte) {
	status, data := raw(t, method, url, w.admin, body)
	if status == http.StatusForbidden && bytes.Contains(data, []byte("pvsc")) {
		w.refused++
	}
	return status, data
}

func (w *world) createUser(t *testing.T) bool {
	status, data := w.call(t, "POST", w.via(w.keystone, w.st.KeystoneURL)+"/users", map[string]any{"user": map[string]any{
		"name": stacktest.UniqueName("eq-u"), "domain_id": "default", "password": "pw"}})
	require.Equal(t, http.StatusCreated, status, string(data))
	id := jsonField(t, data, "user", "id").(string)
	w.users = append(w.users, id)
	t.Cleanup(func() { raw(t, "DELETE", w.st.KeystoneURL+"/users/"+id, w.admin, nil) })
	return true
}

func (w *world) createGroup(t *testing.T) bool {
	status, data := w.call(t, "POST", w.via(w.keystone, w.st.KeystoneURL)+"/groups", map[string]any{"group": map[string]any{
		"name": stacktest.UniqueName("eq-g"), "domain_id": "default"}})
	require.Equal(t, http.StatusCreated, status, string(data))
	id := jsonField(t, data, "group", "id").(string)
	w.groups = append(w.groups, id)
	t.Cleanup(func() { raw(t, "DELETE", w.st.KeystoneURL+"/groups/"+id, w.admin, nil) })
	return true
}

func (w *world) grant(t *testing.T) bool {
	if len(w.users) == 0 {
		return false
	}
	g := [3]string{w.pick(w.users), w.pick(w.projects), w.pick(w.roles)}
	status, _ := w.call(t, "PUT", fmt.Sprintf("%s/projects/%s/users/%s/roles/%s", w.via(w.keystone, w.st.KeystoneURL), g[1], g[0], g[2]), nil)
	if status == http.StatusNoContent {
		w.grants = append(w.grants, g)
	}
	return true
}

func (w *world) revoke(t *testing.T) bool {
	if len(w.grants) == 0 {
		return false
	}
	i := w.r.IntN(len(w.grants))
	g := w.grants[i]
	w.call(t, "DELETE", fmt.Sprintf("%s/projects/%s/users/%s/roles/%s", w.via(w.keystone, w.st.KeystoneURL), g[1], g[0], g[2]), nil)
	w.grants = append(w.grants[:i], w.grants[i+1:]...)
	return true
}

func (w *world) addMember(t *testing.T) bool {
	if len(w.groups) == 0 || len(w.users) == 0 {
		return false
	}
	m := [2]string{w.pick(w.groups), w.pick(w.users)}
	// memberships are learnt through the proxy: Keystone's group.updated names no user
	status, _ := w.call(t, "PUT", fmt.Sprintf("%s/groups/%s/users/%s", w.keystone, m[0], m[1]), nil)
	w.proxied++
	if status == http.StatusNoContent {
		w.members = append(w.members, m)
	}
	return true
}

func (w *world) removeMember(t *testing.T) bool {
	if len(w.members) == 0 {
		return false
	}
	i := w.r.IntN(len(w.members))
	m := w.members[i]
	w.call(t, "DELETE", fmt.Sprintf("%s/groups/%s/users/%s", w.keystone, m[0], m[1]), nil)
	w.proxied++
	w.members = append(w.members[:i], w.members[i+1:]...)
	return true
}

func (w *world) groupGrant(t *testing.T) bool {
	if len(w.groups) == 0 {
		return false
	}
	w.call(t, "PUT", fmt.Sprintf("%s/projects/%s/groups/%s/roles/%s", w.via(w.keystone, w.st.KeystoneURL), w.pick(w.projects), w.pick(w.groups), w.pick(w.roles)), nil)
	return true
}

func (w *world) domainGrant(t *testing.T) bool {
	if len(w.users) == 0 {
		return false
	}
	path := fmt.Sprintf("/domains/default/users/%s/roles/%s", w.pick(w.users), w.roles[1])
	if w.r.IntN(2) == 0 {
		path = "/OS-INHERIT" + path + "/inherited_to_projects"
	}
	w.call(t, "PUT", w.via(w.keystone, w.st.KeystoneURL)+path, nil)
	return true
}

func (w *world) createNetwork(t *testing.T) bool {
	status, data := w.call(t, "POST", w.via(w.neutron, w.st.NeutronURL)+"/v2.0/networks", map[string]any{"network": map[string]any{
		"name": stacktest.UniqueName("eq-net"), "project_id": w.pick(w.projects)}})
	require.Equal(t, http.StatusCreated, status, string(data))
	id := jsonField(t, data, "network", "id").(string)
	w.nets = append(w.nets, id)
	t.Cleanup(func() { raw(t, "DELETE", w.st.NeutronURL+"/v2.0/networks/"+id, w.admin, nil) })
	return true
}

func (w *world) createSubnet(t *testing.T) bool {
	if len(w.nets) == 0 || len(w.subnets) >= 200 {
		return false
	}
	status, data := w.call(t, "POST", w.via(w.neutron, w.st.NeutronURL)+"/v2.0/subnets", map[string]any{"subnet": map[string]any{
		"network_id": w.pick(w.nets), "ip_version": 4, "cidr": fmt.Sprintf("10.%d.%d.0/24", 100+len(w.subnets)/200, len(w.subnets)%200)}})
	if status != http.StatusCreated {
		return true
	}
	id := jsonField(t, data, "subnet", "id").(string)
	w.subnets = append(w.subnets, id)
	t.Cleanup(func() { raw(t, "DELETE", w.st.NeutronURL+"/v2.0/subnets/"+id, w.admin, nil) })
	return true
}

func (w *world) port(t *testing.T, rec map[string]any) {
	id := rec["id"].(string)
	w.ports = append(w.ports, id)
	w.freePorts = append(w.freePorts, id)
	t.Cleanup(func() { raw(t, "DELETE", w.st.NeutronURL+"/v2.0/ports/"+id, w.admin, nil) })
}

func (w *world) createPort(t *testing.T) bool {
	if len(w.subnets) == 0 {
		return false
	}
	sub := w.st.JSON(t, http.StatusOK, "GET", w.st.NeutronURL+"/v2.0/subnets/"+w.pick(w.subnets), w.admin, nil)["subnet"].(map[string]any)
	status, data := w.call(t, "POST", w.via(w.neutron, w.st.NeutronURL)+"/v2.0/ports", map[string]any{"port": map[string]any{
		"network_id": sub["network_id"], "fixed_ips": []any{map[string]any{"subnet_id": sub["id"]}}, "project_id": sub["project_id"]}})
	if status == http.StatusCreated {
		w.port(t, jsonField(t, data, "port").(map[string]any))
	}
	return true
}

func (w *world) bulkPorts(t *testing.T) bool {
	if len(w.subnets) == 0 {
		return false
	}
	sub := w.st.JSON(t, http.StatusOK, "GET", w.st.NeutronURL+"/v2.0/subnets/"+w.pick(w.subnets), w.admin, nil)["subnet"].(map[string]any)
	var ports []any
	for range 2 + w.r.IntN(2) {
		ports = append(ports, map[string]any{"network_id": sub["network_id"], "project_id": sub["project_id"],
			"fixed_ips": []any{map[string]any{"subnet_id": sub["id"]}}})
	}
	status, data := w.call(t, "POST", w.via(w.neutron, w.st.NeutronURL)+"/v2.0/ports", map[string]any{"ports": ports})
	if status == http.StatusCreated {
		for _, p := range jsonField(t, data, "ports").([]any) {
			w.port(t, p.(map[string]any))
		}
	}
	return true
}

func (w *world) updatePort(t *testing.T) bool {
	if len(w.freePorts) == 0 {
		return false
	}
	attrs := []map[string]any{{"name": stacktest.UniqueName("eq")}, {"device_owner": "network:dhcp", "device_id": "dhcp-eq"},
		{"device_owner": "", "device_id": ""}}[w.r.IntN(3)]
	w.call(t, "PUT", w.via(w.neutron, w.st.NeutronURL)+"/v2.0/ports/"+w.pick(w.freePorts), map[string]any{"port": attrs})
	return true
}

func (w *world) deletePort(t *testing.T) bool {
	if len(w.freePorts) == 0 {
		return false
	}
	i := w.r.IntN(len(w.freePorts))
	id := w.freePorts[i]
	status, _ := w.call(t, "DELETE", w.via(w.neutron, w.st.NeutronURL)+"/v2.0/ports/"+id, nil)
	if status == http.StatusNoContent {
		w.freePorts = append(w.freePorts[:i], w.freePorts[i+1:]...)
	}
	return true
}

func (w *world) bootServer(t *testing.T) bool {
	if len(w.freePorts) == 0 || len(w.servers) >= 6 {
		return false
	}
	i := w.r.IntN(len(w.freePorts))
	port := w.freePorts[i]
	rec := w.st.JSON(t, http.StatusOK, "GET", w.st.NeutronURL+"/v2.0/ports/"+port, w.admin, nil)["port"].(map[string]any)
	if rec["device_owner"] != "" {
		return false
	}
	w.freePorts = append(w.freePorts[:i], w.freePorts[i+1:]...)
	srv := w.st.BootServer(t, w.admin, stacktest.UniqueName("eq-vm"), stacktest.Computes[w.r.IntN(2)], port)
	w.servers = append(w.servers, srv["id"].(string))
	w.direct++
	return true
}

func (w *world) migrate(t *testing.T) bool {
	if len(w.servers) == 0 {
		return false
	}
	vm := w.pick(w.servers)
	dest := stacktest.Computes[0]
	if stacktest.HostOf(w.st.WaitServer(t, vm, "ACTIVE")) == dest {
		dest = stacktest.Computes[1]
	}
	status, _ := w.st.Nova(t, http.MethodPost, "/servers/"+vm+"/action", w.admin,
		map[string]any{"os-migrateLive": map[string]any{"host": dest, "block_migration": "auto"}})
	if status == http.StatusAccepted {
		deadline := time.Now().Add(90 * time.Second)
		for stacktest.HostOf(w.st.WaitServer(t, vm, "ACTIVE")) != dest && time.Now().Before(deadline) {
			time.Sleep(time.Second)
		}
	}
	w.direct++
	return true
}

func (w *world) deleteServer(t *testing.T) bool {
	if len(w.servers) == 0 {
		return false
	}
	i := w.r.IntN(len(w.servers))
	vm := w.servers[i]
	w.servers = append(w.servers[:i], w.servers[i+1:]...)
	w.st.Nova(t, http.MethodDelete, "/servers/"+vm, w.admin, nil)
	w.st.WaitGone(t, "/servers/"+vm)
	w.direct++
	return true
}

// settle waits until pvsc has applied every notification: the journal stops growing.
func settle(t *testing.T, p *proc) {
	t.Helper()
	last, since := -1.0, time.Now()
	for time.Since(since) < 8*time.Second {
		st := p.get(t, "/v1/status")
		ev, _ := st["events"].(map[string]any)
		n, _ := ev["journal"].(float64)
		if n != last {
			last, since = n, time.Now()
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// compare lists every difference between pvsc's context and a fresh live snapshot of the
// cloud loaded into the same spec: records missing on either side, and attributes that differ.
func compare(t *testing.T, st *stacktest.Stack, p *proc) []string {
	t.Helper()
	cfg := snapshot.Config{AuthURL: st.KeystoneURL, Username: "admin", Password: st.AdminPassword, UserDomain: "Default",
		Project: "admin", ProjectDomain: "Default", Interface: "public"}
	opts, err := cfg.Options(context.Background())
	require.NoError(t, err)
	snap, err := snapshot.Take(context.Background(), opts)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, snap.WriteJSON(&b))
	fresh, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	_, err = fresh.LoadSnapshot(&b, "live")
	require.NoError(t, err)
	var diffs []string
	seen := map[string]bool{}
	for _, m := range openstack.Spec.Models {
		for _, e := range m.Entities {
			if seen[e.Name] {
				continue
			}
			seen[e.Name] = true
			want, err := fresh.Records(e.Name)
			require.NoError(t, err)
			got := p.get(t, "/v1/records/"+e.Name)["records"].([]any)
			diffs = append(diffs, diffRecords(e.Name, want, got)...)
		}
	}
	sort.Strings(diffs)
	return diffs
}

func diffRecords(entity string, want []map[string]any, got []any) []string {
	norm := func(v any) any { b, _ := json.Marshal(v); var out any; _ = json.Unmarshal(b, &out); return out }
	byID := map[string]map[string]any{}
	for _, g := range got {
		r := g.(map[string]any)
		byID[r["id"].(string)] = r
	}
	var out []string
	for _, wr := range want {
		id := wr["id"].(string)
		gr, ok := byID[id]
		if !ok {
			out = append(out, fmt.Sprintf("%s %s: in the cloud, not in pvsc's context", entity, id))
			continue
		}
		delete(byID, id)
		for k, v := range wr {
			if !reflect.DeepEqual(norm(v), norm(gr[k])) {
				out = append(out, fmt.Sprintf("%s %s: %s is %v in the cloud, %v in pvsc's context", entity, id, k, v, gr[k]))
			}
		}
	}
	for id := range byID {
		out = append(out, fmt.Sprintf("%s %s: in pvsc's context, not in the cloud", entity, id))
	}
	return out
}
