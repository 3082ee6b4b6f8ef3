package celenv

import (
	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// FnFlatten joins a list of lists, one level: with the cloud's indexes it
// unions the records reached from several keys (the hosts of every VM of
// every conflicting tenant) without scanning an entity.
const FnFlatten = "flatten"

func flattenDecl(adapter types.Adapter) cel.EnvOption {
	t := cel.TypeParamType("T")
	return cel.Function(FnFlatten,
		cel.MemberOverload("list_list_flatten", []*cel.Type{cel.ListType(cel.ListType(t))}, cel.ListType(t),
			cel.UnaryBinding(func(v ref.Val) ref.Val { return flatten(adapter, v) })))
}

func flatten(adapter types.Adapter, v ref.Val) ref.Val {
	outer, ok := v.(traits.Lister)
	if !ok {
		return types.NewErr("flatten: not a list")
	}
	var out []ref.Val
	for it := outer.Iterator(); it.HasNext() == types.True; {
		inner, ok := it.Next().(traits.Lister)
		if !ok {
			return types.NewErr("flatten: an element is not a list")
		}
		for jt := inner.Iterator(); jt.HasNext() == types.True; {
			out = append(out, jt.Next())
		}
	}
	return types.NewRefValList(adapter, out)
}
