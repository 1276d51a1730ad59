package main

import (
	"regexp"

	"github.com/accord-dev/accord/internal/locale"
)

// cobraMessages are the errors cobra and pflag write about a command line
// (an unknown command or flag, a missing argument, too many arguments),
// each with the catalog message that says the same. Their English text is
// the libraries' own, byte for byte.
var cobraMessages = []struct {
	re   *regexp.Regexp
	key  string
	args func(m []string) []any
}{
	{regexp.MustCompile(`^unknown flag: (--\S+)$`), "unknown flag: %s", func(m []string) []any { return []any{m[1]} }},
	{regexp.MustCompile(`^unknown shorthand flag: '(.)' in (-\S+)$`), "unknown shorthand flag: '%s' in %s", func(m []string) []any { return []any{m[1], m[2]} }},
	{regexp.MustCompile(`^flag needs an argument: (--\S+)$`), "flag needs an argument: %s", func(m []string) []any { return []any{m[1]} }},
	{regexp.MustCompile(`^flag needs an argument: '(.)' in (-\S+)$`), "flag needs an argument: '%s' in %s", func(m []string) []any { return []any{m[1], m[2]} }},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), "bad flag syntax: %s", func(m []string) []any { return []any{m[1]} }},
	{regexp.MustCompile(`^invalid argument ("(?:[^"\\]|\\.)*") for ("(?:[^"\\]|\\.)*") flag: (.*)$`), "invalid argument %s for %s flag: %s", func(m []string) []any { return []any{m[1], m[2], m[3]} }},
	{regexp.MustCompile(`^requires at least (\d+) arg\(s\), only received (\d+)$`), "requires at least %s arg(s), only received %s", func(m []string) []any { return []any{m[1], m[2]} }},
	{regexp.MustCompile(`^accepts at most (\d+) arg\(s\), received (\d+)$`), "accepts at most %s arg(s), received %s", func(m []string) []any { return []any{m[1], m[2]} }},
	{regexp.MustCompile(`^accepts (\d+) arg\(s\), received (\d+)$`), "accepts %s arg(s), received %s", func(m []string) []any { return []any{m[1], m[2]} }},
	{regexp.MustCompile(`^accepts between (\d+) and (\d+) arg\(s\), received (\d+)$`), "accepts between %s and %s arg(s), received %s", func(m []string) []any { return []any{m[1], m[2], m[3]} }},
	{regexp.MustCompile(`^required flag\(s\) (.*) not set$`), "required flag(s) %s not set", func(m []string) []any { return []any{m[1]} }},
}

// unknownCommand matches cobra's error for a command it does not know,
// with its suggestions when it has some.
var unknownCommand = regexp.MustCompile(`(?s)^unknown command ("(?:[^"\\]|\\.)*") for ("(?:[^"\\]|\\.)*")(?:\n\nDid you mean this\?\n(.*))?$`)

// commandLineError returns err as a catalog message when it is one of
// cobra's or pflag's errors about the command line, so that it reads in
// the user's language; any other error is returned as it is. Its English
// text does not change.
func commandLineError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(interface{ Text(*locale.Printer) string }); ok {
		return err
	}
	msg := err.Error()
	if m := unknownCommand.FindStringSubmatch(msg); m != nil {
		if m[3] == "" {
			return locale.Errorf("unknown command %s for %s", m[1], m[2])
		}
		return locale.Errorf("unknown command %s for %s\n\nDid you mean this?\n%s", m[1], m[2], m[3])
	}
	for _, c := range cobraMessages {
		if m := c.re.FindStringSubmatch(msg); m != nil {
			return locale.Errorf(c.key, c.args(m)...)
		}
	}
	return err
}
