package locale

import (
	"testing"
	"testing/fstest"

	"golang.org/x/text/language"
)

// English and French must translate exactly the same keys: a missing key
// would silently print English, an extra one is a typo'd key. Another
// language translates some areas (zh.console.yaml); every key it has must
// be an English key.
func TestCatalogsComplete(t *testing.T) {
	en := embedded.keys[language.English]
	if len(en) == 0 {
		t.Fatal("English catalog is empty")
	}
	for k := range en {
		if _, ok := embedded.keys[language.French][k]; !ok {
			t.Errorf("fr: missing key %q", k)
		}
	}
	for tag, msgs := range embedded.keys {
		for k := range msgs {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: key %q is not in en.yaml", tag, k)
			}
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
		{"fr_FR.UTF-8", "logged at index %d", []any{7}, "journalisée à l'index 7"},
		{"fr-CA", "pending", nil, "en attente"},
		{"C", "pending", nil, "pending"},
		{"xx-invalid-", "allow", nil, "allow"},
		{"de", "allow", nil, "allow"}, // no German catalog: English
		{"fr", "a key nobody wrote %d", []any{3}, "a key nobody wrote 3"},
	}
	for _, tt := range tests {
		if got := For(tt.lang).Sprintf(tt.key, tt.args...); got != tt.want {
			t.Errorf("For(%q).Sprintf(%q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := map[string]fstest.MapFS{
		"no English":    {"catalogs/fr.yaml": {Data: []byte(`"a": "b"`)}},
		"bad tag":       {"catalogs/en.yaml": {Data: []byte(`"a": "a"`)}, "catalogs/not a tag.yaml": {Data: []byte(`"a": "b"`)}},
		"not a mapping": {"catalogs/en.yaml": {Data: []byte(`- a`)}},
		"a key in two files": {"catalogs/en.yaml": {Data: []byte(`"a": "a"`)},
			"catalogs/zh.console.yaml": {Data: []byte(`"a": "甲"`)}, "catalogs/zh.report.yaml": {Data: []byte(`"a": "乙"`)}},
	}
	for name, fsys := range tests {
		if _, err := load(fsys); err == nil {
			t.Errorf("%s: load succeeded, want error", name)
		}
	}
	// A translator adds a language with no code change.
	b, err := load(fstest.MapFS{
		"catalogs/en.yaml": {Data: []byte(`"deny": "deny"`)},
		"catalogs/es.yaml": {Data: []byte(`"deny": "denegado"`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.tags) != 2 || b.tags[1] != language.Spanish {
		t.Errorf("tags = %v, want [en es]", b.tags)
	}
	// An area file (<tag>.<area>.yaml) adds keys to its language.
	b, err = load(fstest.MapFS{
		"catalogs/en.yaml":         {Data: []byte(`{"deny": "deny", "Sign in": "Sign in"}`)},
		"catalogs/es.yaml":         {Data: []byte(`"deny": "denegado"`)},
		"catalogs/es.console.yaml": {Data: []byte(`"Sign in": "Iniciar sesión"`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.tags) != 2 || len(b.keys[language.Spanish]) != 2 {
		t.Errorf("tags = %v, want [en es]", b.tags)
	}
}
