// Command accord is Accord's one binary: it decides cross-border access to
// data with policy packs, records every decision in a transparency log, and
// serves both over HTTP.
//
// Each subcommand lives in its own file and registers itself on rootCmd in
// an init function.
package main

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/locale"
)

// Exit codes shared by every command. accord check adds 3 (deny) and 4
// (pending).
const (
	exitOK       = 0
	exitError    = 1
	exitBadInput = 2
	exitDeny     = 3
	exitPending  = 4
)

// exitCodeError carries a specific exit code up to main.
type exitCodeError struct {
	code int
	err  error // nil when the command already printed what it had to say
}

func (e *exitCodeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitCodeError) Unwrap() error { return e.err }

// Text is the error in p's language (see locale.Text).
func (e *exitCodeError) Text(p *locale.Printer) string {
	if e.err == nil {
		return e.Error()
	}
	return locale.Text(p, e.err)
}

// badInput marks err as the user's input being wrong (exit code 2).
func badInput(err error) error { return &exitCodeError{code: exitBadInput, err: err} }

// withCode ends the command with code, printing nothing more.
func withCode(code int) error { return &exitCodeError{code: code} }

var rootCmd = &cobra.Command{
	Use:   "accord",
	Short: "Decide, record and release cross-border access to data",
	Long: `Accord decides every cross-border access to data with policy packs written
as data, records every decision in a Merkle transparency log anyone can
verify, and releases a dataset's key only against a logged, allowing decision.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

// dataDir is the --data flag of every command that touches state (see
// addDataFlag).
var dataDir string

// run executes the command line and returns the process exit code. It is
// separate from main so that testscript can run it in-process.
func run() int {
	wireCompletions(rootCmd)
	localizeHelp(rootCmd, userPrinter())
	shown, code := exitStatus(commandLineError(rootCmd.Execute()))
	if shown != nil {
		p := userPrinter()
		fmt.Fprintln(os.Stderr, p.Sprintf("accord: %s", locale.Text(p, shown)))
	}
	return code
}

// exitStatus is how the process ends after a command returned err: the
// error to print (nil when there is none, or the command already printed
// what it had to say) and the exit code.
func exitStatus(err error) (shown error, code int) {
	var ec *exitCodeError
	switch {
	case err == nil:
		return nil, exitOK
	case errors.As(err, &ec):
		return ec.err, ec.code
	}
	return err, exitError
}

// userPrinters holds one Printer per language the environment names, for
// the life of the process, so that a test can ask the Printer what it
// printed in English for want of a translation (Missing).
var userPrinters sync.Map // string → *locale.Printer

// userPrinter is the language of everything accord prints for people: the
// environment's (ACCORD_LANG, LC_ALL, LC_MESSAGES, LANG), English when it
// names none Accord has. A command with a --lang flag uses langPrinter
// instead.
func userPrinter() *locale.Printer {
	lang := locale.FromEnv()
	if p, ok := userPrinters.Load(lang); ok {
		return p.(*locale.Printer)
	}
	p, _ := userPrinters.LoadOrStore(lang, locale.For(lang))
	return p.(*locale.Printer)
}

// langPrinter is the Printer of a command's --lang flag: the language
// named, which must be one of known, or without one the environment's
// when it is one of known (the same Printer as userPrinter's), else
// English.
func langPrinter(lang string, known locale.Known) (*locale.Printer, error) {
	p, err := locale.Parse(lang, known)
	if err != nil {
		return nil, err
	}
	if u := userPrinter(); u.Tag() == p.Tag() {
		return u, nil
	}
	return p, nil
}

func main() { os.Exit(run()) }
