package policy_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
)

// Label monotonicity (issue 19). A requester chooses the labels of a
// request — its categories and its purpose — while the subject counts and
// the parties are facts (on the server, counted and taken from the
// registry). Relabelling a request to look milder must never turn a deny or
// a pending decision into an allow when the facts say otherwise:
//
//   - categories: when the request counts data subjects, replacing its
//     personal categories by non-personal ones (or dropping them);
//   - purpose: when the parties say what the purpose is, replacing it by a
//     milder one (commercial, research, employment, emergency,
//     maintenance, or none). A state authority behind the request whose
//     role is law enforcement or judicial says its purpose is law
//     enforcement, an intelligence service national security, whatever
//     the label (see impliedPurpose). A vendor says that its ordinary purposes
//     (maintenance, commercial, research, employment, emergency, none) are
//     one: its rules key on what it does to its customers' systems and
//     data; a vendor writing law-enforcement or national-security brings
//     in rules its parties do not contradict, so those labels are not
//     relabelled for it.
//
// Relabellings away from "repatriation" are not generated: commitment 4's
// fact is the demand itself, which the label (or the action localize)
// states; no count or party contradicts its absence.

// monotonicityCases is how many requests the property generates (issue
// 19: at least 10,000). Each yields one or more relabelled copies.
const monotonicityCases = 10000

// milderCategories replace personal categories in a relabelled copy.
var milderCategories = [][]string{{"technical.logs"}, {"nonpersonal"}, {"technical", "technical.telemetry"}, nil}

// milderPurposes are the purposes a relabelled copy may claim.
var milderPurposes = []model.Purpose{"", model.PurposeCommercial, model.PurposeResearch, model.PurposeEmployment, model.PurposeEmergency, model.PurposeMaintenance}

// monotonicityRun is what one property run found.
type monotonicityRun struct {
	counterexample string
	// checked counts relabelled copies of requests decided deny or
	// pending, by kind of relabelling: those are the ones that could have
	// turned into an allow.
	checked map[string]int
}

// impliedPurpose is the purpose the parties of r fix whatever the label:
// law enforcement for a state authority behind the request whose role is
// law enforcement or judicial, national security for an intelligence
// service; "" when the parties fix none.
func impliedPurpose(r *model.Request) model.Purpose {
	for _, p := range []*model.Principal{&r.Requester, r.OnBehalfOf} {
		if p == nil || p.Kind != model.KindStateAuthority {
			continue
		}
		switch p.Role {
		case "law-enforcement", "judicial":
			return model.PurposeLawEnforcement
		case "intelligence":
			return model.PurposeNationalSecurity
		}
	}
	return ""
}

// partiesSayPurpose reports whether the parties of r fix its purpose, so
// that relabelling it to a milder one must not loosen the decision: a
// vendor writing an ordinary purpose, or a state authority whose role
// implies the purpose written (or writing an ordinary one). A stronger
// label the parties do not imply (an intelligence service writing
// law-enforcement) may tighten a decision, and dropping it may loosen it:
// nothing contradicts that.
func partiesSayPurpose(r *model.Request) bool {
	if r.Requester.Role == "vendor" && slices.Contains(milderPurposes, r.Purpose) {
		return true
	}
	implied := impliedPurpose(r)
	return implied != "" && (r.Purpose == implied || slices.Contains(milderPurposes, r.Purpose))
}

// relabellings returns the milder copies of in that the property checks,
// each with the kind of relabelling.
func relabellings(rng *rand.Rand, in neutralityInput) (out []neutralityInput, kinds []string) {
	r := in.req
	var subjects int64
	for _, n := range r.Data.Subjects {
		subjects += n
	}
	if subjects > 0 && slices.ContainsFunc(r.Data.Categories, model.IsPersonal) {
		c := *r
		var cats []string
		for _, cat := range r.Data.Categories {
			if !model.IsPersonal(cat) {
				cats = append(cats, cat)
			}
		}
		for _, m := range genPick(rng, milderCategories) {
			if !slices.Contains(cats, m) {
				cats = append(cats, m)
			}
		}
		c.Data.Categories = cats
		out, kinds = append(out, neutralityInput{req: &c, history: in.history, authorized: in.authorized}), append(kinds, "categories")
	}
	if partiesSayPurpose(r) {
		for _, p := range milderPurposes {
			if p == r.Purpose {
				continue
			}
			c := *r
			c.Purpose = p
			out, kinds = append(out, neutralityInput{req: &c, history: in.history, authorized: in.authorized}), append(kinds, "purpose")
		}
	}
	return out, kinds
}

// checkMonotone generates n requests from seed and decides each with its
// milder relabellings under pack. It stops at the first relabelling that
// turns a deny or pending into an allow.
func checkMonotone(eng *policy.Engine, pack string, seed uint64, n int) monotonicityRun {
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	opts := policy.Options{Packs: []string{pack}}
	run := monotonicityRun{checked: map[string]int{}}
	for i := range n {
		in := genInput(rng, nil)
		a := eng.Evaluate(&policy.Input{Request: in.req, History: in.history, Authorized: in.authorized}, opts)
		copies, kinds := relabellings(rng, in)
		for j, c := range copies {
			b := eng.Evaluate(&policy.Input{Request: c.req, History: c.history, Authorized: c.authorized}, opts)
			if a.Outcome == model.Allow {
				continue
			}
			run.checked[kinds[j]]++
			if b.Outcome == model.Allow {
				run.counterexample = fmt.Sprintf("case %d (seed %#x), %s relabelled\n  original: %s\n    -> %s %v\n  relabelled: %s\n    -> allow %v",
					i, seed, kinds[j], describeInput(in), a.Outcome, packRulesFired(a, pack), describeInput(c), packRulesFired(b, pack))
				return run
			}
		}
	}
	return run
}

// TestGDSILabelMonotonicity checks the property on the gdsi pack.
func TestGDSILabelMonotonicity(t *testing.T) {
	eng := compileGDSI(t)
	run := checkMonotone(eng, "gdsi", 0x19_2020, monotonicityCases)
	if run.counterexample != "" {
		t.Fatalf("a milder label loosened a gdsi decision the facts contradict:\n%s", run.counterexample)
	}
	// Not vacuous: many deny and pending decisions were relabelled.
	for _, kind := range []string{"categories", "purpose"} {
		if run.checked[kind] < 500 {
			t.Errorf("only %d %s relabellings of deny/pending decisions checked; widen the generator", run.checked[kind], kind)
		}
	}
	t.Logf("%d requests; relabellings of deny/pending decisions checked: %v", monotonicityCases, run.checked)
}

// TestLabelMonotonicityCatchesSteerablePack proves the property test can
// fail: a pack that decides on the labels alone is caught, both for
// categories and for purposes.
func TestLabelMonotonicityCatchesSteerablePack(t *testing.T) {
	packs, err := policy.Load(os.DirFS("testdata"), "label_steerable.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.Compile(packs, gdsiRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	ce := checkMonotone(eng, "label-steerable", 0x19_2020, monotonicityCases).counterexample
	if ce == "" {
		t.Fatal("the monotonicity check did not catch a pack that decides on labels alone")
	}
	if !strings.Contains(ce, "label-steerable-") {
		t.Errorf("counterexample does not name a label-steerable rule:\n%s", ce)
	}
}
