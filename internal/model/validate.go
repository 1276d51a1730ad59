package model

import (
	"fmt"
	"reflect"
	"strings"
)

// Outcomes lists every valid Outcome.
var Outcomes = []Outcome{Allow, Deny, Pending}

// Effects lists every valid rule effect, as written in packs and in
// Reason.Effect.
var Effects = []string{EffectDeny, EffectRequire, EffectObligate}

// SelectorKinds lists every valid Selectors.Kind.
var SelectorKinds = []string{SelectorSpecific, SelectorBulk}

// checkKind says what a field's values must satisfy beyond their JSON type.
type checkKind uint8

const (
	checkNone         checkKind = iota
	checkJurisdiction           // a code the Jurisdictions know
	checkCategory               // a name KnownCategory accepts
	checkEnum                   // one of check.enum
	checkNonNegative            // an integer >= 0
	checkPercent                // a number in [0, 100]
)

// check is one constraint on strings, numbers or map keys.
type check struct {
	kind checkKind
	enum []string
}

var (
	jurisdiction = check{kind: checkJurisdiction}
	category     = check{kind: checkCategory}
	nonNegative  = check{kind: checkNonNegative}
	percent      = check{kind: checkPercent}
)

func enumOf[S ~string](values []S) check {
	c := check{kind: checkEnum, enum: make([]string, len(values))}
	for i, v := range values {
		c.enum[i] = string(v)
	}
	return c
}

// fieldRule is what a struct field demands beyond its Go type. val applies
// to the field's scalar values (the field itself, each element of a slice,
// each value of a map); keys[i] applies to the keys of the i-th map level.
type fieldRule struct {
	required bool
	val      check
	keys     []check
}

// fieldRules is the validation table of requests and decisions, by struct
// type and JSON member name. The JSON Schemas in docs/schema/ say the same
// thing; schema_test.go keeps the two in step.
var fieldRules = map[reflect.Type]map[string]fieldRule{
	reflect.TypeFor[Request](): {
		"action":      {required: true, val: enumOf(Actions)},
		"requester":   {required: true},
		"data":        {required: true},
		"destination": {val: jurisdiction},
		"purpose":     {val: enumOf(Purposes)},
		"transaction": {val: enumOf(Transactions)},
		"frequency":   {val: enumOf(Frequencies)},
	},
	reflect.TypeFor[Principal](): {
		"kind":         {required: true, val: enumOf(PrincipalKinds)},
		"jurisdiction": {required: true, val: jurisdiction},
		"headquarters": {val: jurisdiction},
		"owners":       {keys: []check{jurisdiction}, val: percent},
		"residence":    {val: jurisdiction},
		"employer":     {val: jurisdiction},
	},
	reflect.TypeFor[Data](): {
		"location":       {required: true, val: jurisdiction},
		"origin":         {val: jurisdiction},
		"categories":     {val: category},
		"subjects":       {keys: []check{jurisdiction}, val: nonNegative},
		"records":        {val: nonNegative},
		"devices":        {val: nonNegative},
		"classification": {val: enumOf(Classifications)},
		"protections":    {val: enumOf(Protections)},
	},
	reflect.TypeFor[CII](): {
		"state": {required: true, val: jurisdiction},
	},
	reflect.TypeFor[Selectors](): {
		"kind":  {val: enumOf(SelectorKinds)},
		"count": {val: nonNegative},
	},
	reflect.TypeFor[Basis](): {
		"kind": {val: enumOf(BasisKinds)},
	},
	reflect.TypeFor[Envelope](): {
		"payloadType": {required: true},
		"payload":     {required: true},
		"signatures":  {required: true},
	},
	reflect.TypeFor[Signature](): {
		"sig": {required: true},
	},
	reflect.TypeFor[History](): {
		"rolling_12m":  {keys: []check{jurisdiction, category}},
		"year_to_date": {keys: []check{jurisdiction, category}},
	},
	reflect.TypeFor[Count](): {
		"subjects": {val: nonNegative},
		"devices":  {val: nonNegative},
	},

	reflect.TypeFor[Decision](): {
		"outcome": {required: true, val: enumOf(Outcomes)},
		"reasons": {required: true},
		"binding": {required: true},
		"time":    {required: true},
	},
	reflect.TypeFor[Reason](): {
		"rule":     {required: true},
		"pack":     {required: true},
		"effect":   {required: true, val: enumOf(Effects)},
		"message":  {required: true},
		"citation": {required: true},
	},
	reflect.TypeFor[Requirement](): {
		"authorization_from": {val: jurisdiction},
		"rule":               {required: true},
		"pack":               {required: true},
	},
	reflect.TypeFor[Obligation](): {
		"rule":     {required: true},
		"pack":     {required: true},
		"message":  {required: true},
		"citation": {required: true},
	},
	reflect.TypeFor[PackOutcome](): {
		"pack":    {required: true},
		"version": {required: true},
		"outcome": {required: true, val: enumOf(Outcomes)},
	},
	reflect.TypeFor[Excluded](): {
		"state":    {required: true, val: jurisdiction},
		"subjects": {required: true, val: nonNegative},
		"reason":   {required: true, val: enumOf(ExclusionReasons)},
	},
	reflect.TypeFor[Trace](): {
		"rule":   {required: true},
		"pack":   {required: true},
		"fired":  {required: true},
		"result": {required: true},
	},
}

// structInfo is the decoding table of one struct type.
type structInfo struct {
	fields   []fieldInfo
	byName   map[string]int
	required []int // indexes into fields, in declaration order
}

// names lists the JSON member names of the struct, in declaration order.
func (si *structInfo) names() []string {
	out := make([]string, len(si.fields))
	for i, f := range si.fields {
		out[i] = f.name
	}
	return out
}

// fieldInfo is one JSON member of a struct.
type fieldInfo struct {
	name  string
	index int // Go struct field index
	// nullOK is true where encoding/json may write null: pointers, and
	// slices and maps without omitempty. Null then leaves the zero value.
	nullOK bool
	// emptyNil is true for slices and maps with omitempty: an empty one
	// decodes to nil, as encoding/json would not write it.
	emptyNil bool
	fieldRule
}

// structInfos holds the table of every struct reachable from Request and
// Decision.
var structInfos = func() map[reflect.Type]*structInfo {
	m := make(map[reflect.Type]*structInfo)
	for _, t := range []reflect.Type{reflect.TypeFor[Request](), reflect.TypeFor[Decision]()} {
		if err := buildStructInfo(m, t); err != nil {
			// A programming error in the tables above, caught by every test.
			panic(err)
		}
	}
	for t, rules := range fieldRules {
		si, ok := m[t]
		if !ok {
			panic(fmt.Sprintf("model: rules for unreachable type %s", t))
		}
		for name := range rules {
			if _, ok := si.byName[name]; !ok {
				panic(fmt.Sprintf("model: rule for unknown member %s.%s", t.Name(), name))
			}
		}
	}
	return m
}()

// buildStructInfo adds the tables of struct type t and every struct it
// contains to m.
func buildStructInfo(m map[reflect.Type]*structInfo, t reflect.Type) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType || m[t] != nil {
		return nil
	}
	si := &structInfo{byName: make(map[string]int)}
	m[t] = si
	rules := fieldRules[t]
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			return fmt.Errorf("model: %s.%s has no json name", t.Name(), sf.Name)
		}
		k := sf.Type.Kind()
		omitempty := strings.Contains(","+opts+",", ",omitempty,")
		fi := fieldInfo{
			name:      name,
			index:     i,
			nullOK:    k == reflect.Pointer || (k == reflect.Slice || k == reflect.Map) && !omitempty,
			emptyNil:  (k == reflect.Slice || k == reflect.Map) && omitempty,
			fieldRule: rules[name],
		}
		if fi.required {
			si.required = append(si.required, len(si.fields))
		}
		si.byName[name] = len(si.fields)
		si.fields = append(si.fields, fi)
		if err := buildStructInfo(m, sf.Type); err != nil {
			return err
		}
	}
	if len(si.fields) > 64 {
		return fmt.Errorf("model: %s has more than 64 JSON members", t.Name())
	}
	return nil
}
