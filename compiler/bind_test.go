package compiler_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/compiler"
)

// ownNet is own_net's invariant; bound writes the network lookup once, with cel.bind.
const (
	ownNet = "`cloud.ports.all(p, !(p.net in cloud.net_ids) || cloud.net_by_id[p.net].tenant == p.tenant || cloud.net_by_id[p.net].shared)`"
	bound  = "`cloud.ports.all(p, !(p.net in cloud.net_ids) || cel.bind(n, cloud.net_by_id[p.net], n.tenant == p.tenant || n.shared))`"
)

func compileOwnNet(t *testing.T, invariant, plan string) (*compiler.Result, error) {
	t.Helper()
	return compiler.CompileSources("m", map[string][]byte{"m.pvsc": []byte(portModel), "p.pvsc": []byte(
		"property own_net on m {\n  invariant " + invariant + "\n" + plan + "  enforce alert\n}\n")})
}

// A binding is inlined before anything reads the expression: the invariant with cel.bind
// derives the plan the one without derives, and the tables keep plain CEL.
func TestABindingIsInlined(t *testing.T) {
	plain, err := compileOwnNet(t, ownNet, "")
	require.NoError(t, err)
	withBind, err := compileOwnNet(t, bound, "")
	require.NoError(t, err)
	assert.Equal(t, plain.Derived["own_net"].Text(""), withBind.Derived["own_net"].Text(""))
	inv := withBind.Spec.Property("own_net").Invariant.Src
	assert.NotContains(t, inv, "cel.bind")
	assert.Contains(t, inv, "cloud.net_by_id[p.net].shared")
}

// A hand-written rule may bind too; its text in the tables is inlined, and it still
// runs in the fast form (lookups and comparisons only).
func TestABindingInAHandWrittenRule(t *testing.T) {
	res, err := compileOwnNet(t, ownNet, "  critical create_port\n"+
		"  watchlist nets[tenant] of net\n    init `true`\n"+
		"  allow if `cel.bind(n, cloud.net_by_id[op.net_id], n.tenant == op.tenant_id || n.shared)`\n"+
		"  threshold 1\n")
	require.NoError(t, err)
	p := res.Spec.Property("own_net")
	var rule string
	for _, c := range p.Criticals {
		if res.Spec.Models[p.Model].Events[c.Event].Name == "create_port" {
			rule = c.Allow.Src
			assert.NotNil(t, c.Allow.Fast, "an inlined binding of lookups runs in the fast form")
		}
	}
	assert.Equal(t, "cloud.net_by_id[op.net_id].tenant == op.tenant_id || cloud.net_by_id[op.net_id].shared", rule)
}

// A binding whose value reads a name that a quantifier in its expression binds again
// would change meaning when inlined: refused, with where and what to rename. A
// binding of the wrong shape is refused by CEL's own check, at its position.
func TestBindingsThatCannotBeInlined(t *testing.T) {
	_, err := compileOwnNet(t, "`cloud.ports.all(p, cel.bind(t, p.tenant, cloud.ports.all(p, p.tenant == t)))`", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `p.pvsc:2:14: cel.bind(t, ...): its value reads "p", which a quantifier in the expression binds again: rename that quantifier's variable`)
	_, err = compileOwnNet(t, "`cloud.ports.all(p, cel.bind(p.tenant, 1, true))`", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "p.pvsc:2:")
	assert.Contains(t, err.Error(), "cel.bind")
}
