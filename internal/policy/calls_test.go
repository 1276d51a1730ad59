package policy

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/registry"
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
`

// TestFastCallsSameDecision checks that the fast programs (with
// fastCalls) decide exactly as the guarded ones (cel-go's own calls) on
// every example request, messages and explanations included.
func TestFastCallsSameDecision(t *testing.T) {
	reg, err := registry.Load()
	if err != nil {
		t.Fatal(err)
	}
	packsFS, err := fs.Sub(Embedded(), "packs")
	if err != nil {
		t.Fatal(err)
	}
	packs, err := Load(packsFS)
	if err != nil {
		t.Fatal(err)
	}
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
			in := &Input{Request: req, History: req.History, Authorized: auth}
			for _, sel := range selections {
				for _, explain := range []bool{false, true} {
					opts := Options{Packs: sel, Explain: explain}
					got, want := fast.Evaluate(in, opts), guarded.Evaluate(in, opts)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s (authorized %v, packs %v, explain %v):\nfast    %+v\nguarded %+v", filepath.Base(f), auth, sel, explain, got, want)
					}
				}
			}
		}
	}
}
