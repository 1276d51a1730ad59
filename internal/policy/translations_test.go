package policy

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestTranslations checks that Options.Lang picks a rule's translation:
// the exact tag first, then the base language, else the English message;
// a translation that fails to render falls back to English.
func TestTranslations(t *testing.T) {
	eng := loadDir(t, "translations")
	in := &Input{Request: req(nil)}
	tests := []struct {
		lang string
		want map[string]string
	}{
		{"", map[string]string{"tr-fixed": "Keep a record.", "tr-expr": "At most 5 people in FR.", "tr-fails": "English only when the French fails.", "tr-english": "No translation."}},
		{"en", map[string]string{"tr-fixed": "Keep a record.", "tr-expr": "At most 5 people in FR."}},
		{"en-GB", map[string]string{"tr-fixed": "Keep a record."}},
		{"C", map[string]string{"tr-fixed": "Keep a record."}},
		{"fr", map[string]string{"tr-fixed": "Tenez un registre.", "tr-expr": "Au plus 5 personnes en FR.", "tr-fails": "English only when the French fails.", "tr-english": "No translation."}},
		{"FR", map[string]string{"tr-fixed": "Tenez un registre."}},
		{"fr_FR.UTF-8", map[string]string{"tr-fixed": "Tenez un registre.", "tr-expr": "Au plus 5 personnes en FR."}},
		{"fr-BE", map[string]string{"tr-fixed": "Tenez un registre."}},
		{"fr-CA", map[string]string{"tr-fixed": "Tenez un registre (Québec).", "tr-expr": "Au plus 5 personnes en FR."}},
		{"de", map[string]string{"tr-fixed": "Keep a record.", "tr-expr": "At most 5 people in FR."}},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			en := eng.Evaluate(in, Options{})
			dec := eng.Evaluate(in, Options{Lang: tc.lang})
			if dec.Outcome != en.Outcome || len(dec.Reasons) != len(en.Reasons) {
				t.Fatalf("language changed the decision: %v/%d vs %v/%d", dec.Outcome, len(dec.Reasons), en.Outcome, len(en.Reasons))
			}
			got := map[string]string{}
			for _, r := range dec.Reasons {
				got[r.Rule] = r.Message
			}
			for _, o := range dec.Obligations {
				if o.Message != got[o.Rule] {
					t.Errorf("obligation %s says %q, its reason %q", o.Rule, o.Message, got[o.Rule])
				}
			}
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("%s: got %q, want %q", id, got[id], want)
				}
			}
		})
	}
}

// TestTranslationLoadErrors checks the messages and messageExpressions
// keys: each error names file:line:col, the rule and the problem.
func TestTranslationLoadErrors(t *testing.T) {
	head := "name: x\nversion: \"1\"\nrules:\n  - id: x-r\n    effect: deny\n    when: 'true'\n    message: m\n    citation: c\n"
	tests := []struct {
		name, extra, want string
	}{
		{"english", "    messages: {en: m}\n", `x.yaml:9:16: rule x-r: messages: "en": the English text is the rule's message`},
		{"english region", "    messages: {en-GB: m}\n", `x.yaml:9:16: rule x-r: messages: "en-GB": the English text`},
		{"not a tag", "    messages: {french: m}\n", `x.yaml:9:16: rule x-r: messages: "french" is not a language tag`},
		{"upper case", "    messages: {FR: m}\n", `x.yaml:9:16: rule x-r: messages: "FR" is not a language tag`},
		{"empty", "    messages: {fr: \"  \"}\n", `x.yaml:9:20: rule x-r: messages.fr is empty`},
		{"not text", "    messages: {fr: [a]}\n", `x.yaml:9:20: rule x-r: fr must be a string`},
		{"not a mapping", "    messages: fr\n", `x.yaml:9:15: rule x-r: messages must be a mapping of language to text`},
		{"twice", "    messages: {fr: m}\n    messageExpressions: {fr: '\"m\"'}\n", `x.yaml:10:26: rule x-r: messageExpressions: language "fr" already given at line 9`},
		{"misspelt key", "    message_fr: m\n", `x.yaml:9:5: rule x-r: rule: unknown key "message_fr"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"x.yaml": {Data: []byte(head + tc.extra)}}, "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
	// A French expression is compiled and type-checked like any other.
	packs, err := Load(fstest.MapFS{"x.yaml": {Data: []byte(head + "    messageExpressions: {fr: 'request.data.subjectz'}\n")}}, "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(packs, fakeRegistry{}); err == nil || !strings.Contains(err.Error(), "rule x-r: messageExpressions.fr: undefined field 'subjectz'") {
		t.Errorf("compile: got %v", err)
	}
}

// TestLintFrench checks that lint names every rule without a French
// message, with its pack and file:line:col, and no rule that has one.
func TestLintFrench(t *testing.T) {
	eng := loadDir(t, "translations")
	var got []string
	for _, f := range Lint(eng, nil) {
		if strings.Contains(f.Msg, "French") {
			if f.Pack != "tr" {
				t.Errorf("finding names pack %q", f.Pack)
			}
			got = append(got, f.Pos.String()+" "+f.Rule)
		}
	}
	want := "tr.yaml:34:5 tr-english"
	if len(got) != 1 || got[0] != want {
		t.Errorf("French findings %q, want [%q]", got, want)
	}
}
