package policy

import (
	"io/fs"
	"strings"
	"testing"
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
