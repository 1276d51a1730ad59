package policy

import (
	"errors"
	"reflect"
	"slices"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"github.com/accord-dev/accord/internal/model"
)

// requestView is the value of `request` during one evaluation. Field reads
// go through it (see modelProvider), so that the lists and maps of the
// request are turned into CEL values once per evaluation rather than at
// every read, and statesOf(request.data.subjects) is sorted once. It lives
// in the pooled evalState: building it allocates nothing.
type requestView struct {
	req   *model.Request
	data  dataView
	basis basisView
}

// basisView is the value of `request.basis` during one evaluation.
type basisView struct {
	b        *model.Basis
	measures strList
}

// dataView is the value of `request.data` during one evaluation.
type dataView struct {
	d                               *model.Data
	categories, origin, protections strList
	subjects                        *countsVal // nil, or &counts once built
	counts                          countsVal
}

var (
	requestType = types.NewObjectType("model.Request")
	dataType    = types.NewObjectType("model.Data")
	basisType   = types.NewObjectType("model.Basis")
)

// reset points the view at r, keeping the storage of its lists.
func (v *requestView) reset(r *model.Request) {
	v.req = r
	d := &v.data
	d.d, d.subjects, d.counts = &r.Data, nil, countsVal{}
	d.categories.reset(r.Data.Categories)
	d.origin.reset(r.Data.Origin)
	d.protections.reset(r.Data.Protections)
	v.basis.b = &r.Basis
	v.basis.measures.reset(r.Basis.Measures)
}

// ConvertToNative implements ref.Val.
func (v *requestView) ConvertToNative(t reflect.Type) (any, error) {
	switch t {
	case reflect.TypeFor[*model.Request]():
		return v.req, nil
	case reflect.TypeFor[model.Request]():
		return *v.req, nil
	}
	return nil, errors.New("request: unsupported conversion to " + t.String())
}

// ConvertToType implements ref.Val.
func (v *requestView) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return requestType
	}
	return types.NewErr("request cannot be converted to %s", t.TypeName())
}

// Equal implements ref.Val.
func (v *requestView) Equal(other ref.Val) ref.Val {
	o, ok := other.(*requestView)
	return types.Bool(ok && o.req == v.req)
}

// Type implements ref.Val.
func (v *requestView) Type() ref.Type { return requestType }

// Value implements ref.Val. Field getters receive it.
func (v *requestView) Value() any { return v }

// ConvertToNative implements ref.Val.
func (v *dataView) ConvertToNative(t reflect.Type) (any, error) {
	switch t {
	case reflect.TypeFor[*model.Data]():
		return v.d, nil
	case reflect.TypeFor[model.Data]():
		return *v.d, nil
	}
	return nil, errors.New("request.data: unsupported conversion to " + t.String())
}

// ConvertToType implements ref.Val.
func (v *dataView) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return dataType
	}
	return types.NewErr("request.data cannot be converted to %s", t.TypeName())
}

// Equal implements ref.Val.
func (v *dataView) Equal(other ref.Val) ref.Val {
	o, ok := other.(*dataView)
	return types.Bool(ok && o.d == v.d)
}

// Type implements ref.Val.
func (v *dataView) Type() ref.Type { return dataType }

// Value implements ref.Val. Field getters receive it.
func (v *dataView) Value() any { return v }

// ConvertToNative implements ref.Val.
func (v *basisView) ConvertToNative(t reflect.Type) (any, error) {
	switch t {
	case reflect.TypeFor[*model.Basis]():
		return v.b, nil
	case reflect.TypeFor[model.Basis]():
		return *v.b, nil
	}
	return nil, errors.New("request.basis: unsupported conversion to " + t.String())
}

// ConvertToType implements ref.Val.
func (v *basisView) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return basisType
	}
	return types.NewErr("request.basis cannot be converted to %s", t.TypeName())
}

// Equal implements ref.Val.
func (v *basisView) Equal(other ref.Val) ref.Val {
	o, ok := other.(*basisView)
	return types.Bool(ok && o.b == v.b)
}

// Type implements ref.Val.
func (v *basisView) Type() ref.Type { return basisType }

// Value implements ref.Val. Field getters receive it.
func (v *basisView) Value() any { return v }

// field returns a cached list or map field of the data, or nil for the
// fields it does not cache.
func (v *dataView) field(name string) ref.Val {
	switch name {
	case "categories":
		return &v.categories
	case "origin":
		return &v.origin
	case "protections":
		return &v.protections
	case "subjects":
		if v.subjects == nil {
			v.counts = countsVal{foldableMap: types.DefaultTypeAdapter.NativeToValue(v.d.Subjects).(foldableMap), m: v.d.Subjects}
			v.subjects = &v.counts
		}
		return v.subjects
	}
	return nil
}

// foldableMap is a CEL map that comprehensions can fold without an
// iterator.
type foldableMap interface {
	traits.Mapper
	traits.Foldable
}

// countsVal is a map of counts by state (data.subjects) that remembers its
// sorted states once statesOf has computed them.
type countsVal struct {
	foldableMap
	m      map[string]int64
	states ref.Val
	sum    ref.Val
}

// total returns the sum of the counts, computed once.
func (c *countsVal) total() ref.Val {
	if c.sum == nil {
		var t int64
		for _, n := range c.m {
			t += n
		}
		c.sum = types.Int(t)
	}
	return c.sum
}

// statesOf returns the sorted states with a positive count, computed once.
func (c *countsVal) statesOf() ref.Val {
	if c.states == nil {
		out := make([]string, 0, len(c.m))
		for k, n := range c.m {
			if n > 0 {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		c.states = newStrList(out)
	}
	return c.states
}
