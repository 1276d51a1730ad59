package policy

import (
	"errors"
	"fmt"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// varsProvider adds the type of one pack's `variables` object to a CEL
// type provider. Fields are added one by one as the variables compile, so
// that a variable can use only the variables before it.
type varsProvider struct {
	types.Provider
	typeName string
	names    []string
	fields   map[string]*types.FieldType
}

func newVarsProvider(base types.Provider, typeName string) *varsProvider {
	return &varsProvider{Provider: base, typeName: typeName, fields: map[string]*types.FieldType{}}
}

// add declares variable i with its CEL type.
func (p *varsProvider) add(i int, name string, t *types.Type) {
	p.names = append(p.names, name)
	p.fields[name] = &types.FieldType{
		Type: t,
		IsSet: func(target any) bool {
			_, ok := target.(*varSet)
			return ok
		},
		GetFrom: func(target any) (any, error) {
			vs, ok := target.(*varSet)
			if !ok {
				return nil, fmt.Errorf("variables: unexpected value %T", target)
			}
			return vs.get(i, name)
		},
	}
}

// FindStructType implements types.Provider.
func (p *varsProvider) FindStructType(name string) (*types.Type, bool) {
	if name == p.typeName {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Provider.FindStructType(name)
}

// FindStructFieldNames implements types.Provider.
func (p *varsProvider) FindStructFieldNames(name string) ([]string, bool) {
	if name == p.typeName {
		return append([]string(nil), p.names...), true
	}
	return p.Provider.FindStructFieldNames(name)
}

// FindStructFieldType implements types.Provider.
func (p *varsProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if name == p.typeName {
		ft, ok := p.fields[field]
		return ft, ok
	}
	return p.Provider.FindStructFieldType(name, field)
}

// NewValue implements types.Provider; variables cannot be constructed.
func (p *varsProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if name == p.typeName {
		return types.NewErr("variables cannot be constructed")
	}
	return p.Provider.NewValue(name, fields)
}

// varSet is the value of `variables` while one pack is evaluated: each
// variable is computed on first read and kept for the rest of the
// evaluation. It lives in the pooled evalState.
type varSet struct {
	s     *evalState
	progs []*program
	vals  []ref.Val
	errs  []error
	state []uint8 // 0 not computed, 1 computing, 2 done
}

// reset prepares the set for a pack's variables.
func (vs *varSet) reset(s *evalState, progs []*program) {
	vs.s, vs.progs = s, progs
	n := len(progs)
	vs.vals = resize(vs.vals, n)
	vs.errs = resize(vs.errs, n)
	vs.state = resize(vs.state, n)
}

func resize[T any](sl []T, n int) []T {
	if cap(sl) < n {
		return make([]T, n)
	}
	sl = sl[:cap(sl)]
	clear(sl) // drop values of an earlier evaluation
	return sl[:n]
}

var errVarCycle = errors.New("variable refers to itself")

func (vs *varSet) get(i int, name string) (any, error) {
	if i >= len(vs.progs) || vs.progs[i] == nil {
		return nil, fmt.Errorf("variable %s did not compile", name)
	}
	switch vs.state[i] {
	case 2:
		if vs.errs[i] != nil {
			return nil, vs.errs[i]
		}
		return vs.vals[i], nil
	case 1:
		return nil, errVarCycle
	}
	vs.state[i] = 1
	out, err := vs.progs[i].eval(vs.s)
	if err != nil {
		err = fmt.Errorf("variable %s: %w", name, err)
	}
	vs.vals[i], vs.errs[i], vs.state[i] = out, err, 2
	if err != nil {
		return nil, err
	}
	return out, nil
}
