package advisory

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/accord-dev/accord/internal/jsonstrict"
	"github.com/accord-dev/accord/internal/locale"
)

// InputError says what is wrong with an input document: the JSON path (or
// byte offset) at fault and why. Callers answer 400 / exit code 2.
type InputError struct {
	// Path is a JSON path ("/affected/0/ranges/1/type") or "" if none.
	Path string
	// Offset is a byte offset into the document, -1 if not known.
	Offset int64
	// Msg says what is wrong, in English.
	Msg string
	// err is Msg as an error that can be written in a reader's language
	// (see Text); nil when the error was built with Msg alone.
	err error
}

// Error names the path or offset and the problem, in English.
func (e *InputError) Error() string {
	return e.text(nil)
}

// Text names the path or offset and the problem in p's language; the
// path stays as written.
func (e *InputError) Text(p *locale.Printer) string {
	return e.text(p)
}

// text writes e in English when p is nil, in p's language otherwise.
func (e *InputError) text(p *locale.Printer) string {
	msg := e.Msg
	if p != nil && e.err != nil {
		msg = locale.Text(p, e.err)
	}
	var where error
	switch {
	case e.Path != "" && e.Offset >= 0:
		where = locale.Errorf("%s (byte %s): %s", e.Path, strconv.FormatInt(e.Offset, 10), msg)
	case e.Path != "":
		where = locale.Errorf("%s: %s", e.Path, msg)
	case e.Offset >= 0:
		where = locale.Errorf("byte %s: %s", strconv.FormatInt(e.Offset, 10), msg)
	default:
		return msg
	}
	if p == nil {
		return where.Error()
	}
	return locale.Text(p, where)
}

// inputErr returns an *InputError at path (no offset) saying err: a
// catalog message, or an error of its own.
func inputErr(path string, err error) *InputError {
	return &InputError{Path: path, Offset: -1, Msg: err.Error(), err: err}
}

// atOffset returns an *InputError at a byte offset saying err.
func atOffset(offset int64, err error) *InputError {
	return &InputError{Offset: offset, Msg: err.Error(), err: err}
}

// jsonErr turns an encoding/json error into an *InputError with its offset.
func jsonErr(data []byte, err error) *InputError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return atOffset(se.Offset, locale.Errorf("invalid JSON: %v", jsonstrict.SyntaxReason(se.Error())))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		ie := atOffset(te.Offset, locale.Errorf("want %s, got JSON %s", te.Type.String(), te.Value))
		ie.Path = "/" + te.Field
		return ie
	}
	return atOffset(-1, err)
}
