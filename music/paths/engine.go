package paths

import (
	"fmt"

	"pvsc.dev/pvsc/music/trust"
	"pvsc.dev/pvsc/runtime"
)

// FromEngine reads the community from the music model's context: its providers (with the
// trust the model holds now, the trust level manager's last set_trust) and services.
func FromEngine(e *runtime.Engine) (Community, error) {
	var c Community
	provs, err := e.Records("provider")
	if err != nil {
		return c, err
	}
	for _, r := range provs {
		p := Provider{ID: str(r["id"]), Tags: strs(r["tags"]), Cost: num(r["cost"])}
		if p.Trust, err = level(r["trust"]); err == nil {
			p.SLA, err = level(r["sla"])
		}
		if err != nil {
			return c, fmt.Errorf("provider %s: %w", p.ID, err)
		}
		c.Providers = append(c.Providers, p)
	}
	svcs, err := e.Records("service")
	if err != nil {
		return c, err
	}
	for _, r := range svcs {
		c.Services = append(c.Services, Service{ID: str(r["id"]), Kind: str(r["kind"]), Provider: str(r["provider"]), Tags: strs(r["tags"]), Cost: num(r["cost"])})
	}
	return c, nil
}

// DataFromEngine reads a data object of the context.
func DataFromEngine(e *runtime.Engine, id string) (Data, error) {
	recs, err := e.Records("data_object")
	if err != nil {
		return Data{}, err
	}
	for _, r := range recs {
		if str(r["id"]) == id {
			cl, err := level(r["class"])
			return Data{ID: id, Class: cl, Tags: strs(r["tags"])}, err
		}
	}
	return Data{}, fmt.Errorf("no data object %q", id)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}

func strs(v any) []string {
	var out []string
	switch l := v.(type) {
	case []any:
		for _, x := range l {
			out = append(out, str(x))
		}
	case []string:
		out = append(out, l...)
	}
	return out
}

func level(v any) (trust.Level, error) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return trust.Public, nil
		}
		return trust.ParseLevel(x)
	case int64:
		return trust.Level(x), nil
	}
	return trust.Public, nil
}
