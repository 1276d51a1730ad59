package policy

import (
	"reflect"
	"slices"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// strList is a CEL list of strings that keeps its Go slice, so that
// Accord's functions read it without copying, and that answers `x in list`
// by comparing Go strings rather than boxing every element.
//
// Elements handed to CEL (by index or to a comprehension) come from vals
// when set: params lists box their elements once at compile time, and the
// request's lists (which live in the pooled evaluation state) once per
// evaluation, on first use. Otherwise each element is interned (see
// internedString), which allocates nothing for state codes and the model's
// vocabulary.
type strList struct {
	ss   []string
	vals []ref.Val // boxed elements, len(ss) of them; nil until built
	// cache allows elem to build vals on first use. Only lists owned by
	// one evaluation may set it: the others are shared between goroutines.
	cache bool
	buf   []ref.Val // storage for vals kept across pooled evaluations
}

var (
	_ traits.Lister   = (*strList)(nil)
	_ traits.Foldable = (*strList)(nil)
)

// newStrList wraps ss; the list must not be modified afterwards.
func newStrList(ss []string) *strList {
	return &strList{ss: ss}
}

// newParamList wraps ss and boxes its elements once, for a list shared by
// every evaluation.
func newParamList(ss []string) *strList {
	l := &strList{ss: ss, vals: make([]ref.Val, len(ss))}
	for i, s := range ss {
		l.vals[i] = types.String(s)
	}
	return l
}

// reset makes l, owned by one evaluation, wrap ss, keeping its storage.
func (l *strList) reset(ss []string) {
	clear(l.buf)
	*l = strList{ss: ss, cache: true, buf: l.buf[:0]}
}

// elem returns element i as a CEL value.
func (l *strList) elem(i int) ref.Val {
	if l.vals == nil && l.cache && len(l.ss) > 1 {
		l.buf = slices.Grow(l.buf[:0], len(l.ss))[:len(l.ss)]
		for j, s := range l.ss {
			l.buf[j] = internedString(s)
		}
		l.vals = l.buf
	}
	if l.vals != nil {
		return l.vals[i]
	}
	return internedString(l.ss[i])
}

// base is the standard CEL list with the same elements, for the rarely used
// operations (conversion, equality, concatenation, iterators).
func (l *strList) base() traits.Lister {
	return types.NewStringList(types.DefaultTypeAdapter, l.ss)
}

// Contains implements traits.Container without allocating.
func (l *strList) Contains(elem ref.Val) ref.Val {
	if s, ok := elem.(types.String); ok {
		return types.Bool(slices.Contains(l.ss, string(s)))
	}
	return l.base().Contains(elem)
}

// Get implements traits.Indexer.
func (l *strList) Get(index ref.Val) ref.Val {
	if i, ok := index.(types.Int); ok && i >= 0 && int64(i) < int64(len(l.ss)) {
		return l.elem(int(i))
	}
	return l.base().Get(index)
}

// Fold implements traits.Foldable: comprehensions walk the list without
// an iterator.
func (l *strList) Fold(f traits.Folder) {
	for i := range l.ss {
		if !f.FoldEntry(i, l.elem(i)) {
			break
		}
	}
}

// Size implements traits.Sizer.
func (l *strList) Size() ref.Val { return types.Int(len(l.ss)) }

// IsZeroValue reports whether the list is empty.
func (l *strList) IsZeroValue() bool { return len(l.ss) == 0 }

// Add implements traits.Adder.
func (l *strList) Add(other ref.Val) ref.Val {
	if o, ok := other.(traits.Lister); ok && o.Size() == types.IntZero {
		return l
	}
	return l.base().Add(other)
}

// Iterator implements traits.Iterable.
func (l *strList) Iterator() traits.Iterator { return l.base().Iterator() }

// ConvertToNative implements ref.Val.
func (l *strList) ConvertToNative(t reflect.Type) (any, error) {
	if t == reflect.TypeFor[[]string]() {
		return l.ss, nil
	}
	return l.base().ConvertToNative(t)
}

// ConvertToType implements ref.Val.
func (l *strList) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.ListType:
		return l
	case types.TypeType:
		return types.ListType
	}
	return l.base().ConvertToType(t)
}

// Equal implements ref.Val.
func (l *strList) Equal(other ref.Val) ref.Val {
	if o, ok := other.(*strList); ok {
		return types.Bool(slices.Equal(l.ss, o.ss))
	}
	return l.base().Equal(other)
}

// Type implements ref.Val.
func (l *strList) Type() ref.Type { return types.ListType }

// Value implements ref.Val: the Go slice.
func (l *strList) Value() any { return l.ss }
