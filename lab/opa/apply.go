package opa

import (
	"context"
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
)

// Apply writes an operation's effect on the records the policies read into
// the store, as a data sync would after the cloud carried it out (pvsc's
// semantics: a create of an existing record updates it, an update of a missing
// one changes nothing).
func (p *Peer) Apply(ctx context.Context, op string, params map[string]any) error {
	txn, err := p.store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return err
	}
	w := writer{ctx: ctx, s: p.store, txn: txn}
	w.apply(op, params)
	if w.err != nil {
		p.store.Abort(ctx, txn)
		return fmt.Errorf("opa: apply %s: %w", op, w.err)
	}
	return p.store.Commit(ctx, txn)
}

// writer collects the first error of a sequence of store calls.
type writer struct {
	ctx context.Context
	s   storage.Store
	txn storage.Transaction
	err error
}

func path(coll string, rest ...string) storage.Path {
	return slices.Clip(append(storage.Path{Root, coll}, rest...))
}

func (w *writer) exists(p storage.Path) bool {
	if w.err != nil {
		return false
	}
	_, err := w.s.Read(w.ctx, w.txn, p)
	if err != nil && !storage.IsNotFound(err) {
		w.err = err
	}
	return err == nil
}

// read returns a string field, "" when absent.
func (w *writer) read(p storage.Path) string {
	if w.err != nil {
		return ""
	}
	v, err := w.s.Read(w.ctx, w.txn, p)
	if err != nil {
		return ""
	}
	switch s := v.(type) {
	case string:
		return s
	case ast.String:
		return string(s)
	}
	return ""
}

func (w *writer) write(op storage.PatchOp, p storage.Path, v any) {
	if w.err == nil {
		w.err = w.s.Write(w.ctx, w.txn, op, p, v)
	}
}

func (w *writer) remove(p storage.Path) {
	if w.exists(p) {
		w.write(storage.RemoveOp, p, nil)
	}
}

// setFields writes the parameters present among fields (param name -> record field) into a record.
func (w *writer) setFields(rec storage.Path, params map[string]any, fields map[string]string) {
	for param, field := range fields {
		if v, ok := params[param]; ok {
			w.write(storage.AddOp, append(rec[:len(rec):len(rec)], field), v)
		}
	}
}

var portFields = map[string]string{"device_owner": "device_owner", "device_id": "device_id"}

func (w *writer) apply(op string, params map[string]any) {
	s := func(k string) string { v, _ := params[k].(string); return v }
	port := path("ports", s("port_id"))
	switch op {
	case "create_port", "create_network_port":
		if w.exists(port) {
			w.setFields(port, params, portFields)
			return
		}
		w.write(storage.AddOp, port, map[string]any{"id": s("port_id"), "network_id": s("network_id"),
			"tenant_id": s("tenant_id"), "project_id": s("tenant_id"), "device_owner": s("device_owner"), "device_id": s("device_id"), "vm": ""})
	case "update_port":
		if w.exists(port) {
			w.setFields(port, params, portFields)
		}
	case "create_vm":
		if !w.exists(port) {
			return
		}
		if vm := path("servers", s("vm_id")); !w.exists(vm) {
			w.write(storage.AddOp, vm, map[string]any{"id": s("vm_id"), "tenant_id": w.read(append(port, "tenant_id"))})
		}
		w.write(storage.AddOp, append(port, "device_id"), s("vm_id"))
		w.write(storage.AddOp, append(port, "vm"), s("vm_id"))
		w.setFields(port, params, map[string]string{"device_owner": "device_owner", "device_id": "device_id"})
	case "detach_port":
		if w.exists(port) {
			w.write(storage.AddOp, append(port, "device_id"), "")
			w.write(storage.AddOp, append(port, "vm"), "")
			w.setFields(port, params, map[string]string{"device_owner": "device_owner"})
		}
	case "delete_port":
		w.remove(port)
	default:
		w.applyOther(op, params, s)
	}
}

func (w *writer) applyOther(op string, params map[string]any, s func(string) string) {
	switch op {
	case "boot_vm":
		if vm := path("servers", s("vm_id")); !w.exists(vm) {
			w.write(storage.AddOp, vm, map[string]any{"id": s("vm_id"), "tenant_id": s("tenant_id")})
		}
	case "delete_vm":
		w.remove(path("servers", s("vm_id")))
	case "create_user":
		w.write(storage.AddOp, path("users", s("user_id")), map[string]any{"id": s("user_id"), "domain_id": s("domain_id")})
	case "create_project":
		w.write(storage.AddOp, path("projects", s("project_id")), map[string]any{"id": s("project_id"), "domain_id": s("domain_id")})
	case "create_role":
		w.write(storage.AddOp, path("roles", s("role_id")), map[string]any{"id": s("role_id"), "domain_id": s("domain_id"), "name": s("name")})
	case "grant_role":
		w.write(storage.AddOp, path("role_assignments", s("assignment_id")), map[string]any{
			"user": map[string]any{"id": s("user_id")}, "role": map[string]any{"id": s("role_id")},
			"scope": map[string]any{"project": map[string]any{"id": s("project_id")}}})
	case "revoke_role":
		w.remove(path("role_assignments", s("assignment_id")))
	case "delete_user":
		w.remove(path("users", s("user_id")))
	case "delete_project":
		w.remove(path("projects", s("project_id")))
	case "delete_role":
		w.remove(path("roles", s("role_id")))
	}
}
