package model

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/accord-dev/accord/internal/jsonstrict"
)

// The published schemas, relative to this package.
var (
	requestSchemaFile  = filepath.Join("..", "..", "docs", "schema", "request.schema.json")
	decisionSchemaFile = filepath.Join("..", "..", "docs", "schema", "decision.schema.json")
)

// compileSchema compiles a published schema with format assertions on, so
// that "format": "date-time" is checked as DecodeRequest checks it.
func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(file)
	if err != nil {
		t.Fatalf("compile %s: %v", file, err)
	}
	return sch
}

// instance parses JSON the way the schema library expects.
func instance(t *testing.T, in string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(in))
	if err != nil {
		t.Fatalf("parse %s: %v", in, err)
	}
	return v
}

func TestExamplesValidateAgainstSchemas(t *testing.T) {
	for _, tc := range []struct {
		kind, schema string
	}{
		{"requests", requestSchemaFile},
		{"decisions", decisionSchemaFile},
	} {
		sch := compileSchema(t, tc.schema)
		for _, f := range exampleFiles(t, tc.kind) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(instance(t, string(b))); err != nil {
				t.Errorf("%s does not validate against %s:\n%v", f, tc.schema, err)
			}
		}
	}
}

// TestSchemaAgreesWithDecoder runs the decoder's tables through the
// schemas: what the decoder accepts, the schema accepts; what the decoder
// rejects, the schema rejects too, except for the few checks a JSON Schema
// cannot express (each case says why).
func TestSchemaAgreesWithDecoder(t *testing.T) {
	reqSchema := compileSchema(t, requestSchemaFile)
	decSchema := compileSchema(t, decisionSchemaFile)
	for _, in := range append([]string{designRequest}, validRequests...) {
		if err := reqSchema.Validate(instance(t, in)); err != nil {
			t.Errorf("decoder accepts but schema rejects %s:\n%v", in, err)
		}
	}
	blind := 0
	for _, tc := range invalidRequests {
		if tc.schemaBlind != "" {
			blind++
			continue
		}
		if _, err := DecodeRequest([]byte(tc.in), testJurisdictions); err == nil {
			t.Errorf("%s: decoder accepts %s", tc.name, tc.in)
		}
		if err := reqSchema.Validate(instance(t, tc.in)); err == nil {
			t.Errorf("%s: schema accepts %s, decoder says %s", tc.name, tc.in, tc.want)
		}
	}
	if checked := len(invalidRequests) - blind; checked < 60 {
		t.Errorf("only %d invalid requests checked against the schema", checked)
	}
	for _, tc := range invalidDecisions {
		if tc.schemaBlind != "" {
			continue
		}
		if _, err := DecodeDecision([]byte(tc.in)); err == nil {
			t.Errorf("%s: decoder accepts %s", tc.name, tc.in)
		}
		if err := decSchema.Validate(instance(t, tc.in)); err == nil {
			t.Errorf("%s: schema accepts %s, decoder says %s", tc.name, tc.in, tc.want)
		}
	}
}

// TestSchemaCoversGoTypes walks Request and Decision by reflection beside
// their schemas, so neither can change without the other: every Go member
// is in the schema and nothing else is, required members and null match,
// JSON types match, and every check of the decoder's table (enumerations,
// jurisdictions, categories, counts, percentages) has its schema twin.
func TestSchemaCoversGoTypes(t *testing.T) {
	for _, tc := range []struct {
		file string
		typ  reflect.Type
	}{
		{requestSchemaFile, reflect.TypeFor[Request]()},
		{decisionSchemaFile, reflect.TypeFor[Decision]()},
	} {
		b, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var root map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&root); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		w := schemaWalker{t: t, root: root, file: filepath.Base(tc.file)}
		w.structure(root, tc.typ, "")
	}
}

// schemaWalker compares a schema document with Go types.
type schemaWalker struct {
	t    *testing.T
	root map[string]any
	file string
}

func (w *schemaWalker) errorf(path, format string, args ...any) {
	w.t.Helper()
	if path == "" {
		path = "(top)"
	}
	w.t.Errorf("%s %s: "+format, append([]any{w.file, path}, args...)...)
}

// resolve follows "$ref": "#/$defs/name" links.
func (w *schemaWalker) resolve(node map[string]any) map[string]any {
	for i := 0; i < 10; i++ {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		defs, _ := w.root["$defs"].(map[string]any)
		target, _ := defs[name].(map[string]any)
		if !ok || target == nil {
			w.t.Fatalf("%s: unresolvable $ref %q", w.file, ref)
		}
		node = target
	}
	return node
}

// nonNull splits a node into the non-null schema it allows and whether it
// also allows null ("anyOf": [X, {"type": "null"}] or "type": [X, "null"]).
func (w *schemaWalker) nonNull(node map[string]any) (map[string]any, bool) {
	node = w.resolve(node)
	if alts, ok := node["anyOf"].([]any); ok && len(alts) == 2 {
		var other map[string]any
		null := false
		for _, a := range alts {
			m, _ := a.(map[string]any)
			if m["type"] == "null" {
				null = true
			} else {
				other = m
			}
		}
		if null && other != nil {
			return w.resolve(other), true
		}
	}
	if types, ok := node["type"].([]any); ok && slices.Contains(types, any("null")) {
		return node, true
	}
	return node, false
}

// hasType reports whether the node's "type" is (or includes) name.
func hasType(node map[string]any, name string) bool {
	switch t := node["type"].(type) {
	case string:
		return t == name
	case []any:
		return slices.Contains(t, any(name))
	}
	return false
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func (w *schemaWalker) structure(node map[string]any, typ reflect.Type, path string) {
	w.t.Helper()
	node = w.resolve(node)
	if !hasType(node, "object") {
		w.errorf(path, "want type object for %s", typ.Name())
	}
	if node["additionalProperties"] != false {
		w.errorf(path, "want additionalProperties false")
	}
	props, _ := node["properties"].(map[string]any)
	si := decodeSchema.Struct(typ)
	var goNames, required []string
	for _, f := range si.Fields {
		goNames = append(goNames, f.Name)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	var schemaNames []string
	for name := range props {
		schemaNames = append(schemaNames, name)
	}
	slices.Sort(goNames)
	slices.Sort(schemaNames)
	if !slices.Equal(goNames, schemaNames) {
		w.errorf(path, "members of %s: Go has %v, schema has %v", typ.Name(), goNames, schemaNames)
	}
	schemaRequired := strs(node["required"])
	slices.Sort(required)
	slices.Sort(schemaRequired)
	if !slices.Equal(required, schemaRequired) {
		w.errorf(path, "required members of %s: decoder has %v, schema has %v", typ.Name(), required, schemaRequired)
	}
	for _, f := range si.Fields {
		prop, ok := props[f.Name].(map[string]any)
		if !ok {
			continue
		}
		p := f.Name
		if path != "" {
			p = path + "." + f.Name
		}
		inner, null := w.nonNull(prop)
		if null != f.NullOK {
			w.errorf(p, "schema allows null: %v; decoder allows null: %v", null, f.NullOK)
		}
		ft := typ.Field(f.Index).Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		w.value(inner, ft, &f, 0, p)
	}
}

// value compares a member's schema with its Go type and decoder checks.
func (w *schemaWalker) value(node map[string]any, typ reflect.Type, f *jsonstrict.Field, depth int, path string) {
	w.t.Helper()
	node = w.resolve(node)
	if typ == reflect.TypeFor[time.Time]() {
		if !hasType(node, "string") || node["format"] != "date-time" {
			w.errorf(path, "want a date-time string")
		}
		return
	}
	switch typ.Kind() {
	case reflect.Struct:
		w.structure(node, typ, path)
	case reflect.Slice:
		if !hasType(node, "array") {
			w.errorf(path, "want type array")
		}
		items, _ := node["items"].(map[string]any)
		if items == nil {
			w.errorf(path, "array without items")
			return
		}
		w.value(items, typ.Elem(), f, depth, path+"[]")
	case reflect.Map:
		if !hasType(node, "object") {
			w.errorf(path, "want type object")
		}
		if depth < len(f.Keys) {
			names, _ := node["propertyNames"].(map[string]any)
			if names == nil {
				w.errorf(path, "map keys are checked by the decoder but have no propertyNames")
			} else {
				w.scalarCheck(w.resolve(names), f.Keys[depth], path+" keys")
			}
		}
		elem, _ := node["additionalProperties"].(map[string]any)
		if elem == nil {
			w.errorf(path, "map without additionalProperties schema")
			return
		}
		w.value(elem, typ.Elem(), f, depth+1, path+".*")
	case reflect.String:
		if f.Val.Kind == jsonstrict.CheckEnum {
			if got := strs(node["enum"]); !slices.Equal(got, f.Val.Enum) {
				w.errorf(path, "enum: decoder has %v, schema has %v", f.Val.Enum, got)
			}
			return
		}
		if !hasType(node, "string") {
			w.errorf(path, "want type string")
		}
		w.scalarCheck(node, f.Val, path)
	case reflect.Int64, reflect.Uint64:
		if !hasType(node, "integer") {
			w.errorf(path, "want type integer")
		}
		wantMin := f.Val.Kind == jsonstrict.CheckNonNegative || typ.Kind() == reflect.Uint64
		if min, ok := node["minimum"].(json.Number); wantMin && (!ok || min.String() != "0") {
			w.errorf(path, "want minimum 0")
		}
		wantMax := "9223372036854775807"
		if typ.Kind() == reflect.Uint64 {
			wantMax = "18446744073709551615"
		}
		if max, _ := node["maximum"].(json.Number); max.String() != wantMax {
			w.errorf(path, "want maximum %s (the decoder rejects larger integers), got %q", wantMax, max)
		}
	case reflect.Float64:
		if !hasType(node, "number") {
			w.errorf(path, "want type number")
		}
		if f.Val.Kind == jsonstrict.CheckPercent {
			min, _ := node["minimum"].(json.Number)
			max, _ := node["maximum"].(json.Number)
			if min.String() != "0" || max.String() != "100" {
				w.errorf(path, "want minimum 0 and maximum 100")
			}
		}
	case reflect.Bool:
		if !hasType(node, "boolean") {
			w.errorf(path, "want type boolean")
		}
	default:
		w.errorf(path, "no schema comparison for Go kind %s", typ.Kind())
	}
}

// scalarCheck compares a string check of the decoder with its schema.
func (w *schemaWalker) scalarCheck(node map[string]any, c jsonstrict.Check, path string) {
	w.t.Helper()
	switch c.Kind {
	case jsonstrict.CheckLookup:
		if node["pattern"] != "^[A-Z]{2}$" {
			w.errorf(path, "jurisdiction without pattern ^[A-Z]{2}$")
		}
	case jsonstrict.CheckFunc:
		alts, _ := node["anyOf"].([]any)
		var enum []string
		var pattern string
		for _, a := range alts {
			m, _ := a.(map[string]any)
			if e, ok := m["enum"]; ok {
				enum = strs(e)
			}
			if p, ok := m["pattern"].(string); ok {
				pattern = p
			}
		}
		if !slices.Equal(enum, Categories) {
			w.errorf(path, "category enum: model.Categories has %v, schema has %v", Categories, enum)
		}
		var prefixes []string
		for _, p := range OpenCategoryPrefixes {
			prefixes = append(prefixes, strings.TrimSuffix(p, "."))
		}
		if want := "^(" + strings.Join(prefixes, "|") + `)(\.[a-z0-9-]+)+$`; pattern != want {
			w.errorf(path, "open category pattern: want %s, schema has %s", want, pattern)
		}
	case jsonstrict.CheckEnum:
		if got := strs(node["enum"]); !slices.Equal(got, c.Enum) {
			w.errorf(path, "enum: decoder has %v, schema has %v", c.Enum, got)
		}
	}
}
