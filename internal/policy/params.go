package policy

import (
	"fmt"
	"sort"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/accord-dev/accord/internal/locale"
)

// paramTable is a pack's parameters resolved ahead of time: the timeline is
// cut at every valid_from and valid_to, and each segment holds the values
// in force during it, already converted to CEL values. Finding the values
// for a request is a binary search; nothing is allocated.
type paramTable struct {
	names  []string
	index  map[string]int
	types  []*types.Type
	cuts   []int64     // segment i covers [cuts[i-1], cuts[i]) in Unix seconds
	values []*paramSet // len(cuts)+1 segments; values[0] is before cuts[0]
}

// paramSet is the value of `params` during one segment of the timeline.
type paramSet struct {
	vals []ref.Val // by param index; nil when no value is in force
	tbl  *paramTable
}

func newParamTable(params []*Param) (*paramTable, error) {
	t := &paramTable{index: map[string]int{}}
	cutSet := map[int64]bool{}
	for i, p := range params {
		t.names = append(t.names, p.Name)
		t.index[p.Name] = i
		typ, err := paramType(p)
		if err != nil {
			return nil, err
		}
		t.types = append(t.types, typ)
		for _, v := range p.Values {
			cutSet[v.ValidFrom.Unix()] = true
			if !v.ValidTo.IsZero() {
				cutSet[v.ValidTo.Unix()] = true
			}
		}
	}
	for c := range cutSet {
		t.cuts = append(t.cuts, c)
	}
	sort.Slice(t.cuts, func(a, b int) bool { return t.cuts[a] < t.cuts[b] })
	for seg := 0; seg <= len(t.cuts); seg++ {
		// A representative instant of the segment: its start, or for the
		// first segment the instant just before the first cut.
		var at time.Time
		if seg == 0 {
			if len(t.cuts) == 0 {
				at = time.Unix(0, 0).UTC()
			} else {
				at = time.Unix(t.cuts[0]-1, 0).UTC()
			}
		} else {
			at = time.Unix(t.cuts[seg-1], 0).UTC()
		}
		ps := &paramSet{vals: make([]ref.Val, len(params)), tbl: t}
		for i, p := range params {
			for _, v := range p.Values {
				if v.inForce(at) {
					ps.vals[i] = paramVal(v.Value)
				}
			}
		}
		t.values = append(t.values, ps)
	}
	return t, nil
}

// at returns the parameters in force at time at.
func (t *paramTable) at(at time.Time) *paramSet {
	s := at.Unix()
	// First cut strictly greater than s: the segment index.
	i := sort.Search(len(t.cuts), func(i int) bool { return t.cuts[i] > s })
	return t.values[i]
}

// paramType is the CEL type of a parameter, from its first value (Load
// checked that every value has the same type).
func paramType(p *Param) (*types.Type, error) {
	var typ *types.Type
	for _, v := range p.Values {
		var t *types.Type
		switch x := v.Value.(type) {
		case int64:
			t = types.IntType
		case float64:
			t = types.DoubleType
		case string:
			t = types.StringType
		case bool:
			t = types.BoolType
		case []int64:
			t = types.NewListType(types.IntType)
		case []float64:
			t = types.NewListType(types.DoubleType)
		case []bool:
			t = types.NewListType(types.BoolType)
		case []string:
			if len(x) == 0 && typ != nil {
				continue // an empty list takes the type of the others
			}
			t = types.NewListType(types.StringType)
		default:
			return nil, &Error{Pos: v.Pos, Err: locale.Errorf("param %s: unsupported value type %T", p.Name, v.Value)}
		}
		if typ == nil || (typ.IsExactType(types.NewListType(types.StringType)) && t.Kind() == types.ListKind) {
			typ = t
		}
	}
	if typ == nil {
		return nil, &Error{Pos: p.Pos, Err: locale.Errorf("param %s has no value", p.Name)}
	}
	return typ, nil
}

// paramVal converts a parameter value to a CEL value once, at compile time.
func paramVal(v any) ref.Val {
	switch x := v.(type) {
	case []string:
		return newParamList(x)
	default:
		return types.DefaultTypeAdapter.NativeToValue(x)
	}
}

// paramsProvider adds the type of one pack's `params` object to a CEL type
// provider, so that `params.name` is type-checked at compile time (a typo
// is a compile error, not a runtime surprise) and read at run time without
// a map lookup.
type paramsProvider struct {
	types.Provider
	typeName string
	table    *paramTable
	fields   map[string]*types.FieldType
}

func newParamsProvider(base types.Provider, typeName string, t *paramTable) *paramsProvider {
	p := &paramsProvider{Provider: base, typeName: typeName, table: t, fields: map[string]*types.FieldType{}}
	for i, name := range t.names {
		p.fields[name] = &types.FieldType{
			Type: t.types[i],
			IsSet: func(target any) bool {
				ps, ok := target.(*paramSet)
				return ok && ps.vals[i] != nil
			},
			GetFrom: func(target any) (any, error) {
				ps, ok := target.(*paramSet)
				if !ok {
					return nil, fmt.Errorf("params: unexpected value %T", target)
				}
				if v := ps.vals[i]; v != nil {
					return v, nil
				}
				return nil, fmt.Errorf("param %s has no value in force at this request's time", name)
			},
		}
	}
	return p
}

// FindStructType implements types.Provider.
func (p *paramsProvider) FindStructType(name string) (*types.Type, bool) {
	if name == p.typeName {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Provider.FindStructType(name)
}

// FindStructFieldNames implements types.Provider.
func (p *paramsProvider) FindStructFieldNames(name string) ([]string, bool) {
	if name == p.typeName {
		return append([]string(nil), p.table.names...), true
	}
	return p.Provider.FindStructFieldNames(name)
}

// FindStructFieldType implements types.Provider.
func (p *paramsProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if name == p.typeName {
		ft, ok := p.fields[field]
		return ft, ok
	}
	return p.Provider.FindStructFieldType(name, field)
}

// NewValue implements types.Provider; params cannot be constructed in an
// expression.
func (p *paramsProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if name == p.typeName {
		return types.NewErr("params cannot be constructed")
	}
	return p.Provider.NewValue(name, fields)
}
