package locale

import "sync"

// Error is an error whose text is a catalog message: its key is an
// English fmt format and its arguments fill it. Error() gives the English
// text, so logs, tests and errors.Is/As work as for fmt.Errorf; Text gives
// it in a reader's language.
//
// Create one with Errorf. An argument that is itself an error is written
// in the same language as the message, and is what Unwrap returns, so
// wrapping keeps the chain:
//
//	return locale.Errorf("read pack %s: %v", name, err)
//
// Keys use %v (not %w) for the wrapped error: the catalog's formatter
// does not know %w, and the wrapping is done by Error itself.
type Error struct {
	key  string
	args []any
}

// Errorf returns an *Error for the catalog message key filled with args.
// Every argument that is an error is wrapped (see Error).
func Errorf(key string, args ...any) error {
	return &Error{key: key, args: args}
}

// english renders Error() strings; it never records missing keys for
// tests (that is what the French printer is for).
var english = sync.OnceValue(func() *Printer { return For("en") })

// Error returns the message in English.
func (e *Error) Error() string { return e.Text(english()) }

// Key returns the message's catalog key, its English format.
func (e *Error) Key() string { return e.key }

// Text returns the message in p's language, with its wrapped errors in
// the same language where they are *Error too.
func (e *Error) Text(p *Printer) string {
	args := make([]any, len(e.args))
	for i, a := range e.args {
		if err, ok := a.(error); ok {
			args[i] = Text(p, err)
			continue
		}
		args[i] = a
	}
	return p.Sprintf(e.key, args...)
}

// Unwrap returns the errors among the message's arguments.
func (e *Error) Unwrap() []error {
	var out []error
	for _, a := range e.args {
		if err, ok := a.(error); ok {
			out = append(out, err)
		}
	}
	return out
}

// Text returns err's text in p's language. An error that can write
// itself in a language (an *Error, or any type with a Text(*Printer)
// string method) is translated, with the errors it wraps; any other error
// prints as its Error(): a library's message stays as the library wrote
// it, and so does an fmt.Errorf wrapper around an *Error (its prefix is
// not in the catalog). A nil error is "".
func Text(p *Printer, err error) string {
	if err == nil {
		return ""
	}
	if t, ok := err.(interface{ Text(*Printer) string }); ok {
		return t.Text(p)
	}
	return err.Error()
}
