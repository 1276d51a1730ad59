package authz

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/accord-dev/accord/internal/jsonstrict"
	"github.com/accord-dev/accord/internal/locale"
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
	// Msg says what is wrong, in English.
	Msg string
	// msg is Msg as a catalog message, for Text; nil for a *ParseError
	// made elsewhere, which prints Msg.
	msg error
}

// parseError returns an error at path (no position) whose message is msg,
// a catalog message.
func parseError(path string, msg error) *ParseError {
	return &ParseError{Path: path, Msg: msg.Error(), msg: msg}
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

// Text renders the error as Error does, with the message and the words of
// the position in p's language; the path, line and column are unchanged.
func (e *ParseError) Text(p *locale.Printer) string {
	msg := e.Msg
	if e.msg != nil {
		msg = locale.Text(p, e.msg)
	}
	if e.Line == 0 {
		if e.Path == "" {
			return msg
		}
		return e.Path + ": " + msg
	}
	where := p.Sprintf("line %s, column %s", strconv.Itoa(e.Line), strconv.Itoa(e.Column))
	if e.Path == "" {
		return where + ": " + msg
	}
	return e.Path + ": " + msg + " (" + where + ")"
}

// Unwrap returns the catalog message, if any.
func (e *ParseError) Unwrap() error { return e.msg }

// maxDocument bounds the size of a statement or envelope, so that a hostile
// input cannot make Accord hold arbitrary amounts of memory.
const maxDocument = 1 << 20

// documents is the decoding schema of the documents authz reads: statements
// and DSSE envelopes. It has no rules beyond the types: Statement.Validate
// and checkEnvelope judge the values, naming the member as the walker
// does.
var documents = jsonstrict.MustSchema(nil, reflect.TypeFor[Statement](), reflect.TypeFor[model.Envelope]())

// decodeStrict decodes data into v (a pointer to Statement or
// model.Envelope) the strict way, with the walker every Accord document
// goes through (jsonstrict): one JSON object, no unknown or duplicate
// member names (names match the json tags exactly, not
// case-insensitively), every scalar of the declared type, times in RFC
// 3339. Errors are *ParseError naming the JSON path and the position.
func decodeStrict(data []byte, v any) error {
	if len(data) > maxDocument {
		return newParseError(data, "", 0, locale.Errorf("document is %s bytes, more than the limit of %s", strconv.Itoa(len(data)), strconv.Itoa(maxDocument)))
	}
	err := documents.Decode(data, v, jsonstrict.Lookup{})
	if err == nil {
		return nil
	}
	var je *jsonstrict.Error
	if !errors.As(err, &je) {
		return newParseError(data, "", 0, err)
	}
	// The walker's message stays as it wrote it; the list of known
	// names is ours.
	msg := errors.New(je.Msg)
	if je.Known != nil {
		known := slices.Sorted(slices.Values(je.Known))
		msg = locale.Errorf("%v (known: %s)", msg, strings.Join(known, ", "))
	}
	return newParseError(data, je.Path, int64(je.Offset), msg)
}

// newParseError locates offset in data as a line and column.
func newParseError(data []byte, path string, offset int64, msg error) *ParseError {
	if offset < 0 {
		offset = 0
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return &ParseError{Path: path, Offset: offset, Line: line, Column: col, Msg: msg.Error(), msg: msg}
}
