// Package bench compares Accord's policy engine with OPA (Rego) and
// cedar-go on the same rules: the gdsi pack written three times, the
// threshold rules of us-dsp, and generated variants of them at 10, 100 and
// 1,000 rules. It is its own Go module so that the product binary never
// links OPA or Cedar.
//
// Every engine answers with a Result (outcome and the ids of the rules that
// fired). Rego and Cedar give only the fired ids (Rego: the sets `fired`
// and `unsatisfied`; Cedar: the ids of the forbid policies in
// Diagnostic.Reasons, "<id>#unsatisfied" for an unmet requirement); the
// outcome is then computed the way Accord combines rules: any deny-effect
// rule → deny, else any unsatisfied requirement → pending, else allow.
package bench

import (
	"slices"
	"strings"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
)

// Case is one request with the outcome and rule ids every engine must give.
type Case struct {
	// Name describes the case (from the pack's test file, or generated).
	Name string
	// Pack is the pack (rule set) the case exercises.
	Pack string
	// Request is the request as Accord decodes it.
	Request *model.Request
	// History stands in for the server's counters; nil means none.
	History *model.History
	// Authorized lists the states whose authorization is taken as verified.
	Authorized []string
	// Outcome is the expected outcome.
	Outcome model.Outcome
	// Rules are exactly the ids of the rules expected to fire.
	Rules []string
}

// Result is an engine's answer: the outcome and the sorted ids of the rules
// that fired.
type Result struct {
	// Outcome is allow, deny or pending.
	Outcome model.Outcome
	// Rules are the ids of the rules that fired, sorted.
	Rules []string
}

// Engine is one policy engine loaded with one rule set. Prepare converts a
// case into the engine's native input (the conversion is part of the
// end-to-end cost); Eval evaluates a prepared input.
type Engine interface {
	Prepare(c *Case) (any, error)
	Eval(in any) (Result, error)
}

// unsatisfiedSuffix marks the Cedar policy that says a require rule's
// requirement is not met.
const unsatisfiedSuffix = "#unsatisfied"

// combine computes the outcome from the fired ids, the unsatisfied
// require ids and the set of deny-effect ids, as Accord combines rules.
func combine(fired, unsatisfied []string, deny map[string]bool) Result {
	out := Result{Outcome: model.Allow, Rules: fired}
	slices.Sort(out.Rules)
	for _, id := range fired {
		if deny[id] {
			out.Outcome = model.Deny
			return out
		}
	}
	if len(unsatisfied) > 0 {
		out.Outcome = model.Pending
	}
	return out
}

// denyIDs returns the ids of the deny-effect rules of packs.
func denyIDs(packs []*policy.Pack) map[string]bool {
	m := map[string]bool{}
	for _, p := range packs {
		for _, r := range p.Rules {
			if r.Effect == model.EffectDeny {
				m[r.ID] = true
			}
		}
	}
	return m
}

// Check compares a result with what the case expects and describes the
// difference ("" when they agree).
func (c *Case) Check(r Result) string {
	want := slices.Clone(c.Rules)
	slices.Sort(want)
	var diffs []string
	if r.Outcome != c.Outcome {
		diffs = append(diffs, "outcome "+string(r.Outcome)+", want "+string(c.Outcome))
	}
	if !slices.Equal(want, r.Rules) {
		diffs = append(diffs, "rules ["+strings.Join(r.Rules, " ")+"], want ["+strings.Join(want, " ")+"]")
	}
	return strings.Join(diffs, "; ")
}
