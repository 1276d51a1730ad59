package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accord-dev/accord/internal/locale"
)

// Error is what Decode returns for bad input. It names where the problem
// is, so that a person can fix the document.
type Error struct {
	// Path is the JSON path of the offending member (data.origin[1],
	// data.subjects.FR, data["a b"]), or "" for the document as a whole.
	Path string
	// Offset is the byte offset of the token at fault; Line and Column
	// (1-based; columns count characters) locate it in the text.
	Offset       int
	Line, Column int
	// Msg says what is wrong, in English.
	Msg string
	// reason is Msg as a catalog message, for Text; nil when Msg has none
	// (an Error built by another package).
	reason error
	// InText is true for a problem of the text itself (a syntax error, the
	// top level, data after it), false for a member's value.
	InText bool
	// Known lists the member names of the object, for an unknown member.
	Known []string
}

// Error returns "path: line L, column C: msg" for a problem in the text,
// "path: msg" for a member's value (either part left out when empty).
func (e *Error) Error() string {
	switch {
	case e.InText && e.Path != "":
		return fmt.Sprintf("%s: line %d, column %d: %s", e.Path, e.Line, e.Column, e.Msg)
	case e.InText:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	case e.Path != "":
		return e.Path + ": " + e.Msg
	}
	return e.Msg
}

// Reason returns what is wrong (Msg) as a catalog message, which
// locale.Text writes in a reader's language; nil when Msg has none.
func (e *Error) Reason() error { return e.reason }

// Text returns the error as Error does, in p's language: the position
// and the reason are translated, the path and the quoted values are not.
func (e *Error) Text(p *locale.Printer) string {
	reason := e.Msg
	if e.reason != nil {
		reason = locale.Text(p, e.reason)
	}
	line, col := 0, 0
	if e.InText {
		line, col = e.Line, e.Column
	}
	return Locate(p, e.Path, line, col, reason)
}

// Locate writes reason, what is wrong, with where it is, as Error does,
// in p's language: "path: line L, column C: reason", "line L, column C:
// reason", "path: reason" or reason alone, leaving out an empty path and
// a line of 0. Line and column are written as plain digits, as Error
// writes them.
func Locate(p *locale.Printer, path string, line, column int, reason string) string {
	l, c := strconv.Itoa(line), strconv.Itoa(column)
	switch {
	case line > 0 && path != "":
		return p.Sprintf("%s: line %s, column %s: %s", path, l, c, reason)
	case line > 0:
		return p.Sprintf("line %s, column %s: %s", l, c, reason)
	case path != "":
		return p.Sprintf("%s: %v", path, reason)
	}
	return reason
}

// newError returns an Error whose Msg is reason in English.
func newError(path string, off, line, col int, inText bool, reason error) *Error {
	return &Error{Path: path, Offset: off, Line: line, Column: col, Msg: reason.Error(), reason: reason, InText: inText}
}

// Decode fills v, a non-nil pointer to a struct type of the schema, from
// data. lookup judges the values of CheckLookup members (the zero Lookup
// accepts any). On
// error v may be partly filled; the error is an *Error.
func (s *Schema) Decode(data []byte, v any, lookup Lookup) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("jsonstrict: Decode needs a non-nil pointer, got %T", v)
	}
	si := s.structs[rv.Type().Elem()]
	if si == nil {
		return fmt.Errorf("jsonstrict: %s is not a root of the schema", rv.Type().Elem())
	}
	d := decoder{data: data, schema: s, lookup: lookup}
	start := skipSpace(data, 0)
	if start == len(data) {
		return newError("", len(data), 1, 1, false, locale.Errorf("empty input, expected a JSON object"))
	}
	if !json.Valid(data) {
		return d.syntaxError(start)
	}
	if data[start] != '{' {
		return d.errAt(start, locale.Errorf("expected a JSON object at the top level, got %v", kindName(data[start])))
	}
	d.pos = start + 1
	if e := d.object(rv.Elem(), si); e != nil {
		return e
	}
	return nil
}

// decoder walks the tokens of one well-formed document into a value,
// keeping the path of the member being decoded for error messages.
type decoder struct {
	data   []byte
	pos    int // offset of the next byte to read
	schema *Schema
	lookup Lookup
	path   []pathSeg
}

// pathSeg is one step of a JSON path: a member name, or an array index when
// index >= 0.
type pathSeg struct {
	name  string
	index int
}

func (d *decoder) push(name string) { d.path = append(d.path, pathSeg{name: name, index: -1}) }
func (d *decoder) pushIndex(i int)  { d.path = append(d.path, pathSeg{index: i}) }
func (d *decoder) pop()             { d.path = d.path[:len(d.path)-1] }

// pathString renders the current path: data.origin[1], data.subjects.FR.
// Names that are not plain identifiers are quoted: data["a b"].
func (d *decoder) pathString() string {
	const limit = 32 // segments shown; a deeper path ends in "…"
	var b strings.Builder
	for i, s := range d.path {
		if i == limit {
			b.WriteString("…")
			break
		}
		switch {
		case s.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case plainName(s.name):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		default:
			b.WriteByte('[')
			b.WriteString(QuoteShort(s.name))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// plainName reports whether a member name can be written bare in a path.
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// errf returns an error about the value of the member at the current
// path, whose token starts at byte offset off.
func (d *decoder) errf(off int, reason error) *Error {
	line, col := position(d.data, off)
	return newError(d.pathString(), off, line, col, false, reason)
}

// errAt returns an error located at byte offset off of the input.
func (d *decoder) errAt(off int, reason error) *Error {
	line, col := position(d.data, off)
	return newError(d.pathString(), off, line, col, true, reason)
}

// syntaxError locates the first syntax error of the input, which starts
// with a value at offset start. encoding/json finds it; Unmarshal into a
// RawMessage only checks syntax.
func (d *decoder) syntaxError(start int) *Error {
	var raw json.RawMessage
	err := json.Unmarshal(d.data, &raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return newError("", 0, 0, 0, false, locale.Errorf("malformed JSON: %v", err))
	}
	msg := se.Error()
	off := int(se.Offset) - 1 // Offset counts the bad byte itself.
	if strings.HasSuffix(msg, "after top-level value") {
		if d.data[start] != '{' {
			return d.errAt(start, locale.Errorf("expected a JSON object at the top level, got %v", kindName(d.data[start])))
		}
		return d.errAt(off, locale.Errorf("unexpected data after the top-level object"))
	}
	// At the end of input the scanner feeds itself a space, so a literal
	// or number cut short reads as "invalid character ' '".
	cut := off == len(d.data)-1 && d.data[off] != ' ' && strings.HasPrefix(msg, "invalid character ' '")
	var reason error
	if cut || strings.HasPrefix(msg, "unexpected end of JSON input") {
		off, reason = len(d.data), locale.Errorf("unexpected end of input")
	} else {
		reason = SyntaxReason(msg)
	}
	d.trackPath(off)
	return d.errAt(off, reason)
}

// SyntaxReason returns msg, the text of an encoding/json syntax error
// ("invalid character 'x' looking for beginning of value"), as a catalog
// message with the same English text, so that it can be written in a
// reader's language. A message it does not know is returned as it is, in
// every language.
func SyntaxReason(msg string) error {
	rest, ok := strings.CutPrefix(msg, "invalid character ")
	if !ok {
		return errors.New(msg)
	}
	// The character is quoted ('x', '\'', '"', '\n'), and the scanner's
	// context follows after a space: the first quote followed by a space,
	// searched from the second byte (for ' '), closes the character.
	i := strings.Index(rest[min(1, len(rest)):], "' ") + 1
	if !strings.HasPrefix(rest, "'") || i < 1 {
		return errors.New(msg)
	}
	char, context := rest[:i+1], rest[i+2:]
	switch context {
	case "looking for beginning of value":
		return locale.Errorf("invalid character %s looking for beginning of value", char)
	case "looking for beginning of object key string":
		return locale.Errorf("invalid character %s looking for beginning of object key string", char)
	case "after object key":
		return locale.Errorf("invalid character %s after object key", char)
	case "after object key:value pair":
		return locale.Errorf("invalid character %s after object key:value pair", char)
	case "after array element":
		return locale.Errorf("invalid character %s after array element", char)
	case "after top-level value":
		return locale.Errorf("invalid character %s after top-level value", char)
	case "in string literal":
		return locale.Errorf("invalid character %s in string literal", char)
	case "in string escape code":
		return locale.Errorf("invalid character %s in string escape code", char)
	case `in \u hexadecimal character escape`:
		return locale.Errorf("invalid character %s in \\u hexadecimal character escape", char)
	case "in numeric literal":
		return locale.Errorf("invalid character %s in numeric literal", char)
	case "after decimal point in numeric literal":
		return locale.Errorf("invalid character %s after decimal point in numeric literal", char)
	case "in exponent of numeric literal":
		return locale.Errorf("invalid character %s in exponent of numeric literal", char)
	case "exceeded max depth":
		return locale.Errorf("invalid character %s exceeded max depth", char)
	}
	// in literal true (expecting 'r')
	if lit, ok := strings.CutPrefix(context, "in literal "); ok {
		word, want, ok := strings.Cut(lit, " (expecting ")
		if ok && strings.HasSuffix(want, ")") && (word == "true" || word == "false" || word == "null") {
			return locale.Errorf("invalid character %s in literal %s (expecting %s)", char, word, strings.TrimSuffix(want, ")"))
		}
	}
	return errors.New(msg)
}

// trackPath sets d.path to the path of the member being read at byte
// offset off, by reading the tokens that end before it. It serves error
// messages only, and copes with malformed input.
func (d *decoder) trackPath(off int) {
	type frame struct {
		array   bool
		index   int  // elements completed, in an array
		wantKey bool // in an object: the next string is a key
		key     string
	}
	var stack []frame
	d.pos = 0
	for {
		k, s, e := d.next()
		if k == tokEnd || e > off {
			break
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = &stack[n-1]
		}
		if top != nil && !top.array && top.wantKey && k == tokString {
			top.key, top.wantKey = d.str(s, e), false
			continue
		}
		switch k {
		case tokObject, tokArray:
			stack = append(stack, frame{array: k == tokArray, wantKey: k == tokObject})
			continue
		case tokEndObject, tokEndArray:
			if top == nil {
				return
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return
			}
			top = &stack[len(stack)-1]
		}
		// A value was completed in top.
		if top != nil {
			if top.array {
				top.index++
			} else {
				top.wantKey = true
			}
		}
	}
	d.path = d.path[:0]
	for _, f := range stack {
		switch {
		case f.array:
			d.pushIndex(f.index)
		case !f.wantKey:
			d.push(f.key)
		}
	}
}

// skipSpace returns the offset of the first non-whitespace byte at or after
// off, or len(data).
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\n', '\r':
			off++
		default:
			return off
		}
	}
	return off
}

// position converts a byte offset into a 1-based line and column; columns
// count characters (runes), not bytes.
func position(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	prefix := data[:off]
	line = 1 + bytes.Count(prefix, []byte{'\n'})
	lineStart := bytes.LastIndexByte(prefix, '\n') + 1
	col = 1 + utf8.RuneCount(prefix[lineStart:])
	return line, col
}

// Token kinds, named by the byte that starts them (numbers by '0').
const (
	tokEnd       byte = 0 // end of input, or a token it cuts short: malformed input only
	tokObject    byte = '{'
	tokEndObject byte = '}'
	tokArray     byte = '['
	tokEndArray  byte = ']'
	tokString    byte = '"'
	tokNumber    byte = '0'
	tokTrue      byte = 't'
	tokFalse     byte = 'f'
	tokNull      byte = 'n'
)

// The JSON types, as messages name them ("expected string, got number").
var (
	kindObject  = locale.Errorf("JSON type: object")
	kindArray   = locale.Errorf("JSON type: array")
	kindString  = locale.Errorf("JSON type: string")
	kindBoolean = locale.Errorf("JSON type: boolean")
	kindNull    = locale.Errorf("JSON type: null")
	kindNumber  = locale.Errorf("JSON type: number")
	kindInteger = locale.Errorf("JSON type: integer")
	kindInvalid = locale.Errorf("JSON type: invalid JSON")
)

// kindName names the JSON type of a value that starts with byte c, for
// "expected X, got Y".
func kindName(c byte) error {
	switch c {
	case '{':
		return kindObject
	case '[':
		return kindArray
	case '"':
		return kindString
	case 't', 'f':
		return kindBoolean
	case 'n':
		return kindNull
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return kindNumber
	}
	return kindInvalid
}

// next reads the next token and returns its kind and its span [start,
// end). Separators (',' and ':') are skipped: the input is known to be
// well-formed, so where they stand is already checked.
func (d *decoder) next() (kind byte, start, end int) {
	data := d.data
	i := d.pos
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r' || data[i] == ',' || data[i] == ':') {
		i++
	}
	if i >= len(data) {
		d.pos = len(data)
		return tokEnd, i, i
	}
	c := data[i]
	end = i + 1
	switch c {
	case '{', '}', '[', ']':
		kind = c
	case '"':
		kind = tokString
		for end < len(data) && data[end] != '"' {
			if data[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(data) {
			kind, end = tokEnd, len(data) // unterminated
		} else {
			end++
		}
	case 't', 'n':
		kind, end = c, i+4
	case 'f':
		kind, end = c, i+5
	default:
		kind = tokNumber
		for end < len(data) && (data[end] >= '0' && data[end] <= '9' || data[end] == '-' || data[end] == '+' || data[end] == '.' || data[end] == 'e' || data[end] == 'E') {
			end++
		}
	}
	if end > len(data) {
		kind, end = tokEnd, len(data) // truncated literal
	}
	d.pos = end
	return kind, i, end
}

// str returns the value of the string token at [start, end).
func (d *decoder) str(start, end int) string {
	raw := d.rawString(start, end)
	if plainString(raw) {
		return string(raw)
	}
	var s string
	if err := json.Unmarshal(d.data[start:end], &s); err != nil {
		return string(raw) // cannot happen: the input is well-formed
	}
	return s
}

// rawString returns the bytes between the quotes of the string token at
// [start, end).
func (d *decoder) rawString(start, end int) []byte {
	if end-start < 2 {
		return nil
	}
	return d.data[start+1 : end-1]
}

// plainString reports whether raw, the inside of a JSON string, means
// itself: no escapes and valid UTF-8.
func plainString(raw []byte) bool {
	return bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw)
}

// malformed is returned where well-formed input cannot lead; it keeps the
// decoder from panicking should that ever be wrong.
func (d *decoder) malformed(start int) *Error {
	return d.errAt(start, locale.Errorf("malformed JSON"))
}

// object decodes the members of a JSON object into the struct v; the '{'
// has been read.
func (d *decoder) object(v reflect.Value, si *Struct) *Error {
	var seen uint64
	for {
		k, ks, ke := d.next()
		if k == tokEndObject {
			break
		}
		if k != tokString {
			return d.malformed(ks)
		}
		var (
			i  int
			ok bool
		)
		if raw := d.rawString(ks, ke); plainString(raw) {
			i, ok = si.byName[string(raw)]
		} else {
			i, ok = si.byName[d.str(ks, ke)]
		}
		if !ok {
			name := d.str(ks, ke)
			d.push(name)
			reason := locale.Errorf("unknown field")
			if near := Closest(name, si.names); near != "" {
				reason = locale.Errorf("unknown field; did you mean %q?", near)
			}
			e := d.errf(ks, reason)
			e.Known = si.names
			return e
		}
		f := &si.Fields[i]
		d.push(f.Name)
		if seen&(1<<i) != 0 {
			return d.errf(ks, locale.Errorf("duplicate key"))
		}
		seen |= 1 << i
		vk, vs, ve := d.next()
		if vk == tokNull && f.NullOK {
			d.pop()
			continue
		}
		fv := v.Field(f.Index)
		if e := d.value(fv, vk, vs, ve, f, 0); e != nil {
			return e
		}
		if f.EmptyNil && fv.Len() == 0 {
			fv.SetZero()
		}
		d.pop()
	}
	for _, i := range si.required {
		if seen&(1<<i) == 0 {
			d.push(si.Fields[i].Name)
			return d.errf(d.pos-1, locale.Errorf("missing required field"))
		}
	}
	return nil
}

// value decodes the value whose first token is kind k at [s, e) into v. f
// is the struct field being decoded (its checks apply to the scalars inside
// it); depth is how many map levels deep the value is within the field.
func (d *decoder) value(v reflect.Value, k byte, s, e int, f *Field, depth int) *Error {
	typ := v.Type()
	if k == tokEnd {
		return d.malformed(s)
	}
	if typ == timeType {
		if k != tokString {
			return d.errf(s, locale.Errorf("expected %v, got %v", kindString, kindName(k)))
		}
		raw := d.rawString(s, e)
		if !plainString(raw) {
			raw = []byte(d.str(s, e))
		}
		tm, ok := parseTime(raw)
		if !ok {
			return d.errf(s, locale.Errorf("expected an RFC 3339 date-time such as \"2026-11-22T10:00:00Z\", got %s", QuoteShort(d.str(s, e))))
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	}
	switch typ.Kind() {
	case reflect.Pointer:
		if k == tokNull {
			return d.errf(s, locale.Errorf("expected %v, got %v", expectedKind(typ), kindNull))
		}
		p := reflect.New(typ.Elem())
		if err := d.value(p.Elem(), k, s, e, f, depth); err != nil {
			return err
		}
		v.Set(p)
		return nil

	case reflect.Struct:
		if k != tokObject {
			return d.errf(s, locale.Errorf("expected %v, got %v", kindObject, kindName(k)))
		}
		return d.object(v, d.schema.structs[typ])

	case reflect.String:
		if k != tokString {
			return d.errf(s, locale.Errorf("expected %v, got %v", kindString, kindName(k)))
		}
		str := d.str(s, e)
		if reason := d.checkString(f.Val, str); reason != nil {
			return d.errf(s, reason)
		}
		v.SetString(str)
		return nil

	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := d.data[s:e]
		if k != tokNumber || bytes.ContainsAny(n, ".eE") {
			return d.errf(s, locale.Errorf("expected %v, got %v", kindInteger, kindName(k)))
		}
		i, ok := parseInt(n)
		if !ok || v.OverflowInt(i) {
			return d.errf(s, locale.Errorf("integer %s out of range", clip(string(n))))
		}
		if f.Val.Kind == CheckNonNegative && i < 0 {
			return d.errf(s, locale.Errorf("must not be negative, got %s", strconv.FormatInt(i, 10)))
		}
		v.SetInt(i)
		return nil

	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n := d.data[s:e]
		if k != tokNumber || bytes.ContainsAny(n, ".eE") {
			return d.errf(s, locale.Errorf("expected %v, got %v", kindInteger, kindName(k)))
		}
		if n[0] == '-' {
			return d.errf(s, locale.Errorf("must not be negative, got %s", clip(string(n))))
		}
		u, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil || v.OverflowUint(u) {
			return d.errf(s, locale.Errorf("integer %s out of range", clip(string(n))))
		}
		v.SetUint(u)
		return nil

	case reflect.Float32, reflect.Float64:
		if k != tokNumber {
			return d.errf(s, locale.Errorf("expected %v, got %v", kindNumber, kindName(k)))
		}
		n := string(d.data[s:e])
		x, err := strconv.ParseFloat(n, 64)
		if err != nil || v.OverflowFloat(x) {
			return d.errf(s, locale.Errorf("number %s out of range", clip(n)))
		}
		if f.Val.Kind == CheckPercent && !(x >= 0 && x <= 100) {
			return d.errf(s, locale.Errorf("must be between 0 and 100, got %s", clip(n)))
		}
		v.SetFloat(x)
		return nil

	case reflect.Bool:
		if k != tokTrue && k != tokFalse {
			return d.errf(s, locale.Errorf("expected %v, got %v", kindBoolean, kindName(k)))
		}
		v.SetBool(k == tokTrue)
		return nil

	case reflect.Slice:
		if k != tokArray {
			return d.errf(s, locale.Errorf("expected %v, got %v", kindArray, kindName(k)))
		}
		return d.slice(v, f, depth)

	case reflect.Map:
		if k != tokObject {
			return d.errf(s, locale.Errorf("expected %v, got %v", kindObject, kindName(k)))
		}
		return d.mapValue(v, f, depth)
	}
	return d.errf(s, locale.Errorf("cannot decode into %s", typ.String()))
}

// slice decodes the elements of a JSON array into the slice v; the '[' has
// been read.
func (d *decoder) slice(v reflect.Value, f *Field, depth int) *Error {
	typ := v.Type()
	s := reflect.MakeSlice(typ, 0, 4)
	for i := 0; ; i++ {
		k, ks, ke := d.next()
		if k == tokEndArray {
			break
		}
		d.pushIndex(i)
		s = reflect.Append(s, reflect.Zero(typ.Elem()))
		if e := d.value(s.Index(i), k, ks, ke, f, depth); e != nil {
			return e
		}
		d.pop()
	}
	v.Set(s)
	return nil
}

// mapValue decodes the members of a JSON object into the map v; the '{'
// has been read. Keys are checked by f.Keys[depth].
func (d *decoder) mapValue(v reflect.Value, f *Field, depth int) *Error {
	typ := v.Type()
	m := reflect.MakeMap(typ)
	elem := reflect.New(typ.Elem()).Elem()
	for {
		k, ks, ke := d.next()
		if k == tokEndObject {
			break
		}
		if k != tokString {
			return d.malformed(ks)
		}
		key := d.str(ks, ke)
		d.push(key)
		if depth < len(f.Keys) {
			if reason := d.checkString(f.Keys[depth], key); reason != nil {
				return d.errf(ks, reason)
			}
		}
		kv := reflect.ValueOf(key)
		if m.MapIndex(kv).IsValid() {
			return d.errf(ks, locale.Errorf("duplicate key"))
		}
		vk, vs, ve := d.next()
		elem.SetZero()
		if e := d.value(elem, vk, vs, ve, f, depth+1); e != nil {
			return e
		}
		m.SetMapIndex(kv, elem)
		d.pop()
	}
	v.Set(m)
	return nil
}

// parseInt parses a JSON integer without allocating in the common case.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		i, err := strconv.ParseInt(string(b), 10, 64)
		return i, err == nil
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// expectedKind names the JSON type a Go value is decoded from.
func expectedKind(t reflect.Type) error {
	if t == timeType {
		return kindString
	}
	switch t.Kind() {
	case reflect.Pointer:
		return expectedKind(t.Elem())
	case reflect.Struct, reflect.Map:
		return kindObject
	case reflect.Slice:
		return kindArray
	case reflect.String:
		return kindString
	case reflect.Int64, reflect.Uint64:
		return kindInteger
	case reflect.Float32, reflect.Float64:
		return kindNumber
	case reflect.Bool:
		return kindBoolean
	}
	return errors.New(t.String())
}

// checkString applies a string check; it returns nil when s passes, else
// what is wrong.
func (d *decoder) checkString(c Check, s string) error {
	switch c.Kind {
	case CheckLookup:
		if d.lookup.Func != nil {
			return d.lookup.Func(d.lookup.Arg, s)
		}
	case CheckFunc:
		if c.Func != nil {
			return c.Func(s)
		}
	case CheckEnum:
		for _, e := range c.Enum {
			if s == e {
				return nil
			}
		}
		return locale.Errorf("unknown value %s (one of %s)", QuoteShort(s), strings.Join(c.Enum, ", "))
	}
	return nil
}

// QuoteShort quotes s for an error message, cutting it after 64 bytes so a
// huge value cannot flood a terminal or a log.
func QuoteShort(s string) string {
	const limit = 64
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// clip shortens a number's text for an error message. JSON numbers are
// ASCII, so cutting at any byte is safe.
func clip(s string) string {
	const limit = 32
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

// parseTime parses an RFC 3339 date-time. The time package alone is more
// lenient than RFC 3339 (it takes a comma before the fraction and offsets
// such as +24:00), so the shape is checked first; RFC 3339 allows a lower
// case "t" and "z", which the time package does not, so they are raised.
// Leap seconds (:60) are refused: a time.Time cannot hold them.
func parseTime(raw []byte) (time.Time, bool) {
	if !rfc3339Shape(raw) {
		return time.Time{}, false
	}
	if bytes.ContainsAny(raw, "tz") {
		raw = bytes.ToUpper(raw)
	}
	var tm time.Time
	if err := tm.UnmarshalText(raw); err != nil {
		return time.Time{}, false
	}
	return tm, true
}

// rfc3339Shape reports whether b has the form of an RFC 3339 date-time:
// YYYY-MM-DDTHH:MM:SS, an optional "." and digits, then Z or ±HH:MM with
// an offset hour up to 23 and minute up to 59.
func rfc3339Shape(b []byte) bool {
	const shape = "dddd-dd-ddTdd:dd:dd"
	if len(b) < len(shape)+1 {
		return false
	}
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	for i := 0; i < len(shape); i++ {
		switch shape[i] {
		case 'd':
			if !digit(b[i]) {
				return false
			}
		case 'T':
			if b[i] != 'T' && b[i] != 't' {
				return false
			}
		default:
			if b[i] != shape[i] {
				return false
			}
		}
	}
	rest := b[len(shape):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && digit(rest[n]) {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case len(rest) == 1:
		return rest[0] == 'Z' || rest[0] == 'z'
	case len(rest) == 6:
		return (rest[0] == '+' || rest[0] == '-') && digit(rest[1]) && digit(rest[2]) && rest[3] == ':' &&
			digit(rest[4]) && digit(rest[5]) && (rest[1]-'0')*10+(rest[2]-'0') <= 23 && rest[4] <= '5'
	}
	return false
}

// Member returns the path of member name under path, written as Error
// paths are: data.subjects.FR, data.subjects_by_category["personal.health"].
// It lets callers that check a decoded document name members as the
// decoder would.
func Member(path, name string) string {
	if plainName(name) {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	return path + "[" + QuoteShort(name) + "]"
}
