// Package jsonstrict decodes JSON documents into Go structs strictly, for
// every place where Accord reads a document someone else wrote (requests,
// decisions, signed statements and envelopes): one walker, one set of
// rules, one error type naming where the problem is.
//
// It rejects unknown members at any depth (names match the json tags
// exactly, never case-insensitively), duplicate names, missing required
// members, values of the wrong JSON type, integers out of range, times that
// are not RFC 3339, syntax errors, empty input, a top level that is not an
// object, and anything after it. A Schema adds per-member checks (an
// enumeration, a non-negative count, a percentage, a function, or a
// lookup given per call) to values and map keys.
//
// Null is accepted where encoding/json may write it (pointers, and slices
// and maps without omitempty) and leaves the zero value; an empty slice or
// map with omitempty decodes to nil. So a decoded value encodes with
// encoding/json and decodes again to an equal value.
//
// Errors are *Error: a JSON path with dots and [i] (data.origin[1],
// scope.purposes[0]), the byte offset, line and column of the token at
// fault, and what is wrong, in English (Error) or, through Text, in a
// reader's language: reasons are catalog messages (internal/locale).
// Decode never panics, whatever the input, and allocates little:
// json.Valid checks the syntax first, then the walk
// reads tokens itself straight into the struct.
//
// Why not encoding/json/v2 (github.com/go-json-experiment/json)? It has
// RejectUnknownMembers and rejects duplicate names, but its errors name a
// JSON pointer (/data/subjects) and a byte offset, without the dotted
// paths, line and column, and "did you mean" suggestions Accord's users
// and tests rely on; the per-member checks (enumerations, jurisdictions,
// categories, required members, counts) would need a second walk over
// the decoded value to find their paths again. Its plain Unmarshal into a
// Request measured about as fast as this walker doing all of that.
package jsonstrict

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// CheckKind says what a member's values must satisfy beyond their JSON
// type.
type CheckKind uint8

// The checks.
const (
	// CheckNone: any value of the type.
	CheckNone CheckKind = iota
	// CheckEnum: a string among Check.Enum.
	CheckEnum
	// CheckNonNegative: an integer >= 0.
	CheckNonNegative
	// CheckPercent: a number in [0, 100].
	CheckPercent
	// CheckFunc: a string Check.Func accepts (it returns nil for a good
	// value, else what is wrong).
	CheckFunc
	// CheckLookup: a string the Lookup given to Decode accepts; a nil
	// Lookup accepts any.
	CheckLookup
)

// Check is one constraint on strings, numbers or map keys.
type Check struct {
	// Kind is the constraint; CheckNone for none.
	Kind CheckKind
	// Enum lists the values of a CheckEnum.
	Enum []string
	// Func judges a CheckFunc value: nil when good, else what is wrong,
	// best as a catalog message (locale.Errorf), which Error.Text
	// translates.
	Func func(s string) error
}

// Enum returns the check that a string is one of values.
func Enum[S ~string](values []S) Check {
	c := Check{Kind: CheckEnum, Enum: make([]string, len(values))}
	for i, v := range values {
		c.Enum[i] = string(v)
	}
	return c
}

// Lookup judges the values of CheckLookup members for one Decode call:
// Func(Arg, s) returns nil when s is good, else what is wrong (best a
// catalog message, locale.Errorf, as for Check.Func). It is how a
// caller brings in what only it knows (the registry's jurisdictions).
// Func is a plain function and Arg what it needs, so that passing a Lookup
// allocates nothing. The zero Lookup accepts any value.
type Lookup struct {
	Func func(arg any, s string) error
	Arg  any
}

// Rule is what a struct member demands beyond its Go type. Val applies to
// the member's scalar values (the member itself, each element of a slice,
// each value of a map); Keys[i] applies to the keys of the i-th map level.
type Rule struct {
	// Required: a document without the member is refused.
	Required bool
	// Val checks the member's scalar values.
	Val Check
	// Keys checks the keys of each map level, outermost first.
	Keys []Check
}

// Rules are a schema's rules, by struct type and JSON member name.
type Rules map[reflect.Type]map[string]Rule

// Field is one JSON member of a struct in a Schema.
type Field struct {
	// Name is the JSON member name.
	Name string
	// Index is the Go struct field index.
	Index int
	// NullOK is true where encoding/json may write null: pointers, and
	// slices and maps without omitempty. Null then leaves the zero value.
	NullOK bool
	// EmptyNil is true for slices and maps with omitempty: an empty one
	// decodes to nil, as encoding/json would not write it.
	EmptyNil bool
	// Rule is what the schema's rules demand of the member.
	Rule
}

// Struct is the decoding table of one struct type.
type Struct struct {
	// Fields are the struct's JSON members, in declaration order.
	Fields   []Field
	byName   map[string]int
	required []int // indexes into Fields, in declaration order
	names    []string
}

// Names lists the JSON member names of the struct, in declaration order.
func (si *Struct) Names() []string { return si.names }

// Schema is the decoding tables of a set of struct types: the roots given
// to NewSchema and every struct they contain. It is safe for concurrent
// use.
type Schema struct {
	structs map[reflect.Type]*Struct
}

var timeType = reflect.TypeFor[time.Time]()

// NewSchema builds the tables of roots and every struct reachable from
// them, applying rules. Every struct member must have a json name; a rule
// naming a type or member the schema does not reach is an error (a
// programming error: callers build their schema once, at init).
func NewSchema(rules Rules, roots ...reflect.Type) (*Schema, error) {
	s := &Schema{structs: map[reflect.Type]*Struct{}}
	for _, t := range roots {
		if err := s.build(t, rules); err != nil {
			return nil, err
		}
	}
	for t, rs := range rules {
		si, ok := s.structs[t]
		if !ok {
			return nil, fmt.Errorf("jsonstrict: rules for unreachable type %s", t)
		}
		for name := range rs {
			if _, ok := si.byName[name]; !ok {
				return nil, fmt.Errorf("jsonstrict: rule for unknown member %s.%s", t.Name(), name)
			}
		}
	}
	return s, nil
}

// MustSchema is NewSchema for package-level tables: it panics on error.
func MustSchema(rules Rules, roots ...reflect.Type) *Schema {
	s, err := NewSchema(rules, roots...)
	if err != nil {
		panic(err)
	}
	return s
}

// Struct returns the table of struct type t, or nil if the schema does not
// reach it.
func (s *Schema) Struct(t reflect.Type) *Struct { return s.structs[t] }

func (s *Schema) build(t reflect.Type, rules Rules) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || s.structs[t] != nil {
		return nil
	}
	si := &Struct{byName: make(map[string]int)}
	s.structs[t] = si
	rs := rules[t]
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			return fmt.Errorf("jsonstrict: %s.%s has no json name", t.Name(), sf.Name)
		}
		k := sf.Type.Kind()
		omitempty := strings.Contains(","+opts+",", ",omitempty,")
		f := Field{
			Name:     name,
			Index:    i,
			NullOK:   k == reflect.Pointer || (k == reflect.Slice || k == reflect.Map) && !omitempty,
			EmptyNil: (k == reflect.Slice || k == reflect.Map) && omitempty,
			Rule:     rs[name],
		}
		if f.Required {
			si.required = append(si.required, len(si.Fields))
		}
		si.byName[name] = len(si.Fields)
		si.Fields = append(si.Fields, f)
		si.names = append(si.names, name)
		if err := s.build(sf.Type, rules); err != nil {
			return err
		}
	}
	if len(si.Fields) > 64 {
		return fmt.Errorf("jsonstrict: %s has more than 64 JSON members", t.Name())
	}
	return nil
}
