// Package stacktest lets end-to-end tests use the real OpenStack that scripts/openstack/stack.sh starts.
package stacktest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvVar must be "1" for tests that need the real stack to run.
const EnvVar = "PVSC_OPENSTACK"

// Require skips the test unless PVSC_OPENSTACK=1.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvVar) != "1" {
		t.Skipf("needs the real OpenStack: run scripts/openstack/stack.sh ensure and set %s=1", EnvVar)
	}
}

// Stack is the running stack's addresses and admin credentials, from the environment
// (PVSC_KEYSTONE_URL, PVSC_NEUTRON_URL, PVSC_AMQP_URL, ADMIN_PW, BASE) or stack.sh's defaults.
type Stack struct {
	KeystoneURL   string // with /v3
	NeutronURL    string // without /v2.0
	NovaURL       string // with /v2.1
	GlanceURL     string
	AMQPURL       string
	AdminPassword string
	Base          string // stack.sh's state directory

	http      *http.Client
	mu        sync.Mutex
	adminTok  string
	adminTime time.Time
}

// New skips the test unless the stack is wanted, and returns it.
func New(t testing.TB) *Stack {
	t.Helper()
	Require(t)
	return &Stack{
		KeystoneURL:   env("PVSC_KEYSTONE_URL", "http://127.0.0.1:5000/v3"),
		NeutronURL:    env("PVSC_NEUTRON_URL", "http://127.0.0.1:9696"),
		NovaURL:       env("PVSC_NOVA_URL", "http://127.0.0.1:8774/v2.1"),
		GlanceURL:     env("PVSC_GLANCE_URL", "http://127.0.0.1:9292"),
		AMQPURL:       env("PVSC_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
		AdminPassword: env("ADMIN_PW", "adminpw"),
		Base:          env("BASE", "/tmp/pvsc-openstack"),
		http:          &http.Client{Timeout: 60 * time.Second},
	}
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// UniqueName returns prefix with a random suffix: the stack outlives test runs, and names of
// projects and users must be unique within their domain.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Do sends one request and returns the status, body and headers. uwsgi (Keystone) cannot keep
// connections alive, so every request closes its connection.
func (s *Stack) Do(t testing.TB, method, url, token string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("stacktest: encode %s %s: %v", method, url, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatalf("stacktest: %s %s: %v", method, url, err)
	}
	req.Close = true
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("stacktest: %s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("stacktest: %s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, data, resp.Header
}

// JSON sends one request, fails the test unless the status is want, and decodes the answer.
func (s *Stack) JSON(t testing.TB, want int, method, url, token string, body any) map[string]any {
	t.Helper()
	status, data, _ := s.Do(t, method, url, token, body)
	if status != want {
		t.Fatalf("stacktest: %s %s: HTTP %d, want %d: %s", method, url, status, want, data)
	}
	out := map[string]any{}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("stacktest: %s %s: decode: %v: %s", method, url, err, data)
		}
	}
	return out
}

// Token authenticates a user by name in the Default domain, scoped to a project by id.
func (s *Stack) Token(t testing.TB, user, password, projectID string) string {
	t.Helper()
	return s.token(t, map[string]any{"name": user, "domain": map[string]string{"id": "default"}},
		password, map[string]any{"project": map[string]string{"id": projectID}})
}

// AdminToken returns a token of the bootstrap admin, scoped to the admin project; reused for 30 minutes.
func (s *Stack) AdminToken(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.adminTok == "" || time.Since(s.adminTime) > 30*time.Minute {
		s.adminTok = s.token(t, map[string]any{"name": "admin", "domain": map[string]string{"id": "default"}},
			s.AdminPassword, map[string]any{"project": map[string]any{"name": "admin", "domain": map[string]string{"id": "default"}}})
		s.adminTime = time.Now()
	}
	return s.adminTok
}

func (s *Stack) token(t testing.TB, user map[string]any, password string, scope map[string]any) string {
	t.Helper()
	user["password"] = password
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": user}},
		"scope":    scope,
	}}
	status, data, h := s.Do(t, http.MethodPost, s.KeystoneURL+"/auth/tokens", "", body)
	if status != http.StatusCreated || h.Get("X-Subject-Token") == "" {
		t.Fatalf("stacktest: token for %v: HTTP %d: %s", user["name"], status, data)
	}
	return h.Get("X-Subject-Token")
}

// cleanup deletes url with the admin token when the test ends; failures are only logged,
// since a test may have deleted the object itself.
func (s *Stack) cleanup(t testing.TB, url string) {
	t.Cleanup(func() {
		status, data, _ := s.Do(t, http.MethodDelete, url, s.AdminToken(t), nil)
		if status >= 300 && status != http.StatusNotFound {
			t.Logf("stacktest: cleanup DELETE %s: HTTP %d: %s", url, status, data)
		}
	})
}

func id(t testing.TB, doc map[string]any, kind string) string {
	t.Helper()
	obj, _ := doc[kind].(map[string]any)
	v, _ := obj["id"].(string)
	if v == "" {
		t.Fatalf("stacktest: no %s.id in %v", kind, doc)
	}
	return v
}

// CreateProject creates a project in the Default domain, deleted when the test ends; returns its id.
func (s *Stack) CreateProject(t testing.TB, name string) string {
	t.Helper()
	doc := s.JSON(t, http.StatusCreated, http.MethodPost, s.KeystoneURL+"/projects", s.AdminToken(t),
		map[string]any{"project": map[string]any{"name": name, "domain_id": "default"}})
	pid := id(t, doc, "project")
	s.cleanup(t, s.KeystoneURL+"/projects/"+pid)
	return pid
}

// CreateUser creates a user in the Default domain with role (by name, e.g. "member") on the
// project, deleted when the test ends; returns its id.
func (s *Stack) CreateUser(t testing.TB, name, password, projectID, role string) string {
	t.Helper()
	admin := s.AdminToken(t)
	doc := s.JSON(t, http.StatusCreated, http.MethodPost, s.KeystoneURL+"/users", admin,
		map[string]any{"user": map[string]any{"name": name, "password": password, "domain_id": "default"}})
	uid := id(t, doc, "user")
	s.cleanup(t, s.KeystoneURL+"/users/"+uid)
	roles := s.JSON(t, http.StatusOK, http.MethodGet, s.KeystoneURL+"/roles?name="+role, admin, nil)
	list, _ := roles["roles"].([]any)
	if len(list) == 0 {
		t.Fatalf("stacktest: no role %q", role)
	}
	rid, _ := list[0].(map[string]any)["id"].(string)
	s.JSON(t, http.StatusNoContent, http.MethodPut,
		fmt.Sprintf("%s/projects/%s/users/%s/roles/%s", s.KeystoneURL, projectID, uid, rid), admin, nil)
	return uid
}

// CreateNetwork creates a network with the given attributes (e.g. "name", "shared", "project_id"),
// deleted when the test ends; returns Neutron's record.
func (s *Stack) CreateNetwork(t testing.TB, token string, attrs map[string]any) map[string]any {
	t.Helper()
	return s.createNeutron(t, token, "network", attrs)
}

// CreateSubnet creates an IPv4 subnet on a network, deleted when the test ends; returns Neutron's record.
func (s *Stack) CreateSubnet(t testing.TB, token, networkID, cidr string) map[string]any {
	t.Helper()
	return s.createNeutron(t, token, "subnet", map[string]any{"network_id": networkID, "ip_version": 4, "cidr": cidr})
}

// CreatePort creates a port on a network with extra attributes, deleted when the test ends;
// returns Neutron's record.
func (s *Stack) CreatePort(t testing.TB, token, networkID string, attrs map[string]any) map[string]any {
	t.Helper()
	a := map[string]any{"network_id": networkID}
	for k, v := range attrs {
		a[k] = v
	}
	return s.createNeutron(t, token, "port", a)
}

// UpdatePort sends a port update and returns the status and body, whatever they are, since
// tests look at refusals too.
func (s *Stack) UpdatePort(t testing.TB, token, portID string, attrs map[string]any) (int, []byte) {
	t.Helper()
	status, data, _ := s.Do(t, http.MethodPut, s.NeutronURL+"/v2.0/ports/"+portID, token, map[string]any{"port": attrs})
	return status, data
}

// AttachPort does to the port what Nova does when it attaches a VM: it sets device_id and
// device_owner=compute:nova. Fails the test unless Neutron accepts.
func (s *Stack) AttachPort(t testing.TB, token, portID, deviceID string) {
	t.Helper()
	status, data := s.UpdatePort(t, token, portID, map[string]any{"device_id": deviceID, "device_owner": "compute:nova"})
	if status != http.StatusOK {
		t.Fatalf("stacktest: attach port %s: HTTP %d: %s", portID, status, data)
	}
}

func (s *Stack) createNeutron(t testing.TB, token, kind string, attrs map[string]any) map[string]any {
	t.Helper()
	doc := s.JSON(t, http.StatusCreated, http.MethodPost, s.NeutronURL+"/v2.0/"+kind+"s", token, map[string]any{kind: attrs})
	rec, _ := doc[kind].(map[string]any)
	s.cleanup(t, s.NeutronURL+"/v2.0/"+kind+"s/"+id(t, doc, kind))
	return rec
}

// Script is the path of scripts/openstack/stack.sh, found from the module root above the working directory.
func Script(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("stacktest: getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "openstack", "stack.sh")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("stacktest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// RabbitmqCtl runs rabbitmqctl against the stack's broker (e.g. "close_all_connections", "test")
// and returns its output.
func (s *Stack) RabbitmqCtl(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{Script(t), "rabbitmqctl"}, args...)...)
	cmd.Env = append(os.Environ(), "BASE="+s.Base)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("stacktest: rabbitmqctl %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Computes are the stack's two nova-compute hosts (the fake driver).
var Computes = []string{"compute1", "compute2"}

// Image is the id of the stack's tiny image.
func (s *Stack) Image(t testing.TB) string {
	t.Helper()
	doc := s.JSON(t, http.StatusOK, http.MethodGet, s.GlanceURL+"/v2/images?name=tiny", s.AdminToken(t), nil)
	list, _ := doc["images"].([]any)
	if len(list) == 0 {
		t.Fatal("stacktest: no image \"tiny\" (stack.sh up uploads it)")
	}
	return list[0].(map[string]any)["id"].(string)
}

// novaHeader asks for a microversion that names hosts and takes a host on live migration.
const novaVersion = "compute 2.79"

// Nova sends a Nova call with the stack's microversion and returns status and body.
func (s *Stack) Nova(t testing.TB, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.NovaURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Close = true
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("OpenStack-API-Version", novaVersion)
	req.Header.Set("X-Auth-Token", token)
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("stacktest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// BootServer boots a server of the tiny image and flavor on the given ports (Nova plugs it
// into them), on host when not "" (admin only), waits until it is ACTIVE and deletes it when
// the test ends; it returns the server's record.
func (s *Stack) BootServer(t testing.TB, token, name, host string, ports ...string) map[string]any {
	t.Helper()
	var nets []any
	for _, p := range ports {
		nets = append(nets, map[string]any{"port": p})
	}
	server := map[string]any{"name": name, "imageRef": s.Image(t), "flavorRef": "1", "networks": nets}
	if host != "" {
		server["host"] = host
	}
	status, data := s.Nova(t, http.MethodPost, "/servers", token, map[string]any{"server": server})
	if status != http.StatusAccepted {
		t.Fatalf("stacktest: boot %s: HTTP %d: %s", name, status, data)
	}
	var doc map[string]map[string]any
	_ = json.Unmarshal(data, &doc)
	sid, _ := doc["server"]["id"].(string)
	t.Cleanup(func() {
		s.Nova(t, http.MethodDelete, "/servers/"+sid, s.AdminToken(t), nil)
		s.WaitGone(t, "/servers/"+sid)
	})
	return s.WaitServer(t, sid, "ACTIVE")
}

// WaitServer polls a server until its status is want (failing on ERROR) and returns it.
func (s *Stack) WaitServer(t testing.TB, id, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for {
		status, data := s.Nova(t, http.MethodGet, "/servers/"+id, s.AdminToken(t), nil)
		var doc map[string]map[string]any
		_ = json.Unmarshal(data, &doc)
		srv := doc["server"]
		st, _ := srv["status"].(string)
		task, _ := srv["OS-EXT-STS:task_state"].(string)
		switch {
		case status == http.StatusOK && st == want && task == "":
			return srv
		case st == "ERROR":
			t.Fatalf("stacktest: server %s in ERROR: %s", id, data)
		case time.Now().After(deadline):
			t.Fatalf("stacktest: server %s not %s within 120s: %s", id, want, data)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// WaitGone polls a Nova path until it answers 404.
func (s *Stack) WaitGone(t testing.TB, path string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if status, _ := s.Nova(t, http.MethodGet, path, s.AdminToken(t), nil); status == http.StatusNotFound {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("stacktest: %s still there after 60s", path)
}

// HostOf is the host Nova runs a server on now.
func HostOf(server map[string]any) string {
	h, _ := server["OS-EXT-SRV-ATTR:host"].(string)
	return h
}
