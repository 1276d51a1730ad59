package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var updateMan = flag.Bool("update-man", false, "rewrite docs/man/*.1 from the commands")

// manDir is where the man pages live, from this package's directory.
var manDir = filepath.Join("..", "..", "docs", "man")

// TestManPages checks that docs/man holds exactly the man pages the
// command tree generates: one per command, with its synopsis, description,
// flags (not the hidden, deprecated aliases), examples and related pages.
// After changing a command, run
//
//	go test ./cmd/accord -run TestManPages -update-man
func TestManPages(t *testing.T) {
	want := map[string][]byte{}
	genMan(rootCmd, want)
	if len(want) < 40 {
		t.Fatalf("generated %d man pages; the command tree looks incomplete", len(want))
	}
	if *updateMan {
		if err := os.MkdirAll(manDir, 0o755); err != nil {
			t.Fatal(err)
		}
		old, _ := filepath.Glob(filepath.Join(manDir, "*.1"))
		for _, f := range old {
			os.Remove(f)
		}
		for name, page := range want {
			if err := os.WriteFile(filepath.Join(manDir, name), page, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	have, _ := filepath.Glob(filepath.Join(manDir, "*.1"))
	for _, f := range have {
		if _, ok := want[filepath.Base(f)]; !ok {
			t.Errorf("%s is not a command any more; run go test ./cmd/accord -run TestManPages -update-man", f)
		}
	}
	for name, page := range want {
		got, err := os.ReadFile(filepath.Join(manDir, name))
		if err != nil {
			t.Errorf("docs/man/%s is missing; run go test ./cmd/accord -run TestManPages -update-man", name)
			continue
		}
		if !bytes.Equal(got, page) {
			t.Errorf("docs/man/%s is out of date; run go test ./cmd/accord -run TestManPages -update-man", name)
		}
	}
}

// manName is the page name of a command: accord-log-verify.1.
func manName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
}

// shownCommand says whether a command gets a page.
func shownCommand(c *cobra.Command) bool {
	return !c.Hidden && c.Name() != "help" && c.Name() != "completion"
}

// genMan adds the page of c and of every command under it to pages.
func genMan(c *cobra.Command, pages map[string][]byte) {
	if !shownCommand(c) {
		return
	}
	pages[manName(c)] = manPage(c)
	for _, sub := range c.Commands() {
		genMan(sub, pages)
	}
}

// roff escapes text for a man page body: backslashes, and lines that
// would start with a control character.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// manPage renders one command as a man(7) page. It holds no date, so that
// it changes only when the command does.
func manPage(c *cobra.Command) []byte {
	var b bytes.Buffer
	name := strings.ReplaceAll(c.CommandPath(), " ", "-")
	fmt.Fprintf(&b, ".TH %q \"1\" \"\" \"Accord\" \"Accord Manual\"\n", strings.ToUpper(name))
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", name, roff(c.Short))
	// The synopsis is built here rather than by UseLine, whose "[flags]"
	// depends on whether the command has run (which adds --help).
	use := c.Use
	if c.HasParent() {
		use = c.Parent().CommandPath() + " " + c.Use
	}
	hasFlags := false
	for _, fs := range []*pflag.FlagSet{c.NonInheritedFlags(), c.InheritedFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			hasFlags = hasFlags || !f.Hidden && f.Deprecated == "" && f.Name != "help"
		})
	}
	if hasFlags && !strings.Contains(use, "[flags]") {
		use += " [flags]"
	}
	fmt.Fprintf(&b, ".SH SYNOPSIS\n.nf\n%s\n.fi\n", roff(use))
	desc := c.Long
	if desc == "" {
		desc = c.Short
	}
	fmt.Fprintf(&b, ".SH DESCRIPTION\n%s\n", roff(strings.TrimSpace(desc)))
	writeFlags := func(title string, fs *pflag.FlagSet) {
		var lines []string
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Deprecated != "" || f.Name == "help" {
				return
			}
			head := `\fB\-\-` + f.Name + `\fR`
			if f.Shorthand != "" {
				head = `\fB\-` + f.Shorthand + `\fR, ` + head
			}
			if f.Value.Type() != "bool" {
				head += `=\fI` + f.Value.Type() + `\fR`
			}
			usage := f.Usage
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0" && f.DefValue != "0s" {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			lines = append(lines, ".TP\n"+head+"\n"+roff(usage)+"\n")
		})
		if len(lines) > 0 {
			fmt.Fprintf(&b, ".SH %s\n%s", title, strings.Join(lines, ""))
		}
	}
	writeFlags("OPTIONS", c.NonInheritedFlags())
	writeFlags("OPTIONS INHERITED FROM PARENT COMMANDS", c.InheritedFlags())
	if c.Example != "" {
		fmt.Fprintf(&b, ".SH EXAMPLE\n.nf\n%s\n.fi\n", roff(strings.TrimRight(c.Example, "\n")))
	}
	var see []string
	if c.HasParent() {
		see = append(see, strings.TrimSuffix(manName(c.Parent()), ".1")+"(1)")
	}
	var subs []string
	for _, sub := range c.Commands() {
		if shownCommand(sub) {
			subs = append(subs, strings.TrimSuffix(manName(sub), ".1")+"(1)")
		}
	}
	sort.Strings(subs)
	see = append(see, subs...)
	if len(see) > 0 {
		fmt.Fprintf(&b, ".SH SEE ALSO\n%s\n", strings.Join(see, ", "))
	}
	return b.Bytes()
}
