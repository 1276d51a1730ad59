package locale

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

// English and French must translate exactly the same keys: a missing key
// would silently print English, an extra one is a typo'd key. Another
// language translates some areas; every key it has must be an English key.
func TestCatalogsComplete(t *testing.T) {
	en := embedded.keys[language.English]
	if len(en) == 0 {
		t.Fatal("English catalog is empty")
	}
	fr := embedded.keys[language.French]
	for k := range en {
		if !fr[k] {
			t.Errorf("fr: missing key %q", k)
		}
	}
	for tag, msgs := range embedded.keys {
		for k := range msgs {
			if !en[k] {
				t.Errorf("%s: key %q is not in en.yaml", tag, k)
			}
		}
	}
	// The languages Report promises have their report file, with every
	// key French's report file would need (see report's language test for
	// the keys the report really uses).
	for _, tag := range Report {
		if len(embedded.keys[tag]) == 0 {
			t.Errorf("%s: no catalog", tag)
		}
	}
}

func TestFor(t *testing.T) {
	tests := []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"", "DENY", nil, "DENY"},
		{"fr", "DENY", nil, "REFUSÉ"},
		{"fr_FR.UTF-8", "logged at index %s", []any{"7"}, "journalisée à l'index 7"},
		{"fr-CA", "pending", nil, "en attente"},
		{"C", "pending", nil, "pending"},
		{"xx-invalid-", "allow", nil, "allow"},
		{"de", "allow", nil, "allow"}, // no German catalog: English
		{"fr", "a key nobody wrote %d", []any{3}, "a key nobody wrote 3"},
		{"zh", "requesting state", nil, "请求国"},
		{"ar_EG.UTF-8", "total", nil, "المجموع"},
	}
	for _, tt := range tests {
		if got := For(tt.lang).Sprintf(tt.key, tt.args...); got != tt.want {
			t.Errorf("For(%q).Sprintf(%q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
}

// A language asked for by name must be one Accord writes; the error lists
// those it knows, and is never a silent fallback.
func TestParse(t *testing.T) {
	t.Setenv("ACCORD_LANG", "")
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "")
	tests := []struct {
		lang    string
		known   Known
		want    string // tag, or "" for an error
		wantErr string
	}{
		{"fr", CLI, "fr", ""},
		{"fr_CA.UTF-8", CLI, "fr", ""},
		{"EN", CLI, "en", ""},
		{"", CLI, "en", ""},
		{"zh", Report, "zh", ""},
		{"ar-EG", Report, "ar", ""},
		{"ru", Report, "ru", ""},
		{"zh", CLI, "", `language "zh": Accord has no translation in it; known: en (English), fr (français)`},
		{"de", Report, "", "known: en (English), fr (français), zh (中文), es (español), ar (العربية), ru (русский)"},
		{"xx", CLI, "", `language "xx"`},
		{"not a tag", CLI, "", "not a language tag; known: en (English), fr (français)"},
		{"C", CLI, "", "not a language tag"},
		{"\x00", CLI, "", "not a language tag"},
	}
	for _, tt := range tests {
		p, err := Parse(tt.lang, tt.known)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q): error %v, want one containing %q", tt.lang, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("Parse(%q): %v", tt.lang, err)
		case p.Tag().String() != tt.want:
			t.Errorf("Parse(%q) = %s, want %s", tt.lang, p.Tag(), tt.want)
		}
	}
	// A French reader reads the refusal in French.
	fr := For("fr")
	for lang, want := range map[string]string{
		"de":        `langue "de" : Accord n'a pas de traduction dans cette langue ; langues connues : en (English), fr (français)`,
		"not a tag": `langue "not a tag" : ce n'est pas une étiquette de langue ; langues connues : en (English), fr (français)`,
	} {
		if _, err := Parse(lang, CLI); Text(fr, err) != want {
			t.Errorf("Parse(%q) in French: %q, want %q", lang, Text(fr, err), want)
		}
	}
	if m := fr.Missing(); len(m) > 0 {
		t.Errorf("French lacks %q", m)
	}
	// Without --lang, the environment's language counts when it is known,
	// and English stands in for one that is not.
	t.Setenv("LANG", "fr_FR.UTF-8")
	if p, err := Parse("", CLI); err != nil || p.Tag() != language.French {
		t.Errorf("Parse with LANG=fr_FR.UTF-8 = %v, %v; want fr", p, err)
	}
	t.Setenv("LANG", "zh_CN.UTF-8")
	if p, err := Parse("", CLI); err != nil || p.Tag() != language.English {
		t.Errorf("Parse for the CLI with LANG=zh_CN.UTF-8 = %v, %v; want en", p, err)
	}
}

// Counts agree with their noun by the CLDR rules of each language, and
// numbers are grouped as each language groups them.
func TestPluralsAndNumbers(t *testing.T) {
	tests := []struct {
		lang, key string
		n         int
		want      string
	}{
		{"en", "%d days", 1, "1 day"},
		{"en", "%d days", 0, "0 days"},
		{"en", "%d days", 50000, "50,000 days"},
		{"fr", "%d days", 0, "0 jour"}, // French: 0 and 1 are singular
		{"fr", "%d days", 1, "1 jour"},
		{"fr", "%d days", 2, "2 jours"},
		{"fr", "%d log entries read.", 1, "1 entrée du journal lue."},
		{"es", "%d days", 1, "1 día"},
		{"es", "%d days", 50000, "50.000 días"},
		{"ru", "%d days", 1, "1 день"},
		{"ru", "%d days", 3, "3 дня"},
		{"ru", "%d days", 5, "5 дней"},
		{"ru", "%d days", 21, "21 день"},
		{"ru", "%d days", 12, "12 дней"},
		{"ar", "%d days", 1, "يوم واحد"},
		{"ar", "%d days", 2, "يومان"},
		{"ar", "%d days", 3, "٣ أيام"},
		{"ar", "%d days", 11, "١١ يومًا"},
		{"ar", "%d days", 100, "١٠٠ يوم"},
		{"zh", "%d days", 1, "1天"},
		{"zh", "%d days", 50000, "50,000天"},
		// The console's list caption: "1 décisions" was a defect.
		{"fr", "%d decisions on this page, newest first", 1, "1 décision sur cette page, les plus récentes d'abord"},
		{"en", "%d decisions on this page, newest first", 1, "1 decision on this page, newest first"},
		{"es", "%d decisions on this page, newest first", 1, "1 decisión en esta página, las más recientes primero"},
		{"ru", "Every entry re-read and hashed: %d entries.", 3, "Каждая запись перечитана и захеширована: 3 записи."},
		{"ru", "Every entry re-read and hashed: %d entries.", 5, "Каждая запись перечитана и захеширована: 5 записей."},
	}
	for _, tt := range tests {
		if got := For(tt.lang).Sprintf(tt.key, tt.n); got != tt.want {
			t.Errorf("%s: Sprintf(%q, %d) = %q, want %q", tt.lang, tt.key, tt.n, got, tt.want)
		}
	}
	// The median sentence counts its second argument.
	if got := For("fr").Sprintf("median time to answer an MLA case: %s (%d cases)", "2 jours", 1); !strings.HasSuffix(got, "(1 dossier)") {
		t.Errorf("fr median, 1 case: %q", got)
	}
	if got := For("en").Sprintf("median time to answer an MLA case: %s (%d cases)", "2 days", 2); !strings.HasSuffix(got, "(2 cases)") {
		t.Errorf("en median, 2 cases: %q", got)
	}
	numbers := map[string]string{"en": "50,000", "fr": "50\u00a0000", "es": "50.000", "ru": "50\u00a0000", "zh": "50,000", "ar": "٥٠٬٠٠٠"}
	for lang, want := range numbers {
		if got := For(lang).Number(50000); got != want {
			t.Errorf("%s: Number(50000) = %q, want %q", lang, got, want)
		}
	}
}

func TestDatesAndDurations(t *testing.T) {
	day := time.Date(2026, 1, 1, 23, 0, 0, 0, time.FixedZone("UTC+2", 2*3600)) // 21:00 UTC
	dates := map[string]string{
		"en": "1 January 2026", "fr": "1er janvier 2026", "zh": "2026年1月1日",
		"es": "1 de enero de 2026", "ru": "1 января 2026 г.", "ar": "١ يناير ٢٠٢٦",
	}
	for lang, want := range dates {
		if got := For(lang).Date(day); got != want {
			t.Errorf("%s: Date = %q, want %q", lang, got, want)
		}
	}
	tests := []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", 0, "less than a second"},
		{"en", 400 * time.Millisecond, "less than a second"},
		{"en", time.Second, "1 second"},
		{"en", 90 * time.Second, "1 minute 30 seconds"},
		{"en", 2 * time.Hour, "2 hours"},
		{"en", 36 * time.Hour, "1 day 12 hours"},
		{"en", 24*time.Hour - time.Second, "24 hours"},
		{"en", 7 * 24 * time.Hour, "7 days"},
		{"en", -time.Minute, "1 minute"},
		{"fr", 26 * time.Hour, "1 jour 2 heures"},
		{"zh", 26 * time.Hour, "1天2小时"},
		{"ru", 5 * time.Minute, "5 минут"},
		{"ar", 48 * time.Hour, "يومان"},
		{"ar", 25 * time.Hour, "يوم واحد وساعة واحدة"},
	}
	for _, tt := range tests {
		if got := For(tt.lang).Duration(tt.d); got != tt.want {
			t.Errorf("%s: Duration(%v) = %q, want %q", tt.lang, tt.d, got, tt.want)
		}
	}
	lists := map[string]string{"en": "critical and high", "fr": "critical et high", "zh": "critical和high", "ar": "critical وhigh"}
	for lang, want := range lists {
		if got := For(lang).List([]string{"critical", "high"}); got != want {
			t.Errorf("%s: List = %q, want %q", lang, got, want)
		}
	}
	if got := For("en").List([]string{"a", "b", "c"}); got != "a, b and c" {
		t.Errorf("List of three = %q", got)
	}
}

func TestDir(t *testing.T) {
	for lang, want := range map[string]string{"ar": "rtl", "en": "ltr", "fr": "ltr", "zh": "ltr", "ru": "ltr"} {
		if got := For(lang).Dir(); got != want {
			t.Errorf("%s: Dir = %q, want %q", lang, got, want)
		}
	}
}

// A key the language does not translate is remembered, so that a test can
// hold a part of Accord to a language.
func TestMissing(t *testing.T) {
	p := For("zh")
	p.Sprintf("total")
	p.Sprintf("DENY") // a CLI message: not in the report catalog
	if got := p.Missing(); len(got) != 1 || got[0] != "DENY" {
		t.Errorf("Missing = %q, want [DENY]", got)
	}
}

func TestLoadErrors(t *testing.T) {
	en := &fstest.MapFile{Data: []byte(`"a": "a"`)}
	tests := map[string]fstest.MapFS{
		"no English":            {"catalogs/fr.yaml": {Data: []byte(`"a": "b"`)}},
		"bad tag":               {"catalogs/en.yaml": en, "catalogs/not a tag.yaml": {Data: []byte(`"a": "b"`)}},
		"not a mapping":         {"catalogs/en.yaml": {Data: []byte(`- a`)}},
		"plural without other":  {"catalogs/en.yaml": {Data: []byte("\"%d a\":\n  one: \"%d a\"\n")}},
		"not a plural form":     {"catalogs/en.yaml": {Data: []byte("\"%d a\":\n  single: \"%d a\"\n  other: \"%d as\"\n")}},
		"arg not a position":    {"catalogs/en.yaml": {Data: []byte("\"%d a\":\n  arg: 0\n  other: \"%d as\"\n")}},
		"form not a string":     {"catalogs/en.yaml": {Data: []byte("\"%d a\":\n  other: [x]\n")}},
		"value a list":          {"catalogs/en.yaml": {Data: []byte("\"a\": [x]\n")}},
		"key in two area files": {"catalogs/en.yaml": en, "catalogs/en.report.yaml": {Data: []byte(`"a": "a"`)}},
	}
	for name, fsys := range tests {
		if _, err := load(fsys); err == nil {
			t.Errorf("%s: load succeeded, want error", name)
		}
	}
	// A translator adds a language with no code change.
	b, err := load(fstest.MapFS{
		"catalogs/en.yaml":        {Data: []byte(`"deny": "deny"`)},
		"catalogs/es.report.yaml": {Data: []byte(`"deny": "denegado"`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.tags) != 2 || b.tags[1] != language.Spanish || !b.keys[language.Spanish]["deny"] {
		t.Errorf("tags = %v, keys %v; want [en es] with es's report key", b.tags, b.keys)
	}
}

// FuzzLoad: a catalog file never makes load panic; it loads or is refused.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`"a": "a"`))
	f.Add([]byte("\"%d a\":\n  arg: 2\n  one: \"%d a\"\n  =0: \"none\"\n  other: \"%d as\"\n"))
	f.Add([]byte("\"%d a\":\n  other: {x: y}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := load(fstest.MapFS{"catalogs/en.yaml": {Data: data}})
		if err == nil && len(b.keys[language.English]) == 0 {
			t.Fatal("loaded a catalog with no key")
		}
	})
}

// FuzzParse: a --lang value never makes Parse panic, and what it accepts
// is one of the known languages.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"fr", "fr_FR.UTF-8", "zh-Hant-TW", "x-klingon", "", "C", "@", "und"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lang string) {
		p, err := Parse(lang, Report)
		if err != nil {
			return
		}
		if _, ok := Report.match(p.Tag()); !ok {
			t.Fatalf("Parse(%q) = %s, not a known language", lang, p.Tag())
		}
	})
}

// TestErrorf: an *Error reads in English through Error(), in the reader's
// language through Text, translates the errors it wraps, and keeps the
// chain for errors.Is and errors.As.
func TestErrorf(t *testing.T) {
	base := errors.New("disk full")
	inner := Errorf("load registry: %v", base)
	outer := Errorf("load registry: %v", inner)
	if got, want := outer.Error(), "load registry: load registry: disk full"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(outer, base) {
		t.Error("errors.Is lost the wrapped error")
	}
	var e *Error
	if !errors.As(outer, &e) || e.Key() != "load registry: %v" {
		t.Errorf("errors.As = %v", e)
	}
	fr := For("fr")
	got := Text(fr, outer)
	if got == outer.Error() {
		t.Errorf("Text(fr) = %q: not translated", got)
	}
	if got != "chargement du registre : chargement du registre : disk full" {
		t.Errorf("Text(fr) = %q, want both layers in French around the library's text", got)
	}
	if m := fr.Missing(); len(m) > 0 {
		t.Errorf("fr lacks %q", m)
	}
	// An fmt.Errorf wrapper stays as written: its prefix is not a key.
	wrapped := fmt.Errorf("context: %w", inner)
	if got := Text(fr, wrapped); got != wrapped.Error() {
		t.Errorf("Text(fr, fmt wrapper) = %q, want the English %q", got, wrapped.Error())
	}
	if Text(fr, nil) != "" {
		t.Error("Text(nil) is not empty")
	}
}

// TestCountedNounsHavePlurals: an English or French message that puts a
// count before a plural noun ("%d entries") has plural forms, so that a
// count of one reads "1 entry", « 1 entrée » — not "1 entries".
func TestCountedNounsHavePlurals(t *testing.T) {
	counted := regexp.MustCompile(`%(\[\d+\])?d [a-z]+s\b`)
	for _, lang := range []string{"en", "fr"} {
		files, err := fs.Glob(catalogFS, "catalogs/"+lang+"*.yaml")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			raw, err := fs.ReadFile(catalogFS, f)
			if err != nil {
				t.Fatal(err)
			}
			var msgs map[string]yaml.Node
			if err := yaml.Unmarshal(raw, &msgs); err != nil {
				t.Fatal(err)
			}
			for k, n := range msgs {
				if counted.MatchString(k) && n.Kind == yaml.ScalarNode {
					t.Errorf("%s:%d: %q counts a plural noun but has no plural forms (one:, other:)", f, n.Line, k)
				}
			}
		}
	}
}
