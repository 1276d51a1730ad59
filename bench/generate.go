package bench

import (
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

// A generated rule set of size n holds n variants of the gdsi pack's
// mass-surveillance rule (gdsi-3-mass-surveillance): rule k ("gen-%04d")
// starts with three conjuncts that pin an (action, purpose) pair — pair k
// of the len(model.Actions)×len(model.Purposes) pairs (8×8 since the action
// notify, issue 19), cycling — and a
// dataset "ds-%04d", then has the real rule's body. So at most one rule
// fires for a request, and an engine that indexes rules by action and
// purpose can skip all but ~n/64 of them. The same set is written for the
// three engines.

// genPair returns the (action, purpose) pair pinned by rule k.
func genPair(k int) (model.Action, model.Purpose) {
	na := len(model.Actions)
	return model.Actions[k%na], model.Purposes[(k/na)%len(model.Purposes)]
}

// genParamsYAML is the generated pack's one parameter, as in gdsi.
const genParamsYAML = `params:
  bulk_min_selectors:
    - value: 100
      source: "as gdsi's bulk_min_selectors (internal/policy/packs/gdsi.yaml)"
      article: "§ 202.205(a)"
      valid_from: 2020-09-08
`

// GenAccordPack writes the generated rule set as an Accord pack.
func GenAccordPack(n int) string {
	var b strings.Builder
	b.WriteString("name: gen\nversion: \"1\"\ntitle: Generated variants of gdsi-3-mass-surveillance\nsource: \"bench/generate.go\"\n")
	b.WriteString(genParamsYAML)
	b.WriteString("rules:\n")
	for k := range n {
		a, p := genPair(k)
		fmt.Fprintf(&b, `  - id: gen-%04d
    effect: deny
    when: >-
      request.action == %q && request.purpose == %q && request.data.dataset == "ds-%04d"
      && actingState(request) != ""
      && hasPersonal(request.data.categories)
      && (request.selectors.kind == "bulk" || request.selectors.count >= params.bulk_min_selectors)
      && (size(statesOf(request.data.subjects)) > 0
            ? statesOf(request.data.subjects)
            : request.data.origin + [request.data.location])
         .filter(s, s != actingState(request)).exists(s, !(s in authorized))
    message: "Generated variant of gdsi-3-mass-surveillance."
    citation: "bench: generated from gdsi-3-mass-surveillance"
`, k, a, p, k)
	}
	return b.String()
}

// GenRego writes the generated rule set as Rego: the helpers of gdsi.rego
// (everything before its first rule) and n rules.
func GenRego(n int) (string, error) {
	src, err := fs.ReadFile(sources, "rego/gdsi.rego")
	if err != nil {
		return "", err
	}
	s := string(src)
	i := strings.Index(s, "# ---------------------------------------------------------------- 1 ----")
	if i < 0 {
		return "", fmt.Errorf("gdsi.rego: no rule section marker")
	}
	helpers := strings.Replace(s[:i], "package accord.gdsi", "package accord.gen", 1)
	helpers = strings.Replace(helpers, `result := {"fired": fired, "unsatisfied": unsatisfied}`, `result := {"fired": fired, "unsatisfied": set()}`, 1)
	var b strings.Builder
	b.WriteString(helpers)
	for k := range n {
		a, p := genPair(k)
		fmt.Fprintf(&b, `fired contains "gen-%04d" if {
	input.action == %q
	input.purpose == %q
	input.data.dataset == "ds-%04d"
	acting != ""
	personal
	bulk
	some s in concerned
	s != acting
	not s in authorized
}

`, k, a, p, k)
	}
	return b.String(), nil
}

// GenCedar writes the generated rule set as Cedar policies.
func GenCedar(n int) []byte {
	var b strings.Builder
	for k := range n {
		a, p := genPair(k)
		fmt.Fprintf(&b, `@id("gen-%04d")
forbid (principal, action == Action::%q, resource)
when {
  context.purpose == %q && context.dataset == "ds-%04d" &&
  context.acting != "" && context.personal &&
  (context.selectors_kind == "bulk" || context.selectors_count >= context.params.bulk_min_selectors) &&
  !context.covered.containsAll(context.concerned)
};

`, k, a, p, k)
	}
	return []byte(b.String())
}

// genRequest is a state actor's bulk request for personal data of another
// state's people, pinned to rule k's pair and to dataset ds.
func genRequest(k int, ds string) *model.Request {
	a, p := genPair(k)
	return &model.Request{
		Action:    a,
		Requester: model.Principal{ID: "agency", Kind: model.KindStateAuthority, Role: "intelligence", Jurisdiction: "US"},
		Data: model.Data{Dataset: ds, Location: "FR", Origin: []string{"FR"}, Categories: []string{"personal.communications"},
			Subjects: map[string]int64{"FR": 5000}, Records: 5000},
		Purpose:   p,
		Selectors: model.Selectors{Kind: model.SelectorBulk, Count: 5000},
		Time:      time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
}

// genCompany makes r a company's request, with no state behind it.
func genCompany(r *model.Request) *model.Request {
	r.Requester = model.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "US"}
	return r
}

// genTechnical makes r a request for technical data with no people in it.
func genTechnical(r *model.Request) *model.Request {
	r.Data.Categories = []string{"technical.telemetry"}
	r.Data.Subjects = nil
	return r
}

// GenScenarios are the generated set's scenarios, in benchmark order.
var GenScenarios = []string{"deny-first", "deny-last", "allow"}

// Generated builds the generated suite of size n. Its cases are, in
// GenScenarios order: the request that the first rule denies, the one the
// last rule denies, and a request in the last rule's (action, purpose)
// bucket that no rule matches (allow, after checking every candidate).
func Generated(n int, reg *registry.Registry) (*Suite, error) {
	fsys := fstest.MapFS{"gen.yaml": {Data: []byte(GenAccordPack(n))}}
	packs, err := policy.Load(fsys, "gen.yaml")
	if err != nil {
		return nil, fmt.Errorf("generated pack (%d rules): %w", n, err)
	}
	rg, err := GenRego(n)
	if err != nil {
		return nil, err
	}
	cases := []*Case{
		{Name: "deny-first", Pack: "gen", Request: genRequest(0, "ds-0000"), Outcome: model.Deny, Rules: []string{"gen-0000"}},
		{Name: "deny-last", Pack: "gen", Request: genRequest(n-1, fmt.Sprintf("ds-%04d", n-1)), Outcome: model.Deny, Rules: []string{fmt.Sprintf("gen-%04d", n-1)}},
		{Name: "allow", Pack: "gen", Request: genRequest(n-1, "ds-none"), Outcome: model.Allow, Rules: []string{}},
		// Correctness only (not benchmarked): the people's state has
		// authorized; a company with no state behind it; no personal
		// category.
		{Name: "authorized", Pack: "gen", Request: genRequest(n-1, fmt.Sprintf("ds-%04d", n-1)), Authorized: []string{"FR"}, Outcome: model.Allow, Rules: []string{}},
		{Name: "company", Pack: "gen", Request: genCompany(genRequest(n-1, fmt.Sprintf("ds-%04d", n-1))), Outcome: model.Allow, Rules: []string{}},
		{Name: "not personal", Pack: "gen", Request: genTechnical(genRequest(0, "ds-0000")), Outcome: model.Allow, Rules: []string{}},
	}
	return NewSuite(fmt.Sprintf("gen%d", n), Sources{Packs: packs, Pack: "gen", RegoPkg: "accord.gen", Rego: rg, Cedar: GenCedar(n), Context: GenContext}, reg, cases)
}
