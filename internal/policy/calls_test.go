package policy

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/interpreter"

	"github.com/accord-dev/accord/internal/model"
)

// callsPack exercises fastCalls where the bundled packs do not: errors and
// non-strings inside a concatenation, long chains, concatenations in
// conditions, and the fixed-arity functions with a bad window.
const callsPack = `name: calls
version: "1"
variables:
  - name: who
    expression: '"requester " + request.requester.id + " of " + request.requester.jurisdiction'
rules:
  - id: calls-null
    effect: obligate
    when: 'true'
    messageExpression: '"on behalf of " + request.on_behalf_of.id'
    citation: c
  - id: calls-long
    effect: obligate
    when: '(variables.who + "/" + request.action + "/" + request.purpose).size() > 0'
    messageExpression: 'variables.who + ", " + request.action + ", " + request.purpose + ", " + request.data.location + ", " + string(total(request.data.subjects)) + ", " + string(cumulative("12m", request.data.location, "personal")) + ", " + string(cumulativeDevices("ytd", "personal")) + ", " + "a" + "b" + "c" + "d" + "e" + "f" + "g" + "h" + "i" + "j" + "k"'
    citation: c
  - id: calls-window
    effect: deny
    when: 'cumulative("bad", "FR", "personal") > 0 || cumulativeDevices("bad", "x") > 0'
    message: m
    citation: c
  - id: calls-agreement
    effect: obligate
    when: 'agreementCovers(request.basis.agreement, request.data.location, request.requester.jurisdiction, request.purpose)'
    message: m
    citation: c
  - id: calls-absent
    effect: obligate
    when: 'request.on_behalf_of.jurisdiction == "FR" || request.data.cii.state == "FR" || request.on_behalf_of.ciio'
    messageExpression: 'request.on_behalf_of.kind + request.data.cii.sector'
    citation: c
  - id: calls-parties
    effect: obligate
    when: |-
      request.importer.jurisdiction == "FR" || request.exporter.residence == "US" || request.exporter.ciio
      || request.frequency == "systematic" || request.recipient != ""
    messageExpression: 'request.importer.kind + request.exporter.id + request.frequency + request.recipient'
    messageExpressions:
      fr: '"importateur " + request.importer.id + ", exportateur " + request.exporter.jurisdiction'
    citation: c
  - id: calls-fields
    effect: obligate
    when: |-
      request.requester.ciio || request.selectors.count > 0 || request.data.records > 1 || request.data.devices > 1
      || has(request.on_behalf_of) || has(request.data.cii) || has(request.requester.role)
    messageExpression: |-
      request.action + request.purpose + request.destination + request.transaction + request.data.dataset
      + request.data.location + request.data.classification + request.selectors.kind + request.basis.kind
      + request.basis.ref + request.basis.agreement + request.requester.id + request.requester.kind
      + request.requester.role + request.requester.jurisdiction + request.requester.headquarters
      + request.requester.residence + request.requester.employer + string(request.data.categories.size())
      + (request.data.origin.size() > 0 ? request.data.origin[0] : "-") + string(request.data.protections.size())
      + string(request.basis.measures.size()) + (request.data.categories.size() > 1 ? request.data.categories[1] : "-")
      + string(statesOf(request.data.subjects).size()) + string(total(request.data.subjects)) + string(request.data.subjects.size()) + string(request.selectors.count) + string(request.data.records)
    citation: c
  - id: calls-shadow
    effect: deny
    when: |-
      [request].exists(request, request.data.location == "FR")
      || ["x"].exists(request, request == "x" && false)
      || [{"data": {"location": "FR"}}].exists(request, request.data.location == "FR")
    message: m
    citation: c
  - id: calls-matches
    effect: obligate
    when: |-
      request.requester.id.matches('^\\s*$') || matches(request.data.location, "^F") || request.purpose.matches("law")
      || (has(request.on_behalf_of) && request.on_behalf_of.id.matches("[0-9]"))
    message: m
    citation: c
  - id: calls-literals
    effect: obligate
    when: |-
      hasCategory(request.data.categories, ["personal.health", "personal.contact"])
      || request.data.location in ["FR", "DE"]
      || (["a", "b"] + request.data.origin).size() > 3
      || ["a", "b"] == ["a", "b"] && ["a", "b"][1] == "b" && ["a", "b"].exists(x, x == request.purpose)
    messageExpression: '(["a", "b"] + request.data.origin)[0] + ["a", "b"][1]'
    citation: c
`

// TestFastCallsSameDecision checks that the fast programs (with
// fastCalls) decide exactly as the guarded ones (cel-go's own calls) on
// every example request, messages and explanations included.
func TestFastCallsSameDecision(t *testing.T) {
	packs, reg, packsFS := bundledPacks(t)
	extra, err := Load(fstest.MapFS{"calls.yaml": {Data: []byte(callsPack)}}, "calls.yaml")
	if err != nil {
		t.Fatal(err)
	}
	packs = append(packs, extra...)
	fast, err := Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	guarded, err := Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	if !fast.boundedParams {
		t.Fatal("bundled packs should run the fast programs")
	}
	guarded.boundedParams = false
	now := func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	fast.now, guarded.now = now, now

	files, _ := filepath.Glob("../../examples/requests/*.json")
	more, _ := filepath.Glob("../../examples/regimes/*.json")
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("only %d example requests", len(files))
	}
	var names []string
	for _, p := range packs {
		names = append(names, p.Name)
	}
	selections := [][]string{nil, names}
	compare := func(name string, in *Input) {
		for _, sel := range selections {
			for i, explain := range []bool{false, true, false} {
				opts := Options{Packs: sel, Explain: explain}
				if i == 2 {
					opts.Lang = "fr"
				}
				got, want := fast.Evaluate(in, opts), guarded.Evaluate(in, opts)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s (authorized %v, packs %v, explain %v):\nfast    %+v\nguarded %+v", name, in.Authorized, sel, explain, got, want)
				}
			}
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		req, err := model.DecodeRequest(data, reg)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, auth := range [][]string{nil, {"FR", "US", "CN", "DE"}} {
			compare(filepath.Base(f), &Input{Request: req, History: req.History, Authorized: auth})
		}
	}
	// Every case of the packs' test files, where each rule fires and
	// does not.
	tests, _ := fs.Glob(packsFS, "*_test.yaml")
	if len(tests) < 4 {
		t.Fatalf("only %d pack test files", len(tests))
	}
	cases := 0
	for _, name := range tests {
		data, err := fs.ReadFile(packsFS, name)
		if err != nil {
			t.Fatal(err)
		}
		tf, err := ParseTestFile(name, data, reg)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range tf.Cases {
			compare(name+": "+tc.Name, &Input{Request: tc.Request, History: tc.History, Authorized: tc.Authorized})
			cases++
		}
	}
	if cases < 200 {
		t.Fatalf("only %d pack test cases", cases)
	}
}

// TestFastPathsInstalled checks that fastCalls recognises what cel-go
// plans for field reads of the request, matches with a constant pattern
// and string list literals. The shortcuts depend on how cel-go names its
// attribute and qualifier types; after an upgrade that renames them, the
// programs stay correct but slow, and this test says so.
func TestFastPathsInstalled(t *testing.T) {
	base, err := newBaseEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	// A pack's params and variables, declared as compilePack does.
	table, err := newParamTable([]*Param{{Name: "limit", Values: []ParamValue{{Value: int64(3), ValidFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}}}})
	if err != nil {
		t.Fatal(err)
	}
	vp := newVarsProvider(newParamsProvider(base.CELTypeProvider(), "accord.params.t", table), "accord.variables.t")
	vp.add(0, "v", cel.IntType)
	env, err := base.Extend(cel.CustomTypeProvider(vp),
		cel.Variable("params", cel.ObjectType("accord.params.t")), cel.Variable("variables", cel.ObjectType("accord.variables.t")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		expr string
		want string // the Go type the root, or its first operand, must have
	}{
		{`request.data.location`, "*policy.fieldRead"},
		{`request.requester.jurisdiction`, "*policy.fieldRead"},
		{`request.on_behalf_of.kind`, "*policy.fieldRead"},
		{`request.importer.jurisdiction`, "*policy.fieldRead"},
		{`request.exporter.ciio`, "*policy.fieldRead"},
		{`request.frequency`, "*policy.fieldRead"},
		{`request.data.categories`, "*policy.fieldRead"},
		{`request.requester.id.matches("^\\s*$")`, "*policy.matchCall"},
		{`["personal.health", "personal.contact"]`, "*interpreter.evalConst/*policy.strList"},
		{`params.limit`, "*policy.memberRead"},
		{`variables.v`, "*policy.memberRead"},
		{`request.data.subjects["FR"]`, "*interpreter.evalAttr"},        // an index: cel-go's plan
		{`request.requester.owners`, "*interpreter.evalAttr"},           // not a listed leaf
		{`has(request.on_behalf_of.kind)`, "*interpreter.evalTestOnly"}, // presence test: cel-go's plan
	} {
		ast, iss := env.Compile(tc.expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", tc.expr, iss.Err())
		}
		var root string
		record := cel.CustomDecoratorV2(func(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
			root = fmt.Sprintf("%T", i)
			if c, ok := i.(interpreter.InterpretableConst); ok {
				root += fmt.Sprintf("/%T", c.Value())
			}
			return i, nil
		})
		if _, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), fastCalls(&functions{}), record); err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if root != tc.want {
			t.Errorf("%s is planned as %s, want %s", tc.expr, root, tc.want)
		}
	}
}

// TestMessageConcatRendered checks that a messageExpression that is a
// concatenation is rendered straight to a Go string (program.concat), and
// that other expressions are not.
func TestMessageConcatRendered(t *testing.T) {
	packs, err := Load(fstest.MapFS{"calls.yaml": {Data: []byte(callsPack)}}, "calls.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Compile(packs, fakeRegistry{})
	if err != nil {
		t.Fatal(err)
	}
	rendered := map[string]bool{}
	for _, cr := range eng.byName["calls"].rules {
		if cr.message != nil {
			rendered[cr.rule.ID] = cr.message.concat != nil
		}
		if cr.when.concat != nil {
			t.Errorf("%s: a condition is not a concatenation", cr.rule.ID)
		}
	}
	for id, want := range map[string]bool{"calls-long": true, "calls-null": true, "calls-literals": true, "calls-agreement": false} {
		if rendered[id] != want {
			t.Errorf("%s: message rendered directly %v, want %v", id, rendered[id], want)
		}
	}
}
