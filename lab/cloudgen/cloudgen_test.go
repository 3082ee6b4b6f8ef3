package cloudgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func small() Sizes {
	return Sizes{Domains: 3, Tenants: 20, Users: 60, Groups: 4, Networks: 30, Subnets: 50, Routers: 25,
		Ports: 200, VMs: 150, Hosts: 40, RolesPerTenant: 5, AssignmentsPerUser: 2, AvoidShare: 0.3}
}

func openstackSnapshot(t *testing.T, seed uint64, s Sizes) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, NewOpenStack(seed, s).WriteSnapshot(&b, nil))
	return b.Bytes()
}

func decode(t *testing.T, data []byte) map[string][]map[string]any {
	t.Helper()
	var snap map[string][]map[string]any
	require.NoError(t, json.Unmarshal(data, &snap))
	return snap
}

func TestSnapshotIsDeterministicPerSeed(t *testing.T) {
	a := openstackSnapshot(t, 7, small())
	b := openstackSnapshot(t, 7, small())
	c := openstackSnapshot(t, 8, small())
	assert.Equal(t, sha256.Sum256(a), sha256.Sum256(b))
	assert.NotEqual(t, sha256.Sum256(a), sha256.Sum256(c))
}

func TestSnapshotShape(t *testing.T) {
	s := small()
	snap := decode(t, openstackSnapshot(t, 1, s))
	c := NewOpenStack(1, s)
	want := map[string]int{
		"domains": 3, "projects": 20, "users": 60, "groups": 4, "roles": 3 + 20*5, "role_assignments": 120 + 2*4 + 3, "group_memberships": 6,
		"networks": 30, "subnets": 50, "routers": 25, "ports": 200, "servers": 150, "hypervisors": 40,
	}
	got := map[string]int{}
	for k, v := range snap {
		got[k] = len(v)
	}
	assert.Equal(t, want, got)
	assert.Equal(t, s.Records(), sum(got))

	ids := map[string]bool{}
	for coll, recs := range snap {
		for _, r := range recs {
			if id := str(r, "id"); id != "" {
				assert.False(t, ids[id], "duplicate id %s in %s", id, coll)
				ids[id] = true
			}
		}
	}
	port := snap["ports"][0]
	assert.Equal(t, c.PortID(0), port["id"])
	assert.Len(t, port["id"], 36)
	assert.Len(t, snap["projects"][0]["id"], 32)
	assert.Equal(t, port["project_id"], port["tenant_id"])
	assert.Contains(t, ids, str(port, "network_id"))
	fixed := port["fixed_ips"].([]any)[0].(map[string]any)
	assert.Contains(t, ids, fixed["subnet_id"].(string))
	assert.Nil(t, snap["roles"][0]["domain_id"], "global roles have a null domain, as Keystone lists them")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestSnapshotLayoutIsConsistent checks the references between records.
func TestSnapshotLayoutIsConsistent(t *testing.T) {
	snap := decode(t, openstackSnapshot(t, 3, small()))
	byID := func(coll string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, r := range snap[coll] {
			out[str(r, "id")] = r
		}
		return out
	}
	nets, subnets, servers, routers := byID("networks"), byID("subnets"), byID("servers"), byID("routers")
	kinds := map[string]int{}
	for _, p := range snap["ports"] {
		tenant := str(p, "tenant_id")
		sub := subnets[p["fixed_ips"].([]any)[0].(map[string]any)["subnet_id"].(string)]
		require.NotNil(t, sub)
		assert.Equal(t, str(p, "network_id"), str(sub, "network_id"), "the port's subnet is on its network")
		assert.Equal(t, tenant, str(nets[str(p, "network_id")], "tenant_id"), "ports sit on their tenant's networks")
		owner, dev := str(p, "device_owner"), str(p, "device_id")
		kinds[owner]++
		switch owner {
		case "compute:nova":
			require.Contains(t, servers, dev)
			assert.Equal(t, tenant, str(servers[dev], "tenant_id"))
		case "network:router_interface":
			require.Contains(t, routers, dev)
		case "network:dhcp":
			assert.True(t, strings.HasPrefix(dev, "dhcp"))
		default:
			assert.Empty(t, dev)
		}
	}
	assert.Len(t, kinds, 4, "every kind of port occurs: %v", kinds)
}

func TestGeneratedCloudSatisfiesTheInvariants(t *testing.T) {
	data := openstackSnapshot(t, 5, small())
	o, err := LoadOracle(bytes.NewReader(data))
	require.NoError(t, err)
	assert.True(t, o.NoBypass())
	assert.True(t, o.CommonOwnership())
	assert.Len(t, o.Assignments, 120)

	// no_co_residency: tenants that avoid each other share no host.
	snap := decode(t, data)
	hosts := map[string]map[string]bool{}
	for _, s := range snap["servers"] {
		ten := str(s, "tenant_id")
		if hosts[ten] == nil {
			hosts[ten] = map[string]bool{}
		}
		hosts[ten][str(s, "OS-EXT-SRV-ATTR:host")] = true
	}
	avoiding := 0
	for _, p := range snap["projects"] {
		for _, a := range asStrings(p["avoid"]) {
			avoiding++
			for h := range hosts[str(p, "id")] {
				assert.False(t, hosts[a][h], "tenants %s and %s share host %s", str(p, "id"), a, h)
			}
		}
	}
	assert.Positive(t, avoiding)
}

func asStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, x.(string))
	}
	return out
}

func TestDatasetsFollowThePapersGrid(t *testing.T) {
	first, last := Dataset(1), Dataset(GridPoints)
	assert.Equal(t, 10_000, first.Ports)
	assert.Equal(t, 1_000, first.Tenants)
	assert.Equal(t, 100_000, last.Ports)
	assert.Equal(t, 10_000, last.Tenants)
	assert.Equal(t, Paper(), last)
	for _, s := range []Sizes{first, last} {
		assert.Equal(t, 100_000, s.Users)
		assert.Equal(t, 500, s.Domains)
		assert.Equal(t, 100_000, s.VMs)
		assert.Equal(t, 40_000, s.Subnets)
		assert.Equal(t, 20_000, s.Routers)
		assert.Equal(t, 5, s.RolesPerTenant)
	}
	ten := Paper().Scale(10)
	assert.Equal(t, 1_000_000, ten.Ports)
	assert.Equal(t, 100_000, ten.Tenants)
	assert.Equal(t, 1_000_000, ten.Users)
}

func TestMusicSnapshot(t *testing.T) {
	s := MusicSizes{Communities: 2, Organisations: 10, Providers: 12, Services: 20, DataObjects: 300, Workflows: 30}
	var a, b bytes.Buffer
	require.NoError(t, NewMusic(9, s).WriteSnapshot(&a, nil))
	require.NoError(t, NewMusic(9, s).WriteSnapshot(&b, nil))
	assert.Equal(t, a.Bytes(), b.Bytes())
	snap := decode(t, a.Bytes())
	assert.Len(t, snap["data_objects"], 300)
	assert.Len(t, snap["providers"], 12)
	providers := map[string]map[string]any{}
	for _, p := range snap["providers"] {
		providers[str(p, "id")] = p
		assert.LessOrEqual(t, level(str(p, "trust")), level(str(p, "sla")))
	}
	stored := 0
	for _, d := range snap["data_objects"] {
		loc := str(d, "location")
		if loc == "" {
			continue
		}
		stored++
		p := providers[loc]
		require.NotNil(t, p)
		assert.GreaterOrEqual(t, min(level(str(p, "trust")), level(str(p, "sla"))), level(str(d, "class")))
		for _, tag := range asStrings(d["tags"]) {
			assert.Contains(t, asStrings(p["tags"]), tag)
		}
	}
	assert.Greater(t, stored, 100, "most data is stored somewhere admissible")
}

func level(s string) int {
	for i, l := range Levels {
		if l == s {
			return i
		}
	}
	return -1
}

func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, "ports", 100, false)
	for range 100 {
		p.Add(1)
	}
	p.Done()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	assert.Len(t, lines, 10, "a line per tenth off a terminal, and the last")
	assert.Contains(t, lines[0], "ports [===")
	assert.Contains(t, lines[9], "100%  100/100")
	var nilBar *Progress
	nilBar.Add(3)
	nilBar.Done()
}
