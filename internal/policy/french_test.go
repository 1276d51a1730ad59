package policy

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/locale"
)

// TestBundledPacksFrench evaluates every case of the bundled packs' test
// files in English and in French: the outcome, the rules and the
// requirements are the same, every rule that fired has a French message
// that rendered (no fallback to English, no rendering error), and
// obligations carry the same text as their reasons.
func TestBundledPacksFrench(t *testing.T) {
	packs, reg, packsFS := bundledPacks(t)
	eng, err := Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range packs {
		for _, r := range pk.Rules {
			if !hasLanguage(r, "fr") {
				t.Errorf("%s: rule %s has no French message", r.Pos, r.ID)
			}
		}
		data, err := fs.ReadFile(packsFS, pk.Name+"_test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		tf, err := ParseTestFile(pk.Name+"_test.yaml", data, reg)
		if err != nil {
			t.Fatal(err)
		}
		fired := map[string]bool{}
		for _, tc := range tf.Cases {
			in := &Input{Request: tc.Request, History: tc.History, Authorized: tc.Authorized}
			opts := Options{Packs: []string{pk.Name}}
			en := eng.Evaluate(in, opts)
			opts.Lang = "fr"
			fr := eng.Evaluate(in, opts)
			if fr.Outcome != en.Outcome || len(fr.Reasons) != len(en.Reasons) || len(fr.Requires) != len(en.Requires) {
				t.Errorf("%s:%d %s: French decision %s/%d reasons differs from English %s/%d", tf.Path, tc.Line, tc.Name, fr.Outcome, len(fr.Reasons), en.Outcome, len(en.Reasons))
				continue
			}
			for i, r := range fr.Reasons {
				fired[r.Rule] = true
				e := en.Reasons[i]
				switch {
				case r.Rule != e.Rule:
					t.Errorf("%s:%d: reason %d is %s in French, %s in English", tf.Path, tc.Line, i, r.Rule, e.Rule)
				case r.Message == e.Message:
					t.Errorf("%s:%d: rule %s: the French message is the English one: %q", tf.Path, tc.Line, r.Rule, r.Message)
				case strings.Contains(r.Message, "could not be") || strings.Contains(r.Message, " fired ("):
					t.Errorf("%s:%d: rule %s: %s", tf.Path, tc.Line, r.Rule, r.Message)
				}
			}
			for _, o := range fr.Obligations {
				if strings.Contains(o.Message, "Keep") || strings.Contains(o.Message, "Record") {
					t.Errorf("%s:%d: obligation %s in English: %q", tf.Path, tc.Line, o.Rule, o.Message)
				}
			}
		}
		for _, r := range pk.Rules {
			if !fired[r.ID] {
				t.Errorf("rule %s fires in no case: its French message is untested", r.ID)
			}
		}
	}
}

// TestCaseFailureInFrench: a failed case's Failure (the JSON output's)
// stays English; FailureText writes it in French for accord packs test.
func TestCaseFailureInFrench(t *testing.T) {
	tests := []struct {
		name   string
		res    CaseResult
		en, fr string
	}{
		{"passed", CaseResult{WantOutcome: "allow", GotOutcome: "allow", WantRules: []string{"a"}, GotRules: []string{"a"}}, "", ""},
		{"outcome", CaseResult{WantOutcome: "allow", GotOutcome: "deny", GotRules: []string{}},
			"outcome deny, want allow",
			"issue « deny », attendue « allow »"},
		{"rules", CaseResult{WantOutcome: "pending", GotOutcome: "pending", WantRules: []string{"r-b", "r-a"}, GotRules: []string{"r-c"}},
			"did not fire: r-a, r-b; fired unexpectedly: r-c",
			"règles non déclenchées : r-a, r-b ; règles déclenchées sans être attendues : r-c"},
		{"everything", CaseResult{WantOutcome: "allow", GotOutcome: "pending", WantRules: []string{"r-a"}, GotRules: []string{"r-a", "r-d"}},
			"outcome pending, want allow; fired unexpectedly: r-d",
			"issue « pending », attendue « allow » ; règles déclenchées sans être attendues : r-d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.res
			r.failure = compareCase(r)
			r.Failure = r.failure.Text(nil)
			fr := locale.For("fr")
			if r.Failure != tt.en {
				t.Errorf("English\n got %s\nwant %s", r.Failure, tt.en)
			}
			if got := r.FailureText(fr); got != tt.fr {
				t.Errorf("French\n got %s\nwant %s", got, tt.fr)
			}
			if m := fr.Missing(); len(m) > 0 {
				t.Errorf("French lacks %q", m)
			}
		})
	}
}
