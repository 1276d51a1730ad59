package main

import (
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/text/language"

	"github.com/accord-dev/accord/internal/locale"
)

// accord --help in the reader's language. Every command's Short, Long and
// Example and every flag's usage is a catalog message whose key is the
// English text itself (see helpKey); the catalogs are
// internal/locale/catalogs/<lang>.help.yaml. Command names, flag names and
// default values are never translated, and neither are the command lines
// inside Long and Example texts.

// helpSource holds the English texts of the command tree, as the commands
// declare them, so that the tree can be written in one language and then
// in another (tests run help in French and English in one process).
var helpSource = struct {
	sync.Mutex
	cmds  map[*cobra.Command]cmdTexts
	flags map[*pflag.Flag]string
}{cmds: map[*cobra.Command]cmdTexts{}, flags: map[*pflag.Flag]string{}}

// cmdTexts are the translatable texts of one command.
type cmdTexts struct{ short, long, example string }

// usageHeadings are the words of cobra's usage template, which
// localizeHelp replaces by their translation.
var usageHeadings = []string{
	"Usage:",
	"Aliases:",
	"Examples:",
	"Available Commands:",
	"Additional Commands:",
	"Flags:",
	"Global Flags:",
	"Additional help topics:",
}

// moreHelp is the last line of cobra's usage template: its key, and the
// template text it replaces.
const (
	moreHelpKey      = `Use "%s [command] --help" for more information about a command.`
	moreHelpTemplate = `Use "{{.CommandPath}} [command] --help" for more information about a command.`
)

// cobraFlagKeys are the usages of the flags cobra adds when a command
// runs: --help on every command, --version on the root.
var cobraFlagKeys = []string{"help for %s", "version for %s"}

// localizeHelp writes the help of root and of every command under it in
// p's language: each command's Short, Long and Example, each flag's usage
// (local and persistent), and, through the usage template, its headings,
// the "(default ...)" after a flag's usage and cobra's --help and
// --version. In English the
// tree keeps (or gets back) the texts its commands declare, and cobra's
// own template. Calling it again with another Printer rewrites the tree in
// that language.
func localizeHelp(root *cobra.Command, p *locale.Printer) {
	// Cobra adds its help and completion commands when it executes;
	// adding them now lets their texts be translated too. Each is added
	// once, as cobra would.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	english := p.Tag() == language.English
	helpSource.Lock()
	defer helpSource.Unlock()
	if english && len(helpSource.cmds) == 0 {
		// The tree was never written in another language: it holds the
		// English its commands declare, and the catalog would give back
		// the same texts. Most runs stop here, at no cost to start-up.
		return
	}
	walkCommands(root, func(c *cobra.Command) {
		src, ok := helpSource.cmds[c]
		if !ok {
			src = cmdTexts{c.Short, c.Long, c.Example}
			helpSource.cmds[c] = src
		}
		c.Short = helpText(p, src.short)
		c.Long = helpText(p, src.long)
		c.Example = helpText(p, src.example)
		for _, fs := range []*pflag.FlagSet{c.LocalNonPersistentFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				usage, ok := helpSource.flags[f]
				if !ok {
					usage = f.Usage
					helpSource.flags[f] = usage
				}
				if byCobra(f) {
					return // translated by flagUsages
				}
				f.Usage = helpText(p, usage)
			})
		}
	})
	if english {
		root.SetUsageTemplate("")
		return
	}
	cobra.AddTemplateFunc("accordText", p.Sprintf)
	cobra.AddTemplateFunc("accordFlagUsages", func(fs *pflag.FlagSet) string { return flagUsages(fs, p) })
	root.SetUsageTemplate(usageTemplate(root.UsageTemplate()))
}

// walkCommands calls f on c and every command under it, hidden ones too,
// but not cobra's __complete, which shells call and people never read
// (cobra adds it while it completes a command line).
func walkCommands(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		if sub.Name() != cobra.ShellCompRequestCmd && sub.Name() != cobra.ShellCompNoDescRequestCmd {
			walkCommands(sub, f)
		}
	}
}

// helpKey is the catalog key of a help text: the text as a format that
// prints it as written. Each % is doubled, and each "${" (a shell
// variable; the catalog would read it as one of its own) is written
// "%[1]s{", filled with "$" by helpText.
func helpKey(text string) string {
	return strings.ReplaceAll(strings.ReplaceAll(text, "%", "%%"), "${", "%[1]s{")
}

// helpText is text in p's language; an empty text stays empty.
func helpText(p *locale.Printer, text string) string {
	if text == "" {
		return ""
	}
	key := helpKey(text)
	if strings.Contains(text, "${") {
		return p.Sprintf(key, "$")
	}
	return p.Sprintf(key)
}

// usageTemplate turns cobra's English usage template tmpl into one that
// prints its headings through the catalog (the accordText template
// function) and the flags with translated defaults (accordFlagUsages).
func usageTemplate(tmpl string) string {
	pairs := []string{
		moreHelpTemplate, fmt.Sprintf(`{{accordText %q .CommandPath}}`, moreHelpKey),
		"{{.LocalFlags.FlagUsages", "{{accordFlagUsages .LocalFlags",
		"{{.InheritedFlags.FlagUsages", "{{accordFlagUsages .InheritedFlags",
	}
	for _, h := range usageHeadings {
		// A heading ends its line in the template; "Flags:\n" is not
		// the end of "Global Flags:\n" because the newline before it is
		// part of the match.
		pairs = append(pairs, "\n"+h+"\n", fmt.Sprintf("\n{{accordText %q}}\n", h), "\n"+h+"{{", fmt.Sprintf("\n{{accordText %q}}{{", h))
	}
	if strings.HasPrefix(tmpl, "Usage:") {
		tmpl = fmt.Sprintf(`{{accordText %q}}`, "Usage:") + strings.TrimPrefix(tmpl, "Usage:")
	}
	return strings.NewReplacer(pairs...).Replace(tmpl)
}

// byCobra says whether cobra made f (--help, --version).
func byCobra(f *pflag.Flag) bool {
	return len(f.Annotations[cobra.FlagSetByCobraAnnotation]) > 0
}

// flagUsages is fs.FlagUsages in p's language: cobra's --help and
// --version are translated, and each shown default is "(par défaut :
// 10s)" rather than "(default 10s)".
func flagUsages(fs *pflag.FlagSet, p *locale.Printer) string {
	out := pflag.NewFlagSet("", pflag.ContinueOnError)
	out.SortFlags = fs.SortFlags
	fs.VisitAll(func(f *pflag.Flag) {
		g := *f
		if byCobra(f) {
			for _, key := range cobraFlagKeys {
				if name, ok := strings.CutPrefix(f.Usage, strings.TrimSuffix(key, "%s")); ok {
					g.Usage = p.Sprintf(key, name)
				}
			}
		}
		if showsDefault(f) {
			def := f.DefValue
			if f.Value.Type() == "string" {
				def = fmt.Sprintf("%q", def)
			}
			g.Usage += " " + p.Sprintf("(default %s)", def)
		}
		// pflag leaves out a default that is its type's zero value; an
		// empty default of a Value pflag does not know is one.
		g.Value = opaqueValue{f.Value}
		g.DefValue = ""
		out.AddFlag(&g)
	})
	return out.FlagUsages()
}

// showsDefault says whether pflag writes "(default ...)" after f's usage.
func showsDefault(f *pflag.Flag) bool {
	one := pflag.NewFlagSet("", pflag.ContinueOnError)
	g := *f
	g.Usage, g.Hidden, g.Deprecated = "", false, ""
	one.AddFlag(&g)
	return strings.Contains(one.FlagUsages(), " (default ")
}

// opaqueValue hides a flag value's concrete type from pflag, which then
// judges its default by the text alone.
type opaqueValue struct{ pflag.Value }
