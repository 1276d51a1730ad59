package policy

import "github.com/accord-dev/accord/internal/locale"

// Error is a problem at a place in a pack or test file. Load, ParsePack,
// LoadTests and Compile report one per problem, joined with locale.Join.
// Error() is "file:line:col: message" in English; Text writes the same
// position and the message in a reader's language.
type Error struct {
	// Pos is where the problem is written.
	Pos Pos
	// Err says what is wrong: a catalog message (*locale.Error), which
	// may wrap a library's error (CEL's and YAML's stay as they wrote
	// them).
	Err error
}

// Error returns "file:line:col: message" in English.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Err.Error() }

// Text returns the position, unchanged, and the message in p's language.
func (e *Error) Text(p *locale.Printer) string {
	return e.Pos.String() + ": " + locale.Text(p, e.Err)
}

// Unwrap returns the message, so errors.Is and errors.As reach what it
// wraps.
func (e *Error) Unwrap() error { return e.Err }
