// Package locale holds Accord's message catalogs and picks the one a user
// reads. Every sentence Accord prints for people goes through a Printer,
// which also writes numbers, counts, durations and dates the way the
// reader's language does (CLDR rules, through golang.org/x/text).
//
// Catalogs are YAML files under catalogs/, named by BCP 47 tag: en.yaml,
// fr.yaml, and for a part of Accord translated on its own,
// <tag>.<area>.yaml (zh.report.yaml). Each maps an English message key, a
// fmt format string, to its translation: a string, or for a message that
// counts something, its CLDR plural forms:
//
//	"%d cases":
//	  one: "%d case"
//	  other: "%d cases"
//
// The forms are the language's CLDR categories (zero, one, two, few, many,
// other; "=N" for an exact number); `arg: N` names the argument that
// selects them when it is not the first. English and French translate
// every key (tests hold them to it); another language translates the areas
// it has files for, and a key it lacks prints in English.
//
// A language given on purpose (--lang, ?lang=) must be one Accord knows:
// Parse refuses any other, naming the known ones. A language taken from
// the environment (For, FromEnv) falls back to English, as POSIX programs
// do.
//
// Promises: a Printer never panics on an argument; numbers are grouped as
// the language groups them (50 000 in French, 50,000 in English); a
// message with a count agrees with it in every language ("1 case",
// "2 cases"; «1 dossier», «2 dossiers»); dates in prose are written out
// (1 January 2026, 1 janvier 2026, 2026年1月1日); durations are words, never
// Go's "1h0m0s".
package locale

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
	"golang.org/x/text/number"
	"gopkg.in/yaml.v3"
)

//go:embed catalogs/*.yaml
var catalogFS embed.FS

// bundle is the parsed set of embedded catalogs.
type bundle struct {
	cat     *catalog.Builder
	tags    []language.Tag
	matcher language.Matcher
	// keys holds, per language, every key its catalogs translate.
	keys map[language.Tag]map[string]bool
}

var embedded = mustLoad(catalogFS)

// mustLoad parses the embedded catalogs. They are part of the binary and
// covered by tests, so a failure is a build defect, not bad input.
func mustLoad(fsys fs.FS) *bundle {
	b, err := load(fsys)
	if err != nil {
		panic(fmt.Sprintf("locale: embedded catalogs: %v", err))
	}
	return b
}

// pluralForms are the selectors a plural message may use, in the order
// they are tried: exact numbers first, then the CLDR categories.
var pluralForms = []string{"zero", "one", "two", "few", "many", "other"}

// load reads every catalogs/*.yaml file of fsys. English must be present.
func load(fsys fs.FS) (*bundle, error) {
	files, err := fs.Glob(fsys, "catalogs/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	b := &bundle{cat: catalog.NewBuilder(catalog.Fallback(language.English)), keys: map[language.Tag]map[string]bool{}}
	// English first, so the matcher falls back to it.
	b.tags = append(b.tags, language.English)
	for _, f := range files {
		name, _, _ := strings.Cut(strings.TrimSuffix(path.Base(f), ".yaml"), ".")
		tag, err := language.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: file name is not a language tag: %w", f, err)
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var msgs map[string]yaml.Node
		if err := yaml.Unmarshal(raw, &msgs); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", f, err)
		}
		if b.keys[tag] == nil {
			b.keys[tag] = map[string]bool{}
		}
		for k, node := range msgs {
			msg, err := compile(&node)
			if err != nil {
				return nil, fmt.Errorf("catalog %s:%d: key %q: %w", f, node.Line, k, err)
			}
			if b.keys[tag][k] {
				return nil, fmt.Errorf("catalog %s:%d: key %q is translated in another file too", f, node.Line, k)
			}
			if err := b.cat.Set(tag, k, msg); err != nil {
				return nil, fmt.Errorf("catalog %s:%d: key %q: %w", f, node.Line, k, err)
			}
			b.keys[tag][k] = true
		}
		if tag != language.English && !slices.Contains(b.tags, tag) {
			b.tags = append(b.tags, tag)
		}
	}
	if len(b.keys[language.English]) == 0 {
		return nil, fmt.Errorf("no catalogs/en.yaml")
	}
	b.matcher = language.NewMatcher(b.tags)
	return b, nil
}

// compile turns one catalog value into a message: a string, or a mapping
// of plural forms (and arg).
func compile(n *yaml.Node) (catalog.Message, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return catalog.String(n.Value), nil
	case yaml.MappingNode:
	default:
		return nil, fmt.Errorf("want a string or a mapping of plural forms")
	}
	arg := 1
	forms := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		if k == "arg" {
			if _, err := fmt.Sscanf(v.Value, "%d", &arg); err != nil || arg < 1 {
				return nil, fmt.Errorf("line %d: arg: want the position of the counted argument (1, 2, ...)", v.Line)
			}
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: form %s: want a string", v.Line, k)
		}
		if !strings.HasPrefix(k, "=") && !slices.Contains(pluralForms, k) {
			return nil, fmt.Errorf("line %d: %q is not a plural form (%s, or =N)", v.Line, k, strings.Join(pluralForms, ", "))
		}
		forms[k] = v.Value
	}
	if _, ok := forms["other"]; !ok {
		return nil, fmt.Errorf("line %d: a plural message needs its other form", n.Line)
	}
	var cases []any
	var exact []string
	for k := range forms {
		if strings.HasPrefix(k, "=") {
			exact = append(exact, k)
		}
	}
	sort.Strings(exact)
	for _, k := range exact {
		cases = append(cases, k, forms[k])
	}
	for _, k := range pluralForms {
		if v, ok := forms[k]; ok {
			cases = append(cases, k, v)
		}
	}
	return plural.Selectf(arg, "%d", cases...), nil
}

// Printer formats messages in one language.
type Printer struct {
	tag language.Tag
	p   *message.Printer

	mu      sync.Mutex
	missing map[string]bool
}

func newPrinter(tag language.Tag) *Printer {
	return &Printer{tag: tag, p: message.NewPrinter(tag, message.Catalog(embedded.cat))}
}

// For returns a Printer for the language lang names ("fr", "fr-CA",
// "en_US.UTF-8"), as taken from the environment: an empty or unknown
// language gives English. For a language the user asked for by name, use
// Parse.
func For(lang string) *Printer {
	tag := language.English
	if lang = normalize(lang); lang != "" {
		if t, err := language.Parse(lang); err == nil {
			_, i, conf := embedded.matcher.Match(t)
			if conf != language.No {
				tag = embedded.tags[i]
			}
		}
	}
	return newPrinter(tag)
}

// Known lists the languages one part of Accord is complete in.
type Known []language.Tag

// CLI is what the command-line output and its errors are written in.
var CLI = Known{language.English, language.French}

// Report is what the transparency report is written in: the six official
// languages of the United Nations.
var Report = Known{language.English, language.French, language.Chinese, language.Spanish, language.Arabic, language.Russian}

// String lists the languages as "en (English), fr (français)".
func (k Known) String() string {
	parts := make([]string, len(k))
	for i, t := range k {
		parts[i] = t.String() + " (" + selfName(t) + ")"
	}
	return strings.Join(parts, ", ")
}

// selfName is a language's name in itself.
func selfName(t language.Tag) string {
	switch b, _ := t.Base(); b.String() {
	case "en":
		return "English"
	case "fr":
		return "français"
	case "zh":
		return "中文"
	case "es":
		return "español"
	case "ar":
		return "العربية"
	case "ru":
		return "русский"
	}
	return t.String()
}

// Parse returns a Printer for lang, a language the user named on purpose
// (--lang, ?lang=): it must be one of known (a regional variant such as
// fr-CA or fr_FR.UTF-8 counts as its language). Empty gives the language of
// the environment (FromEnv) when it is one of known, else English. Any
// other is an error that lists the known languages.
func Parse(lang string, known Known) (*Printer, error) {
	if strings.TrimSpace(lang) == "" {
		env := For(FromEnv())
		if _, ok := known.match(env.tag); ok {
			return env, nil
		}
		return newPrinter(language.English), nil
	}
	n := normalize(lang)
	t, err := language.Parse(n)
	if n == "" || err != nil {
		return nil, Errorf("language %q: not a language tag; known: %s", lang, known)
	}
	if k, ok := known.match(t); ok {
		return newPrinter(k), nil
	}
	return nil, Errorf("language %q: Accord has no translation in it; known: %s", lang, known)
}

// match returns the known language that t is a variant of (the same base
// language: fr-CA is fr).
func (k Known) match(t language.Tag) (language.Tag, bool) {
	b, _ := t.Base()
	for _, x := range k {
		if xb, _ := x.Base(); xb == b {
			return x, true
		}
	}
	return language.Tag{}, false
}

// normalize turns a POSIX locale (fr_FR.UTF-8) into a BCP 47 tag (fr-FR).
func normalize(lang string) string {
	lang = strings.TrimSpace(lang)
	if i := strings.IndexAny(lang, ".@"); i >= 0 {
		lang = lang[:i]
	}
	if lang == "C" || lang == "POSIX" {
		return ""
	}
	return strings.ReplaceAll(lang, "_", "-")
}

// FromEnv returns the language the environment asks for: ACCORD_LANG, then
// LC_ALL, LC_MESSAGES and LANG, as POSIX programs read them.
func FromEnv() string {
	for _, v := range []string{"ACCORD_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return ""
}

// Tag is the language this Printer writes in.
func (p *Printer) Tag() language.Tag { return p.tag }

// Dir is the direction the language is written in: "rtl" for Arabic,
// Hebrew, Persian and others in right-to-left scripts, else "ltr". For
// HTML's dir attribute.
func (p *Printer) Dir() string {
	s, _ := p.tag.Script()
	switch s.String() {
	case "Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg", "Mand", "Samr":
		return "rtl"
	}
	return "ltr"
}

// Sprintf formats the message whose English key is key. Integer arguments
// of %d are grouped as the language writes numbers; a plural message picks
// the form its count asks for. A key the language does not translate
// prints in English, and is remembered (see Missing).
func (p *Printer) Sprintf(key string, args ...any) string {
	p.note(key)
	return p.p.Sprintf(key, args...)
}

// note remembers key when this language does not translate it.
func (p *Printer) note(key string) {
	if embedded.keys[p.tag][key] {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.missing == nil {
		p.missing = map[string]bool{}
	}
	p.missing[key] = true
}

// Missing lists, sorted, the keys this Printer was asked for that its
// language does not translate (they printed in English). Tests use it to
// hold a part of Accord to a language.
func (p *Printer) Missing() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.missing))
	for k := range p.missing {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Number writes an integer as the language does: 50,000 in English,
// 50 000 in French, ٥٠٬٠٠٠ in Arabic.
func (p *Printer) Number(n int64) string {
	return p.p.Sprint(number.Decimal(n))
}

// Date writes the day of t (in UTC) in prose, in the language's digits:
// 1 January 2026, 1er janvier 2026, 2026年1月1日, ١ يناير ٢٠٢٦.
func (p *Printer) Date(t time.Time) string {
	t = t.UTC()
	digits := func(n int) string { return p.p.Sprint(number.Decimal(n, number.NoSeparator())) }
	day := digits(t.Day())
	if t.Day() == 1 {
		day = p.Sprintf("date: day 1") // French writes 1er
	}
	return p.Sprintf("date: %[1]s %[2]s %[3]s (day, month name, year; %[4]s is the month's number)",
		day, p.Sprintf(t.Month().String()), digits(t.Year()), digits(int(t.Month())))
}

// DateTime writes t (in UTC) in prose to the minute: 1 January 2026 at
// 09:30 UTC, 1er janvier 2026 à 09:30 UTC.
func (p *Printer) DateTime(t time.Time) string {
	return p.Sprintf("date and time: %[1]s at %[2]s UTC", p.Date(t), t.UTC().Format("15:04"))
}

// Duration writes d in words, in its two largest units, the second
// rounded: "3 days 4 hours", "2 minutes", "1 hour 30 minutes"; "less than
// a second" below one second.
func (p *Printer) Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Second {
		return p.Sprintf("less than a second")
	}
	units := []struct {
		size time.Duration
		key  string
	}{
		{24 * time.Hour, "%d days"},
		{time.Hour, "%d hours"},
		{time.Minute, "%d minutes"},
		{time.Second, "%d seconds"},
	}
	i := 0
	for d < units[i].size {
		i++
	}
	if i == len(units)-1 {
		return p.Sprintf(units[i].key, int64((d+time.Second/2)/time.Second))
	}
	n1 := d / units[i].size
	next := units[i+1].size
	n2 := (d - n1*units[i].size + next/2) / next
	if n2*next == units[i].size {
		n1, n2 = n1+1, 0
	}
	first := p.Sprintf(units[i].key, int64(n1))
	if n2 == 0 {
		return first
	}
	return p.Sprintf("duration: %[1]s %[2]s", first, p.Sprintf(units[i+1].key, int64(n2)))
}

// List joins items as the language lists them: "a, b and c",
// «a, b et c», "a、b和c".
func (p *Printer) List(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return p.Sprintf("list: %[1]s and %[2]s", strings.Join(items[:len(items)-1], p.Sprintf("list separator: , ")), items[len(items)-1])
}

// Sentences joins sentences as the language does: with a space, or
// nothing in Chinese.
func (p *Printer) Sentences(s ...string) string {
	return strings.Join(s, p.Sprintf("sentence separator: space"))
}

// Languages lists the languages that have a catalog, English first.
func Languages() []language.Tag {
	return append([]language.Tag(nil), embedded.tags...)
}
