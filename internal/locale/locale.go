// Package locale holds Accord's message catalogs and picks the one a user
// reads. Every sentence Accord prints for people goes through a Printer.
//
// Catalogs are YAML files under catalogs/, one per language, named by BCP 47
// tag (en.yaml, fr.yaml). Each maps an English message key, a fmt format
// string, to its translation. A translator adds zh.yaml, es.yaml, ar.yaml or
// ru.yaml with the same keys; no code changes. English is the fallback for a
// missing language or key.
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

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
	"gopkg.in/yaml.v3"
)

//go:embed catalogs/*.yaml
var catalogFS embed.FS

// bundle is the parsed set of embedded catalogs.
type bundle struct {
	cat     *catalog.Builder
	tags    []language.Tag
	matcher language.Matcher
	keys    map[language.Tag]map[string]string
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

// load reads every catalogs/*.yaml file of fsys. English must be present.
func load(fsys fs.FS) (*bundle, error) {
	files, err := fs.Glob(fsys, "catalogs/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	b := &bundle{cat: catalog.NewBuilder(catalog.Fallback(language.English)), keys: map[language.Tag]map[string]string{}}
	// English first, so the matcher falls back to it.
	b.tags = append(b.tags, language.English)
	for _, f := range files {
		// <tag>.yaml, or <tag>.<area>.yaml for a part of Accord translated
		// on its own (zh.console.yaml).
		name, _, _ := strings.Cut(strings.TrimSuffix(path.Base(f), ".yaml"), ".")
		tag, err := language.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: file name is not a language tag: %w", f, err)
		}
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var msgs map[string]string
		if err := yaml.Unmarshal(raw, &msgs); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", f, err)
		}
		if b.keys[tag] == nil {
			b.keys[tag] = map[string]string{}
		}
		for k, v := range msgs {
			if _, dup := b.keys[tag][k]; dup {
				return nil, fmt.Errorf("catalog %s: key %q is translated in another file too", f, k)
			}
			if err := b.cat.SetString(tag, k, v); err != nil {
				return nil, fmt.Errorf("catalog %s: key %q: %w", f, k, err)
			}
			b.keys[tag][k] = v
		}
		if tag != language.English && !slices.Contains(b.tags, tag) {
			b.tags = append(b.tags, tag)
		}
	}
	if _, ok := b.keys[language.English]; !ok {
		return nil, fmt.Errorf("no catalogs/en.yaml")
	}
	b.matcher = language.NewMatcher(b.tags)
	return b, nil
}

// Printer formats messages in one language.
type Printer struct {
	tag language.Tag
	p   *message.Printer
}

// For returns a Printer for the language lang names ("fr", "fr-CA",
// "en_US.UTF-8"). An empty or unknown language gives English.
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
	return &Printer{tag: tag, p: message.NewPrinter(tag, message.Catalog(embedded.cat))}
}

// normalize turns a POSIX locale (fr_FR.UTF-8) into a BCP 47 tag (fr-FR).
func normalize(lang string) string {
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

// Sprintf formats the message whose English key is key.
func (p *Printer) Sprintf(key string, args ...any) string {
	return p.p.Sprintf(key, args...)
}

// Languages lists the languages that have a catalog, English first.
func Languages() []language.Tag {
	return append([]language.Tag(nil), embedded.tags...)
}
