package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

// One vocabulary for flags across every command:
//
//   - -o/--output FILE writes what the command produces to FILE instead of
//     standard output; --format text|json chooses how it is written.
//   - --data DIR is the data directory, and only commands that read or
//     write it take it.
//   - --log DIR|URL names a log to read; --key its verifier key.
//   - --mla-deadlines FILE is the YAML file of MLA deadlines, for accord mla
//     and accord serve alike.
//
// A flag renamed to fit keeps working under its old name, hidden from help,
// and says once on standard error which name to use instead.

// dataFlagUsage is the help of --data, the same everywhere.
const dataFlagUsage = "directory holding the log, keys and the embedded database"

// addDataFlag gives fs the --data flag. Only commands that touch the data
// directory call it, so that --data is not offered where it is ignored.
func addDataFlag(fs *pflag.FlagSet) {
	fs.StringVar(&dataDir, "data", "./accord-data", dataFlagUsage)
}

// addOutputFlag gives fs -o/--output, bound to p, and the hidden,
// deprecated --out that an earlier release used for the same thing.
func addOutputFlag(fs *pflag.FlagSet, p *string, usage string) {
	fs.StringVarP(p, "output", "o", "", usage)
	fs.StringVar(p, "out", "", usage)
	deprecateFlag(fs, "out", "output")
}

// deprecateFlag hides old from help and makes using it print a note naming
// the new flag. Both flags must be bound to the same variable.
func deprecateFlag(fs *pflag.FlagSet, old, new string) {
	f := fs.Lookup(new)
	name := "--" + new
	if f != nil && f.Shorthand != "" {
		name = "-" + f.Shorthand + "/--" + new
	}
	if err := fs.MarkDeprecated(old, "use "+name+" instead"); err != nil {
		panic(fmt.Sprintf("deprecate --%s: %v", old, err)) // a programming error: the flag is not defined
	}
}

// maskPassword returns u with any password in its user information replaced,
// so that a database URL can be echoed back in a hint.
func maskPassword(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	if _, has := p.User.Password(); has {
		p.User = url.UserPassword(p.User.Username(), "xxxxx")
	}
	return p.String()
}

// unreachable reports whether err says the other end could not be reached
// at all (connection refused, no route, name not found, timed out
// connecting): nothing was read, so nothing can have failed to verify.
func unreachable(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	// Some readers flatten the error chain into text (%v): recognise the
	// net package's own wording of a failed dial.
	msg := err.Error()
	return strings.Contains(msg, "dial tcp") || strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host")
}
