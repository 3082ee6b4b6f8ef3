package compiler

import (
	"strings"

	"pvsc.dev/pvsc/tables"
)

// checkPrecedence rejects precedence cycles and computes every entity's ancestors.
func (c *compiler) checkPrecedence() {
	for _, m := range c.models {
		if m.broken {
			continue
		}
		if c.precedenceCycles(m) {
			m.broken = true
			continue
		}
		for i := range m.t.Entities {
			m.t.Entities[i].Ancestors = ancestors(m.t, int32(i))
			c.checkFieldNames(m, int32(i))
		}
	}
}

// precedenceCycles reports each cycle once, at the entity that closes it.
func (c *compiler) precedenceCycles(m *modelInfo) bool {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(m.t.Entities))
	var path []int32
	found := false
	var visit func(e int32)
	visit = func(e int32) {
		state[e] = onPath
		path = append(path, e)
		for _, p := range m.t.Entities[e].Parents {
			switch state[p] {
			case onPath:
				c.errorf(m.entityAST[e].Name.Pos, "precedence cycle: %s", cycleText(m.t, path, p))
				found = true
			case unseen:
				visit(p)
			}
		}
		path = path[:len(path)-1]
		state[e] = done
	}
	for i := range m.t.Entities {
		if state[i] == unseen {
			visit(int32(i))
		}
	}
	return found
}

func cycleText(m *tables.Model, path []int32, back int32) string {
	var names []string
	start := 0
	for i, e := range path {
		if e == back {
			start = i
		}
	}
	for _, e := range path[start:] {
		names = append(names, m.Entities[e].Name)
	}
	names = append(names, m.Entities[back].Name)
	return strings.Join(names, " in ")
}

// ancestors lists every entity reachable through precedence parents, breadth first.
func ancestors(m *tables.Model, e int32) []int32 {
	var out []int32
	seen := map[int32]bool{e: true}
	queue := append([]int32(nil), m.Entities[e].Parents...)
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		if seen[a] {
			continue
		}
		seen[a] = true
		out = append(out, a)
		queue = append(queue, m.Entities[a].Parents...)
	}
	return out
}

// checkFieldNames rejects attributes named like an ancestor: records carry ancestors as fields.
func (c *compiler) checkFieldNames(m *modelInfo, e int32) {
	ent := &m.t.Entities[e]
	for _, a := range ent.Ancestors {
		for _, at := range m.entityAST[e].Attrs {
			if at.Name.Name == m.t.Entities[a].Name {
				c.errorf(at.Name.Pos, "attribute %s of %s has the name of its ancestor %s (records carry the ancestor's id under that name)", at.Name.Name, ent.Name, at.Name.Name)
			}
		}
	}
}
