package advisory

import (
	"encoding/json"
	"errors"
	"fmt"
)

// InputError says what is wrong with an input document: the JSON path (or
// byte offset) at fault and why. Callers answer 400 / exit code 2.
type InputError struct {
	// Path is a JSON path ("/affected/0/ranges/1/type") or "" if none.
	Path string
	// Offset is a byte offset into the document, -1 if not known.
	Offset int64
	// Msg says what is wrong.
	Msg string
}

// Error names the path or offset and the problem.
func (e *InputError) Error() string {
	switch {
	case e.Path != "" && e.Offset >= 0:
		return fmt.Sprintf("%s (byte %d): %s", e.Path, e.Offset, e.Msg)
	case e.Path != "":
		return e.Path + ": " + e.Msg
	case e.Offset >= 0:
		return fmt.Sprintf("byte %d: %s", e.Offset, e.Msg)
	}
	return e.Msg
}

func inputErr(path, format string, args ...any) *InputError {
	return &InputError{Path: path, Offset: -1, Msg: fmt.Sprintf(format, args...)}
}

// jsonErr turns an encoding/json error into an *InputError with its offset.
func jsonErr(data []byte, err error) *InputError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &InputError{Offset: se.Offset, Msg: "invalid JSON: " + se.Error()}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &InputError{Path: "/" + te.Field, Offset: te.Offset, Msg: fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value)}
	}
	return &InputError{Offset: -1, Msg: err.Error()}
}
