package locale

import (
	"testing"
	"testing/fstest"

	"golang.org/x/text/language"
)

// Every catalog must translate exactly the English keys: a missing key
// would silently print English, an extra one is a typo'd key.
func TestCatalogsComplete(t *testing.T) {
	en := embedded.keys[language.English]
	if len(en) == 0 {
		t.Fatal("English catalog is empty")
	}
	for tag, msgs := range embedded.keys {
		for k := range en {
			if _, ok := msgs[k]; !ok {
				t.Errorf("%s: missing key %q", tag, k)
			}
		}
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
}
