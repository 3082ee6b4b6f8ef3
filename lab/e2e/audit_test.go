package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/openstack/stacktest"
)

// TestAuditLiveCloud: a cross-domain grant made straight at Keystone (no proxy in the
// way) is what pvsc audit --snapshot-live finds, naming the assignment's user and project.
func TestAuditLiveCloud(t *testing.T) {
	st := stacktest.New(t)
	admin := st.AdminToken(t)
	ks := st.KeystoneURL
	dom := st.JSON(t, http.StatusCreated, "POST", ks+"/domains", admin,
		map[string]any{"domain": map[string]any{"name": stacktest.UniqueName("e2e-audit-dom")}})["domain"].(map[string]any)["id"].(string)
	t.Cleanup(func() {
		raw(t, "PATCH", ks+"/domains/"+dom, admin, map[string]any{"domain": map[string]any{"enabled": false}})
		raw(t, "DELETE", ks+"/domains/"+dom, admin, nil)
	})
	create := func(kind string, attrs map[string]any) string {
		id := st.JSON(t, http.StatusCreated, "POST", ks+"/"+kind+"s", admin, map[string]any{kind: attrs})[kind].(map[string]any)["id"].(string)
		t.Cleanup(func() { raw(t, "DELETE", ks+"/"+kind+"s/"+id, admin, nil) })
		return id
	}
	project := create("project", map[string]any{"name": stacktest.UniqueName("e2e-audit-p"), "domain_id": "default"})
	outsider := create("user", map[string]any{"name": stacktest.UniqueName("e2e-audit-out"), "domain_id": dom, "password": "pw"})
	member := st.JSON(t, http.StatusOK, "GET", ks+"/roles?name=member", admin, nil)["roles"].([]any)[0].(map[string]any)["id"].(string)
	must(t, http.StatusNoContent)(raw(t, "PUT", fmt.Sprintf("%s/projects/%s/users/%s/roles/%s", ks, project, outsider, member), admin, nil))

	cmd := exec.Command(binary, "audit", "--spec", "specs/openstack", "--snapshot-live", "--format", "json")
	cmd.Dir = moduleRoot(t)
	cmd.Env = cloudEnv(st)
	out, err := cmd.Output()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "pvsc audit exits 1 on violations: %s", out)
	require.Equal(t, 1, ee.ExitCode(), string(ee.Stderr))
	var rep struct {
		Source     string
		Violations []struct {
			Property, Reason string
			Records          []struct {
				Entity, ID string
				Attrs      map[string]string
			}
		}
	}
	require.NoError(t, json.Unmarshal(out, &rep))
	assert.Contains(t, rep.Source, "live snapshot")
	found := false
	for _, v := range rep.Violations {
		if v.Property == "common_ownership" && v.Records[0].Attrs["user"] == outsider {
			found = true
			assert.Equal(t, project, v.Records[0].Attrs["project"], v.Reason)
		}
	}
	assert.True(t, found, "the cross-domain grant is a common_ownership violation: %s", out)
}
