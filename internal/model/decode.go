package model

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
)

// Jurisdictions tells the decoder which jurisdiction codes exist. The
// registry (*registry.Registry) implements it; tests use a small fixed set.
type Jurisdictions interface {
	// KnownJurisdiction reports whether code (ISO 3166-1 alpha-2, such as
	// "FR") names a jurisdiction.
	KnownJurisdiction(code string) bool
}

// InputError is what DecodeRequest and DecodeDecision return for bad input.
// It names where the problem is, so a person can fix the file:
//
//	data.subjects.XX: unknown jurisdiction "XX"
//	line 3, column 7: invalid character '}' looking for beginning of value
//	data.subjects: line 3, column 7: invalid character ...
//
// Path is set for every problem with a member of the document (a JSON path
// with dots and [i] for array elements: data.origin[1]); Line and Column
// (1-based; columns count characters) are set for syntax errors and other
// problems found at a place in the text rather than in a member.
type InputError struct {
	// Path is the JSON path of the offending member, or "" for the
	// document as a whole.
	Path string
	// Line and Column locate the problem in the text; 0 when unknown.
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

// Error returns "path: msg", "line L, column C: msg", or both (path first).
func (e *InputError) Error() string {
	switch {
	case e.Path != "" && e.Line > 0:
		return fmt.Sprintf("%s: line %d, column %d: %s", e.Path, e.Line, e.Column, e.Msg)
	case e.Path != "":
		return e.Path + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	default:
		return e.Msg
	}
}

// DecodeRequest decodes one request strictly. It rejects, with an
// *InputError naming the JSON path: unknown fields at any depth, duplicate
// keys, missing required fields (action, requester with its kind and
// jurisdiction, data, data.location), values of the wrong JSON type,
// unknown enumeration values, jurisdiction codes j does not know, categories
// outside the taxonomy (see KnownCategory), negative counts, timestamps that
// are not RFC 3339, syntax errors (with line and column), empty input, a
// top level that is not an object, and anything after the object.
//
// Null is accepted where encoding/json may write it (on_behalf_of,
// data.cii, history, basis.authorizations and other pointers and lists
// without omitempty) and leaves the zero value; an empty optional list or
// map decodes to nil. So a decoded request encodes with encoding/json and
// decodes again to an equal request. Time takes RFC 3339 as written in
// the RFC, except leap seconds, which a time.Time cannot hold.
//
// A nil j accepts any code of two upper-case letters. DecodeRequest never
// panics, whatever data holds, and allocates little: it lets json.Valid
// check the syntax, then reads the tokens itself into the struct.
func DecodeRequest(data []byte, j Jurisdictions) (*Request, error) {
	req := new(Request)
	if err := decodeStrict(data, j, reflect.ValueOf(req).Elem()); err != nil {
		return nil, err
	}
	if err := req.checkActionFields(); err != nil {
		return nil, err
	}
	return req, nil
}

// checkActionFields reports the first member ActionRequires demands of
// r's action that r lacks.
func (r *Request) checkActionFields() error {
	for _, name := range ActionRequires[r.Action] {
		switch name {
		case "destination":
			if r.Destination == "" {
				return &InputError{Path: name, Msg: fmt.Sprintf("required for action %q: say which state the data goes to (for data read in place from abroad, the reader's state)", r.Action)}
			}
		}
	}
	if r.Action == ActionNotify {
		return r.checkNotice()
	}
	return nil
}

// checkNotice reports the first sign that a request to notify carries
// someone's data: a notice is the sender's own text, and a label cannot
// make people's data into one (GDSI issue 19, class 6).
func (r *Request) checkNotice() error {
	const msg = "a notice (action \"notify\") carries no one's data; to send data about people or critical infrastructure, use disclose"
	for i, c := range r.Data.Categories {
		if IsPersonal(c) {
			return &InputError{Path: fmt.Sprintf("data.categories[%d]", i), Msg: msg}
		}
	}
	for s, n := range r.Data.Subjects {
		if n > 0 {
			return &InputError{Path: "data.subjects." + s, Msg: msg}
		}
	}
	if r.Data.Devices > 0 {
		return &InputError{Path: "data.devices", Msg: msg}
	}
	if r.Data.CII != nil {
		return &InputError{Path: "data.cii", Msg: msg}
	}
	return nil
}

// DecodeDecision decodes one decision as strictly as DecodeRequest decodes
// a request: unknown fields, duplicate keys, missing required fields
// (outcome, reasons, binding, time; each reason's rule, pack, effect,
// message, citation), wrong types, unknown outcomes or effects and
// malformed state codes in requires[].authorization_from are
// *InputError values. It is meant for programs that read Accord's own
// output back (round trips, `--format json` consumers, tests).
func DecodeDecision(data []byte) (*Decision, error) {
	dec := new(Decision)
	if err := decodeStrict(data, nil, reflect.ValueOf(dec).Elem()); err != nil {
		return nil, err
	}
	return dec, nil
}

// decodeStrict fills v (an addressable struct with a table in structInfos)
// from data.
//
// encoding/json checks the syntax of the whole input first (json.Valid
// allocates nothing); the walk below then reads tokens from input known to
// be well-formed, so it only has to judge what the values mean.
func decodeStrict(data []byte, j Jurisdictions, v reflect.Value) error {
	d := decoder{data: data, j: j}
	start := skipSpace(data, 0)
	if start == len(data) {
		return &InputError{Msg: "empty input, expected a JSON object"}
	}
	if !json.Valid(data) {
		return d.syntaxError(start)
	}
	if data[start] != '{' {
		return d.errAt(start, "expected a JSON object at the top level, got "+kindName(data[start]))
	}
	d.pos = start + 1
	if e := d.object(v, structInfos[v.Type()]); e != nil {
		return e
	}
	return nil
}

// decoder walks the tokens of one well-formed document into a value,
// keeping the path of the member being decoded for error messages.
type decoder struct {
	data []byte
	pos  int // offset of the next byte to read
	j    Jurisdictions
	path []pathSeg
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
			b.WriteString(quoteShort(s.name))
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

// errf returns an error about the member at the current path.
func (d *decoder) errf(format string, args ...any) *InputError {
	return &InputError{Path: d.pathString(), Msg: fmt.Sprintf(format, args...)}
}

// errAt returns an error located at byte offset off of the input.
func (d *decoder) errAt(off int, msg string) *InputError {
	line, col := position(d.data, off)
	return &InputError{Path: d.pathString(), Line: line, Column: col, Msg: msg}
}

// syntaxError locates the first syntax error of the input, which starts
// with a value at offset start. encoding/json finds it; Unmarshal into a
// RawMessage only checks syntax.
func (d *decoder) syntaxError(start int) *InputError {
	var raw json.RawMessage
	err := json.Unmarshal(d.data, &raw)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return &InputError{Msg: fmt.Sprintf("malformed JSON: %v", err)}
	}
	msg := se.Error()
	off := int(se.Offset) - 1 // Offset counts the bad byte itself.
	if strings.HasSuffix(msg, "after top-level value") {
		if d.data[start] != '{' {
			return d.errAt(start, "expected a JSON object at the top level, got "+kindName(d.data[start]))
		}
		return d.errAt(off, "unexpected data after the top-level object")
	}
	// At the end of input the scanner feeds itself a space, so a literal
	// or number cut short reads as "invalid character ' '".
	cut := off == len(d.data)-1 && d.data[off] != ' ' && strings.HasPrefix(msg, "invalid character ' '")
	if cut || strings.HasPrefix(msg, "unexpected end of JSON input") {
		off, msg = len(d.data), "unexpected end of input"
	}
	d.trackPath(off)
	return d.errAt(off, msg)
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

// kindName names the JSON type of a value that starts with byte c, for
// "expected X, got Y".
func kindName(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "number"
	}
	return "invalid JSON"
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
func (d *decoder) malformed(start int) *InputError {
	return d.errAt(start, "malformed JSON")
}

var timeType = reflect.TypeFor[time.Time]()

// object decodes the members of a JSON object into the struct v; the '{'
// has been read.
func (d *decoder) object(v reflect.Value, si *structInfo) *InputError {
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
			if near := Closest(name, si.names()); near != "" {
				return d.errf("unknown field; did you mean %q?", near)
			}
			return d.errf("unknown field")
		}
		f := &si.fields[i]
		d.push(f.name)
		if seen&(1<<i) != 0 {
			return d.errf("duplicate key")
		}
		seen |= 1 << i
		vk, vs, ve := d.next()
		if vk == tokNull && f.nullOK {
			d.pop()
			continue
		}
		fv := v.Field(f.index)
		if e := d.value(fv, vk, vs, ve, f, 0); e != nil {
			return e
		}
		if f.emptyNil && fv.Len() == 0 {
			fv.SetZero()
		}
		d.pop()
	}
	for _, i := range si.required {
		if seen&(1<<i) == 0 {
			d.push(si.fields[i].name)
			return d.errf("missing required field")
		}
	}
	return nil
}

// value decodes the value whose first token is kind k at [s, e) into v. f
// is the struct field being decoded (its checks apply to the scalars inside
// it); depth is how many map levels deep the value is within the field.
func (d *decoder) value(v reflect.Value, k byte, s, e int, f *fieldInfo, depth int) *InputError {
	typ := v.Type()
	if k == tokEnd {
		return d.malformed(s)
	}
	if typ == timeType {
		if k != tokString {
			return d.errf("expected string, got %s", kindName(k))
		}
		raw := d.rawString(s, e)
		if !plainString(raw) {
			raw = []byte(d.str(s, e))
		}
		tm, ok := parseTime(raw)
		if !ok {
			return d.errf("expected an RFC 3339 date-time such as \"2026-11-22T10:00:00Z\", got %s", quoteShort(d.str(s, e)))
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	}
	switch typ.Kind() {
	case reflect.Pointer:
		if k == tokNull {
			return d.errf("expected %s, got null", expectedKind(typ))
		}
		p := reflect.New(typ.Elem())
		if err := d.value(p.Elem(), k, s, e, f, depth); err != nil {
			return err
		}
		v.Set(p)
		return nil

	case reflect.Struct:
		if k != tokObject {
			return d.errf("expected object, got %s", kindName(k))
		}
		return d.object(v, structInfos[typ])

	case reflect.String:
		if k != tokString {
			return d.errf("expected string, got %s", kindName(k))
		}
		str := d.str(s, e)
		if msg := d.checkString(f.val, str); msg != "" {
			return d.errf("%s", msg)
		}
		v.SetString(str)
		return nil

	case reflect.Int64:
		n := d.data[s:e]
		if k != tokNumber || bytes.ContainsAny(n, ".eE") {
			return d.errf("expected integer, got %s", kindName(k))
		}
		i, ok := parseInt(n)
		if !ok {
			return d.errf("integer %s out of range", clip(string(n)))
		}
		if f.val.kind == checkNonNegative && i < 0 {
			return d.errf("must not be negative, got %d", i)
		}
		v.SetInt(i)
		return nil

	case reflect.Uint64:
		n := d.data[s:e]
		if k != tokNumber || bytes.ContainsAny(n, ".eE") {
			return d.errf("expected integer, got %s", kindName(k))
		}
		if n[0] == '-' {
			return d.errf("must not be negative, got %s", clip(string(n)))
		}
		u, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil {
			return d.errf("integer %s out of range", clip(string(n)))
		}
		v.SetUint(u)
		return nil

	case reflect.Float64:
		if k != tokNumber {
			return d.errf("expected number, got %s", kindName(k))
		}
		n := string(d.data[s:e])
		x, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return d.errf("number %s out of range", clip(n))
		}
		if f.val.kind == checkPercent && !(x >= 0 && x <= 100) {
			return d.errf("must be between 0 and 100, got %s", clip(n))
		}
		v.SetFloat(x)
		return nil

	case reflect.Bool:
		if k != tokTrue && k != tokFalse {
			return d.errf("expected boolean, got %s", kindName(k))
		}
		v.SetBool(k == tokTrue)
		return nil

	case reflect.Slice:
		if k != tokArray {
			return d.errf("expected array, got %s", kindName(k))
		}
		return d.slice(v, f, depth)

	case reflect.Map:
		if k != tokObject {
			return d.errf("expected object, got %s", kindName(k))
		}
		return d.mapValue(v, f, depth)
	}
	return d.errf("cannot decode into %s", typ)
}

// slice decodes the elements of a JSON array into the slice v; the '[' has
// been read.
func (d *decoder) slice(v reflect.Value, f *fieldInfo, depth int) *InputError {
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
// has been read. Keys are checked by f.keys[depth].
func (d *decoder) mapValue(v reflect.Value, f *fieldInfo, depth int) *InputError {
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
		if depth < len(f.keys) {
			if msg := d.checkString(f.keys[depth], key); msg != "" {
				return d.errf("%s", msg)
			}
		}
		kv := reflect.ValueOf(key)
		if m.MapIndex(kv).IsValid() {
			return d.errf("duplicate key")
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
func expectedKind(t reflect.Type) string {
	if t == timeType {
		return "string"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return expectedKind(t.Elem())
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Int64, reflect.Uint64:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	}
	return t.String()
}

// jurisdictionHints says what to write instead of a code people often use
// that is not ISO 3166-1 alpha-2.
var jurisdictionHints = map[string]string{
	"UK":  "use GB, the ISO 3166-1 code of the United Kingdom",
	"EL":  "use GR, the ISO 3166-1 code of Greece",
	"EU":  "the EU is a bloc, not a state: name the member state where the data is",
	"FRA": "use the two-letter code, such as FR",
	"USA": "use the two-letter code, US",
	"GBR": "use GB",
	"CHN": "use the two-letter code, CN",
	"DEU": "use the two-letter code, DE",
}

// checkString applies a string check; it returns "" when s passes, else
// what is wrong.
func (d *decoder) checkString(c check, s string) string {
	switch c.kind {
	case checkJurisdiction:
		if d.j == nil {
			if wellFormedJurisdiction(s) {
				return ""
			}
		} else if d.j.KnownJurisdiction(s) {
			return ""
		}
		if hint, ok := jurisdictionHints[s]; ok {
			return "unknown jurisdiction " + quoteShort(s) + " (" + hint + ")"
		}
		return "unknown jurisdiction " + quoteShort(s)
	case checkCategory:
		if KnownCategory(s) {
			return ""
		}
		return "unknown category " + quoteShort(s)
	case checkEnum:
		for _, e := range c.enum {
			if s == e {
				return ""
			}
		}
		return fmt.Sprintf("unknown value %s (one of %s)", quoteShort(s), strings.Join(c.enum, ", "))
	}
	return ""
}

// wellFormedJurisdiction reports whether s is two upper-case ASCII letters.
func wellFormedJurisdiction(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// quoteShort quotes s for an error message, cutting it after 64 bytes so a
// huge value cannot flood a terminal or a log.
func quoteShort(s string) string {
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
