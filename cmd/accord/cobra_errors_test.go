package main

import (
	"errors"
	"testing"

	"github.com/accord-dev/accord/internal/locale"
)

// TestCommandLineErrorsInFrench: cobra's and pflag's errors about the
// command line keep their English text byte for byte and read in French
// for a French user; any other error is left as it is.
func TestCommandLineErrorsInFrench(t *testing.T) {
	tests := []struct{ en, fr string }{
		{"unknown flag: --nope", "option inconnue : --nope"},
		{"unknown shorthand flag: 'Z' in -Z", "option courte inconnue : « Z » dans -Z"},
		{"flag needs an argument: --format", "l'option attend une valeur : --format"},
		{"flag needs an argument: 'o' in -o", "l'option attend une valeur : « o » dans -o"},
		{"bad flag syntax: ---x", "syntaxe d'option incorrecte : ---x"},
		{`invalid argument "abc" for "--sample-every" flag: strconv.ParseInt: parsing "abc": invalid syntax`,
			`valeur "abc" invalide pour l'option "--sample-every" : strconv.ParseInt: parsing "abc": invalid syntax`},
		{"requires at least 1 arg(s), only received 0", "attend au moins 1 argument(s), n'en a reçu que 0"},
		{"accepts at most 2 arg(s), received 3", "accepte au plus 2 argument(s), en a reçu 3"},
		{"accepts 1 arg(s), received 0", "attend 1 argument(s), en a reçu 0"},
		{"accepts between 1 and 2 arg(s), received 5", "attend entre 1 et 2 arguments, en a reçu 5"},
		{`required flag(s) "data", "to" not set`, `option(s) obligatoire(s) "data", "to" absente(s)`},
		{`unknown command "nope" for "accord"`, `commande inconnue "nope" pour "accord"`},
		{"unknown command \"chek\" for \"accord\"\n\nDid you mean this?\n\tcheck\n",
			"commande inconnue \"chek\" pour \"accord\"\n\nVouliez-vous dire :\n\tcheck\n"},
	}
	fr := locale.For("fr")
	for _, tt := range tests {
		err := commandLineError(errors.New(tt.en))
		if got := err.Error(); got != tt.en {
			t.Errorf("English changed:\n got %q\nwant %q", got, tt.en)
		}
		if got := locale.Text(fr, err); got != tt.fr {
			t.Errorf("%q in French:\n got %q\nwant %q", tt.en, got, tt.fr)
		}
	}
	if m := fr.Missing(); len(m) > 0 {
		t.Errorf("French lacks %q", m)
	}
	other := errors.New("something else")
	if commandLineError(other) != other {
		t.Error("an error that is not about the command line was changed")
	}
	if commandLineError(nil) != nil {
		t.Error("nil became an error")
	}
}
