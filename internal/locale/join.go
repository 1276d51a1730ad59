package locale

import "strings"

// Join returns an error that holds errs, one per line, as errors.Join
// does: nil errors are dropped, and Join returns nil when none is left.
// Its Error() is the same text as errors.Join's; Text writes each error
// in the reader's language (see Text), so a list of problems found in a
// file prints in one language.
func Join(errs ...error) error {
	var list joined
	for _, err := range errs {
		if err != nil {
			list = append(list, err)
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list
}

// joined is the error Join returns.
type joined []error

// Error returns the errors' English texts, one per line.
func (j joined) Error() string { return j.Text(english()) }

// Text returns the errors' texts in p's language, one per line.
func (j joined) Text(p *Printer) string {
	lines := make([]string, len(j))
	for i, err := range j {
		lines[i] = Text(p, err)
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors held.
func (j joined) Unwrap() []error { return j }
