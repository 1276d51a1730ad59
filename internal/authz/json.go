package authz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// ParseError says what is wrong with a JSON document and where: the JSON
// path of the offending value (for example "scope.purposes[1]") and its
// position in the input.
type ParseError struct {
	// Path is the JSON path of the value at fault; empty for the document
	// itself.
	Path string
	// Offset is the byte offset in the input near which the fault was found.
	Offset int64
	// Line and Column give Offset as 1-based line and column.
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

// Error renders the error as "path: msg (line L, column C)"; the position
// is left out when unknown (Line 0), as for a check made after decoding.
func (e *ParseError) Error() string {
	if e.Line == 0 {
		if e.Path == "" {
			return e.Msg
		}
		return e.Path + ": " + e.Msg
	}
	where := fmt.Sprintf("line %d, column %d", e.Line, e.Column)
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", where, e.Msg)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Path, e.Msg, where)
}

// maxDocument bounds the size of a statement or envelope, so that a hostile
// input cannot make Accord hold arbitrary amounts of memory.
const maxDocument = 1 << 20

// maxDepth bounds nesting; Accord's documents are at most four levels deep.
const maxDepth = 16

var timeType = reflect.TypeFor[time.Time]()

// decodeStrict decodes data into v (a pointer to a struct) the strict way:
// one JSON value, no unknown or duplicate field names (names match the
// json tags exactly, not case-insensitively), every scalar of the declared
// type, times in RFC 3339. Errors are *ParseError naming the JSON path.
func decodeStrict(data []byte, v any) error {
	if len(data) > maxDocument {
		return newParseError(data, "", 0, fmt.Sprintf("document is %d bytes, more than the limit of %d", len(data), maxDocument))
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return fmt.Errorf("decodeStrict: want a pointer, got %T", v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec, data: data}
	if err := w.value(t.Elem(), "", 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return newParseError(data, "", dec.InputOffset(), "unexpected data after the JSON value")
	}
	if err := json.Unmarshal(data, v); err != nil {
		// The walk above accepts only what Unmarshal accepts; reaching
		// this is a defect in the walker, still reported as bad input.
		return newParseError(data, "", 0, err.Error())
	}
	return nil
}

// walker checks a JSON document token by token against a Go type.
type walker struct {
	dec  *json.Decoder
	data []byte
}

func (w *walker) fail(path, msg string) error {
	return newParseError(w.data, path, w.dec.InputOffset(), msg)
}

func (w *walker) token(path string) (json.Token, error) {
	tok, err := w.dec.Token()
	if err == io.EOF {
		return nil, w.fail(path, "unexpected end of input")
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, newParseError(w.data, path, se.Offset, strings.TrimPrefix(se.Error(), "json: "))
		}
		return nil, w.fail(path, strings.TrimPrefix(err.Error(), "json: "))
	}
	return tok, nil
}

// value reads one JSON value and checks it against t.
func (w *walker) value(t reflect.Type, path string, depth int) error {
	if depth > maxDepth {
		return w.fail(path, "nested too deeply")
	}
	tok, err := w.token(path)
	if err != nil {
		return err
	}
	nullable := false
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		nullable = true
	}
	if tok == nil {
		switch t.Kind() {
		case reflect.Slice, reflect.Map, reflect.Interface:
			return nil
		}
		if nullable {
			return nil
		}
		return w.fail(path, "expected "+describe(t)+", got null")
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			switch {
			case t.Kind() == reflect.Struct && t != timeType:
				return w.object(t, path, depth)
			case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
				return w.mapObject(t, path, depth)
			}
		case '[':
			if t.Kind() == reflect.Slice {
				return w.array(t.Elem(), path, depth)
			}
		}
		return w.fail(path, "expected "+describe(t)+", got "+delimName(tok))
	case string:
		switch {
		case t == timeType:
			if _, err := time.Parse(time.RFC3339, tok); err != nil {
				return w.fail(path, fmt.Sprintf("expected an RFC 3339 time such as 2026-11-22T10:00:00Z, got %q", tok))
			}
			return nil
		case t.Kind() == reflect.String:
			return nil
		}
		return w.fail(path, "expected "+describe(t)+", got a string")
	case json.Number:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if _, err := strconv.ParseInt(tok.String(), 10, t.Bits()); err != nil {
				return w.fail(path, fmt.Sprintf("expected an integer, got %s", tok))
			}
			return nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if _, err := strconv.ParseUint(tok.String(), 10, t.Bits()); err != nil {
				return w.fail(path, fmt.Sprintf("expected a non-negative integer, got %s", tok))
			}
			return nil
		case reflect.Float32, reflect.Float64:
			if _, err := strconv.ParseFloat(tok.String(), t.Bits()); err != nil {
				return w.fail(path, fmt.Sprintf("expected a number, got %s", tok))
			}
			return nil
		}
		return w.fail(path, "expected "+describe(t)+", got a number")
	case bool:
		if t.Kind() == reflect.Bool {
			return nil
		}
		return w.fail(path, "expected "+describe(t)+", got a boolean")
	}
	return w.fail(path, fmt.Sprintf("unexpected token %v", tok))
}

func (w *walker) object(t reflect.Type, path string, depth int) error {
	fields := jsonFields(t)
	seen := make(map[string]bool, len(fields))
	for w.dec.More() {
		tok, err := w.token(path)
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		sub := joinPath(path, key)
		if seen[key] {
			return w.fail(sub, "duplicate field")
		}
		seen[key] = true
		ft, ok := fields[key]
		if !ok {
			known := sortedKeys(fields)
			if near := model.Closest(key, known); near != "" {
				return w.fail(sub, fmt.Sprintf("unknown field; did you mean %q? (known: %s)", near, strings.Join(known, ", ")))
			}
			return w.fail(sub, fmt.Sprintf("unknown field (known: %s)", strings.Join(known, ", ")))
		}
		if err := w.value(ft, sub, depth+1); err != nil {
			return err
		}
	}
	_, err := w.token(path)
	return err
}

func (w *walker) mapObject(t reflect.Type, path string, depth int) error {
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.token(path)
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		sub := joinPath(path, key)
		if seen[key] {
			return w.fail(sub, "duplicate field")
		}
		seen[key] = true
		if err := w.value(t.Elem(), sub, depth+1); err != nil {
			return err
		}
	}
	_, err := w.token(path)
	return err
}

func (w *walker) array(elem reflect.Type, path string, depth int) error {
	for i := 0; w.dec.More(); i++ {
		if err := w.value(elem, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
			return err
		}
	}
	_, err := w.token(path)
	return err
}

// fieldCache holds jsonFields' answers, per struct type.
var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields maps the JSON names of t's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(t reflect.Type) string {
	switch {
	case t == timeType:
		return "an RFC 3339 time string"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "an object"
	case t.Kind() == reflect.Slice:
		return "an array"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64:
		return "a number"
	}
	return t.String()
}

func delimName(d json.Delim) string {
	if d == '{' {
		return "an object"
	}
	return "an array"
}

// newParseError locates offset in data as a line and column.
func newParseError(data []byte, path string, offset int64, msg string) *ParseError {
	if offset < 0 {
		offset = 0
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return &ParseError{Path: path, Offset: offset, Line: line, Column: col, Msg: msg}
}
