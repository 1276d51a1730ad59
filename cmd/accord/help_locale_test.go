package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/internal/locale"
)

var updateHelp = flag.Bool("update-help", false, "rewrite internal/locale/catalogs/en.help.yaml and testdata/help from the command tree")

// helpCatalogDir is where the catalogs live, from this package's directory.
var helpCatalogDir = filepath.Join("..", "..", "internal", "locale", "catalogs")

// helpEntry is one help text of the command tree and where it is.
type helpEntry struct {
	key   string // the catalog key (helpKey of the text)
	where string // "accord check: Long", "accord check --packs"
	text  string // the English text
	group string // the command path, for the catalog's comments
}

// helpEntries lists the help texts of the tree under root, in English, in
// walk order: first the words of cobra's usage template, then each
// command's Short, Long, Example and flag usages.
func helpEntries(root *cobra.Command) []helpEntry {
	localizeHelp(root, locale.For("en"))
	var out []helpEntry
	fixed := append(append(append([]string(nil), usageHeadings...), moreHelpKey, "(default %s)"), cobraFlagKeys...)
	for _, k := range fixed {
		out = append(out, helpEntry{key: k, where: "usage template", text: k, group: "cobra's usage template"})
	}
	walkCommands(root, func(c *cobra.Command) {
		path := c.CommandPath()
		add := func(where, text string) {
			if text != "" {
				out = append(out, helpEntry{key: helpKey(text), where: where, text: text, group: path})
			}
		}
		add(path+": Short", c.Short)
		add(path+": Long", c.Long)
		add(path+": Example", c.Example)
		for _, fs := range []*pflag.FlagSet{c.LocalNonPersistentFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if byCobra(f) {
					return // cobraFlagKeys
				}
				add(path+" --"+f.Name, f.Usage)
			})
		}
	})
	return out
}

// TestHelpTranslated holds every help text of the command tree (each
// command's Short, Long and Example, each flag's usage, the usage
// template's words) to a French translation, and each translation to the
// command lines, flags, variables and files of its English text.
func TestHelpTranslated(t *testing.T) {
	if *updateHelp {
		writeEnglishHelpCatalog(t)
	}
	entries := helpEntries(rootCmd)
	if len(entries) < 300 {
		t.Fatalf("found only %d help texts: the walk is broken", len(entries))
	}
	fr := locale.For("fr")
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.key] {
			continue
		}
		seen[e.key] = true
		got := fr.Sprintf(e.key)
		if e.where != "usage template" {
			got = helpText(fr, e.text)
		}
		if sortedHas(fr.Missing(), e.key) {
			t.Errorf("%s: no French translation (run go test ./cmd/accord -run TestHelpTranslated -update-help, then translate the new keys of en.help.yaml in fr.help.yaml)", e.where)
			continue
		}
		if e.where == "usage template" {
			continue // got is a format; its verbs are checked by the catalog test
		}
		lines, names := helpLiterals(e.text, strings.HasSuffix(e.where, ": Example"))
		for _, lost := range helpKeeps(got, lines, names) {
			t.Errorf("%s: the French text lacks %q, which must stay as in English", e.where, lost)
		}
	}
	// The catalog holds no text the tree lost.
	raw, err := os.ReadFile(filepath.Join(helpCatalogDir, "en.help.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var en map[string]string
	if err := yaml.Unmarshal(raw, &en); err != nil {
		t.Fatalf("en.help.yaml: %v", err)
	}
	for k := range en {
		if !seen[k] {
			t.Errorf("en.help.yaml: %q is no help text of the tree any more; run go test ./cmd/accord -run TestHelpTranslated -update-help", helpFirstLine(k))
		}
	}
}

// sortedHas says whether the sorted keys hold k.
func sortedHas(keys []string, k string) bool {
	i := sort.SearchStrings(keys, k)
	return i < len(keys) && keys[i] == k
}

// helpFirstLine is s up to its first newline.
func helpFirstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

var (
	// helpCommandLine is a line of a Long text that a user types: indented,
	// starting with "accord " or "$ ".
	helpCommandLine = regexp.MustCompile(`^\s+(\$ |accord )`)
	// helpFlagName, helpEnvName and helpFileName are names a translation keeps.
	helpFlagName = regexp.MustCompile(`(^|[\s(\x60"'])(--?[a-z][a-z0-9-]*)`)
	helpEnvName  = regexp.MustCompile(`\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b`)
	helpFileName = regexp.MustCompile(`[\w./-]+\.(yaml|json|pem|key|txt|db|csv|md|txtar|sig)\b`)
)

// helpLiterals lists what a translation of text must keep as written:
// its command lines (in an example, every line but the comments; a
// comment at the end of a command line is prose too), and its flags,
// environment variables and file names.
func helpLiterals(text string, example bool) (lines, names []string) {
	for _, l := range strings.Split(text, "\n") {
		if c := helpCodeLine(l); c != "" && (example || helpCommandLine.MatchString(l)) {
			lines = append(lines, c)
		}
	}
	for _, m := range helpFlagName.FindAllStringSubmatch(text, -1) {
		names = append(names, m[2])
	}
	names = append(names, helpEnvName.FindAllString(text, -1)...)
	names = append(names, helpFileName.FindAllString(text, -1)...)
	return lines, names
}

// helpCodeLine is line without its indentation and trailing comment; ""
// for a blank line or a comment.
func helpCodeLine(line string) string {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") {
		return ""
	}
	if i := strings.Index(line, " # "); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	return line
}

// helpKeeps says whether translation holds the command lines and names
// of its English text, each whole: a command line as a line, a name not
// as the start of a longer one (--publisher-name in
// --publisher-namespace).
func helpKeeps(translation string, lines, names []string) []string {
	var lost []string
	have := map[string]bool{}
	for _, l := range strings.Split(translation, "\n") {
		have[helpCodeLine(l)] = true
	}
	for _, l := range lines {
		if !have[l] {
			lost = append(lost, l)
		}
	}
	for _, n := range names {
		re := regexp.MustCompile(regexp.QuoteMeta(n) + `($|[^A-Za-z0-9_-])`)
		if !re.MatchString(translation) {
			lost = append(lost, n)
		}
	}
	return lost
}

// TestHelpInFrench runs `accord check --help`, `accord mla --help` and
// `accord mla accept --help` in process with ACCORD_LANG=fr and compares
// them with testdata/help, then `accord check --help` in English, which
// must be the commands' own texts again. (`accord --help` runs in
// testdata/script/help_fr.txtar: in process, cobra would add --version to
// the root and change its man page.)
func TestHelpInFrench(t *testing.T) {
	t.Cleanup(func() {
		localizeHelp(rootCmd, locale.For("en"))
		rootCmd.SetOut(nil)
		rootCmd.SetErr(nil)
	})
	help := func(lang string, args ...string) string {
		t.Helper()
		t.Setenv("ACCORD_LANG", lang)
		var out bytes.Buffer
		resetFlags(rootCmd)
		rootCmd.SetOut(&out)
		rootCmd.SetErr(&out)
		rootCmd.SetArgs(args)
		defer rootCmd.SetArgs(nil)
		if code := run(); code != exitOK {
			t.Fatalf("ACCORD_LANG=%s accord %s: exit %d\n%s", lang, strings.Join(args, " "), code, out.String())
		}
		return out.String()
	}
	fr := locale.For("fr")
	source := func(path ...string) cmdTexts {
		c := findCommand(rootCmd, path...)
		if c == nil {
			t.Fatalf("no command %v", path)
		}
		localizeHelp(rootCmd, locale.For("en"))
		return cmdTexts{c.Short, c.Long, c.Example}
	}
	check, accept := source("check"), source("mla", "accept")
	for _, tc := range []struct {
		golden string
		args   []string
		want   []string // what the output must hold
		absent []string
	}{
		{"check.fr.txt", []string{"check", "--help"},
			[]string{"Utilisation :", "Options :", "Exemples :", "aide de la commande check", "(par défaut : ", helpText(fr, check.long),
				"  # Une demande, en texte\n  accord check examples/requests/5-state-access-abroad.json\n"},
			[]string{"Usage:", "Flags:", "Examples:", "help for", "(default ", check.long}},
		{"mla.fr.txt", []string{"mla", "--help"},
			[]string{"Commandes disponibles :", helpText(fr, accept.short), `Utilisez « accord mla [command] --help » pour en savoir plus sur une commande.`},
			[]string{"Available Commands:", accept.short, "for more information"}},
		{"mla-accept.fr.txt", []string{"mla", "accept", "--help"},
			[]string{"Options globales :", helpText(fr, accept.short)},
			[]string{"Global Flags:"}},
	} {
		got := help("fr", tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("accord %s in French: no %q in\n%s", strings.Join(tc.args, " "), w, got)
			}
		}
		for _, w := range tc.absent {
			if strings.Contains(got, w) {
				t.Errorf("accord %s in French: English %q in\n%s", strings.Join(tc.args, " "), w, got)
			}
		}
		helpGolden(t, filepath.Join("testdata", "help", tc.golden), got)
	}
	// Back in English: the commands' own texts and cobra's own template.
	got := help("en", "check", "--help")
	for _, w := range []string{"Usage:", "Flags:", "Examples:", "help for check", "(default ", strings.TrimSpace(check.long), check.example} {
		if !strings.Contains(got, w) {
			t.Errorf("English check --help after French: no %q in\n%s", w, got)
		}
	}
	if rootCmd.UsageTemplate() != (&cobra.Command{}).UsageTemplate() {
		t.Error("English help after French does not use cobra's own template")
	}
}

// helpGolden compares got with the file, or rewrites it with -update-help.
func helpGolden(t *testing.T, file, got string) {
	t.Helper()
	if *updateHelp {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v; run go test ./cmd/accord -run TestHelpInFrench -update-help", err)
	}
	if got != string(want) {
		t.Errorf("%s differs; run go test ./cmd/accord -run TestHelpInFrench -update-help and review the diff\ngot:\n%s", file, got)
	}
}

// writeEnglishHelpCatalog rewrites en.help.yaml from the command tree:
// every help text maps to itself, grouped by command, leaving out the keys
// another English catalog file already has. The catalogs are embedded, so
// the test sees the new file at its next build.
func writeEnglishHelpCatalog(t *testing.T) {
	t.Helper()
	other := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(helpCatalogDir, "en*.yaml"))
	for _, f := range files {
		if filepath.Base(f) == "en.help.yaml" {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]yaml.Node
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for k := range m {
			other[k] = true
		}
	}
	doc := &yaml.Node{Kind: yaml.MappingNode}
	seen := map[string]bool{}
	group := ""
	for _, e := range helpEntries(rootCmd) {
		if seen[e.key] || other[e.key] {
			continue
		}
		seen[e.key] = true
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: e.key}
		if e.group != group {
			k.HeadComment = "# " + e.group
			group = e.group
		}
		doc.Content = append(doc.Content, k, &yaml.Node{Kind: yaml.ScalarNode, Value: e.key})
	}
	var b bytes.Buffer
	b.WriteString("# accord --help: each command's Short, Long and Example and each flag's\n" +
		"# usage, keyed by the English text as a format (% doubled, a shell's ${\n" +
		"# written %[1]s{). Written by\n" +
		"# go test ./cmd/accord -run TestHelpTranslated -update-help; translate\n" +
		"# each new key in fr.help.yaml.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(helpCatalogDir, "en.help.yaml"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
