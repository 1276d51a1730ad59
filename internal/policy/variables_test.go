package policy

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/accord-dev/accord/internal/model"
)

func TestVariables(t *testing.T) {
	eng := loadDir(t, "variables")
	owned := func(share float64) func(r *model.Request) {
		return func(r *model.Request) {
			r.Requester.Owners = map[string]float64{"CN": share / 2, "RU": share / 2, "FR": 100 - share}
		}
	}
	tests := []struct {
		name    string
		req     *model.Request
		outcome model.Outcome
		rules   []string
		message string
	}{
		{"not covered: the pack does not apply", req(owned(49.9)), model.Allow, nil, ""},
		{"covered by ownership: transfer denied", req(func(r *model.Request) { owned(50)(r); r.Action = model.ActionTransfer }),
			model.Deny, []string{"vars-covered-transfer"}, "Covered person (50% owned by countries of concern)."},
		{"covered by jurisdiction: access pending", req(func(r *model.Request) { r.Requester.Jurisdiction = "RU" }),
			model.Pending, []string{"vars-covered-access"}, ""},
		{"a variable that fails fails its rule closed", req(func(r *model.Request) { r.Action = model.ActionDelete }),
			model.Deny, []string{"vars-error"}, "variable zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, explain := range []bool{false, true} {
				dec := eng.Evaluate(&Input{Request: tt.req}, Options{Explain: explain})
				var ids []string
				for _, r := range dec.Reasons {
					ids = append(ids, r.Rule)
				}
				if dec.Outcome != tt.outcome || !slices.Equal(ids, tt.rules) {
					t.Fatalf("got %s %v, want %s %v (%+v)", dec.Outcome, ids, tt.outcome, tt.rules, dec.Reasons)
				}
				if tt.message != "" && !strings.Contains(dec.Reasons[0].Message, tt.message) {
					t.Errorf("message %q, want %q", dec.Reasons[0].Message, tt.message)
				}
			}
		})
	}
}

func TestVariablesErrors(t *testing.T) {
	head := "name: v\nversion: \"1\"\n"
	rules := "rules:\n  - id: v-r\n    effect: deny\n    when: 'variables.b'\n    message: m\n    citation: c\n"
	tests := []struct{ yaml, want string }{
		// a variable sees only the variables before it
		{head + "variables:\n  - name: a\n    expression: 'variables.b'\n  - name: b\n    expression: 'true'\n" + rules, "v.yaml:5:27: pack v: variables.a: undefined field 'b'"},
		{head + "variables:\n  - name: b\n    expression: 'true'\n  - name: b\n    expression: 'false'\n" + rules, `v.yaml:6:11: variable "b" repeated`},
		{head + "variables:\n  - name: b\n    expr: 'true'\n" + rules, `unknown key "expr"`},
		{head + "variables:\n  - name: b\n    expression: '1'\n" + rules, "v.yaml:9:11: rule v-r: when: must yield bool, not int"},
	}
	for _, tt := range tests {
		packs, err := Load(fstest.MapFS{"v.yaml": {Data: []byte(tt.yaml)}})
		if err == nil {
			_, err = Compile(packs, nil)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}

func TestVariablesLint(t *testing.T) {
	pack := "name: v\nversion: \"1\"\ntitle: t\nsource: s\nvariables:\n  - name: unused\n    expression: 'request.selectors.count > 5'\nrules:\n  - id: v-r\n    effect: deny\n    when: 'false'\n    message: m\n    citation: c\n"
	packs, err := Load(fstest.MapFS{"v.yaml": {Data: []byte(pack)}})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Compile(packs, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range Lint(eng, nil) {
		got = append(got, f.String())
	}
	for _, want := range []string{"v.yaml:6:5: variable unused is not used by any expression", "v.yaml:7:17: variables.unused: number 5"} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("findings %q lack %q", got, want)
		}
	}
}
