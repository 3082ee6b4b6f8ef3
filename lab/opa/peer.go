// Package opa is the Open Policy Agent peer of pvsc's benchmarks: no_bypass and common_ownership in Rego over the snapshot, prepared once and evaluated per request.
package opa

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"pvsc.dev/pvsc/lab/cloudgen"
)

//go:embed policy/*.rego
var policies embed.FS

// Properties are the properties the peer has in Rego.
var Properties = []string{"no_bypass", "common_ownership"}

// Root is the data document's key for the snapshot: data.openstack.<collection>.<id>.
const Root = "openstack"

// Data reads an OpenStack snapshot into OPA's data document: every collection
// keyed by its records' ids (role assignments by "user:project:role", as pvsc
// names them), each record as the list API gave it.
func Data(r io.Reader) (map[string]any, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var snap map[string][]map[string]any
	if err := dec.Decode(&snap); err != nil {
		return nil, fmt.Errorf("opa: snapshot: %w", err)
	}
	cloud := make(map[string]any, len(snap))
	for coll, recs := range snap {
		byID := make(map[string]any, len(recs))
		for _, rec := range recs {
			if coll == "ports" {
				bindVM(rec)
			}
			byID[recordKey(coll, rec)] = rec
		}
		cloud[coll] = byID
	}
	return map[string]any{Root: cloud}, nil
}

// bindVM records Nova's binding of a port as pvsc's model does ("vm"): a
// compute-owned port is plugged into the VM its device_id names; the binding,
// not device_id, is what a later update that clears device_id leaves in place.
func bindVM(port map[string]any) {
	port["vm"] = ""
	if strings.HasPrefix(str(port, "device_owner"), "compute:") {
		port["vm"] = str(port, "device_id")
	}
}

func recordKey(coll string, rec map[string]any) string {
	if coll == "role_assignments" {
		return cloudgen.AssignmentID(str(rec, "user", "id"), str(rec, "scope", "project", "id"), str(rec, "role", "id"))
	}
	if coll == "hypervisors" {
		return str(rec, "hypervisor_hostname")
	}
	return str(rec, "id")
}

func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	s, _ := cur.(string)
	return s
}

// Peer decides one property's critical operations with OPA.
type Peer struct {
	Property string
	store    storage.Store
	query    rego.PreparedEvalQuery
}

// New puts the data document in an in-memory store (values kept as AST, the
// fastest reads) and prepares the property's decision query once.
func New(ctx context.Context, property string, data map[string]any) (*Peer, error) {
	src, err := policies.ReadFile("policy/" + property + ".rego")
	if err != nil {
		return nil, fmt.Errorf("opa: no Rego for property %q (have %s)", property, strings.Join(Properties, ", "))
	}
	store := inmem.NewFromObjectWithOpts(data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	q, err := rego.New(
		rego.Query("data.pvsc."+property+".decision"),
		rego.Module(property+".rego", string(src)),
		rego.Store(store),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("opa: prepare %s: %w", property, err)
	}
	return &Peer{Property: property, store: store, query: q}, nil
}

// Decide evaluates the prepared query for one operation: "pass" (not
// critical), "allow" or "deny".
func (p *Peer) Decide(ctx context.Context, op string, params map[string]any) (string, error) {
	rs, err := p.query.Eval(ctx, rego.EvalInput(map[string]any{"op": op, "params": params}))
	if err != nil {
		return "", fmt.Errorf("opa: %s: %w", p.Property, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return "", fmt.Errorf("opa: %s: no decision for %s", p.Property, op)
	}
	v, ok := rs[0].Expressions[0].Value.(string)
	if !ok {
		return "", fmt.Errorf("opa: %s: decision %v is not a string", p.Property, rs[0].Expressions[0].Value)
	}
	return v, nil
}
