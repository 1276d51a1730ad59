package locale

import (
	"errors"
	"io/fs"
	"testing"
)

// TestJoin holds Join to errors.Join's text and chain, with each error
// written in the reader's language.
func TestJoin(t *testing.T) {
	a := Errorf("load pack %s: %v", "p.yaml", fs.ErrNotExist)
	b := errors.New("a library's message")
	for _, tc := range []struct {
		name string
		errs []error
		fr   string
	}{
		{"none", nil, ""},
		{"only nils", []error{nil, nil}, ""},
		{"one", []error{a}, "chargement du paquet p.yaml : file does not exist"},
		{"two and a nil", []error{a, nil, b}, "chargement du paquet p.yaml : file does not exist\na library's message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Join(tc.errs...)
			want := errors.Join(tc.errs...)
			if (got == nil) != (want == nil) {
				t.Fatalf("Join = %v, errors.Join = %v", got, want)
			}
			if got == nil {
				return
			}
			if got.Error() != want.Error() {
				t.Errorf("Error() = %q, want errors.Join's %q", got.Error(), want.Error())
			}
			p := For("fr")
			if text := Text(p, got); text != tc.fr {
				t.Errorf("Text = %q, want %q", text, tc.fr)
			}
			if m := p.Missing(); len(m) > 0 {
				t.Errorf("missing French: %q", m)
			}
			for _, err := range tc.errs {
				if err != nil && !errors.Is(got, err) {
					t.Errorf("errors.Is(Join, %v) = false", err)
				}
			}
		})
	}
	if !errors.Is(Join(a), fs.ErrNotExist) {
		t.Error("Join does not reach the errors its errors wrap")
	}
}
