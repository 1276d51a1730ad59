package policy_test

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

// The Initiative asks states to keep an environment that is « ouvert, juste
// et non discriminatoire » (the letter of 18 September 2020 to the UN Secretary-General,
// annex, preamble) and to treat data security « de manière [...] objective »
// (paragraph 1). Under the gdsi pack, then, a decision must not depend on
// which states are involved, only on how they relate: renaming every state
// by a permutation must not change the outcome or the rules that fired.
// The one legitimate exception is a recorded agreement (its parties are
// facts about particular states), so the requests of TestGDSINeutrality
// name none; TestGDSINeutralityWithRenamedAgreements lets them name
// agreements and renames the agreements' parties with the request.

// neutralityStates is the pool of states the generator draws from and the
// permutation shuffles. It holds states of every bloc, so that a rule
// reading bloc membership (inBloc) would be caught too.
var neutralityStates = []string{"BR", "CN", "DE", "FR", "GB", "IN", "JP", "NG", "RU", "SG", "US", "ZA"}

// neutralityCases is how many requests each property run generates
// (issue 19: at least 10,000).
const neutralityCases = 10000

// TestGDSINeutrality checks that renaming the states of a request (and of
// its history and authorizations) by a random permutation changes neither
// the gdsi outcome, nor the ids of the rules that fired, nor which
// requirements were met.
func TestGDSINeutrality(t *testing.T) {
	eng := compileGDSI(t)
	run := checkNeutral(neutralitySetup{pack: "gdsi", orig: eng, renamed: eng}, 0x6d5a_2020, neutralityCases)
	if run.counterexample != "" {
		t.Fatalf("gdsi pack is not neutral:\n%s", run.counterexample)
	}
	// The property is only as strong as the requests it tries: every rule
	// that can fire without a recorded agreement must have fired, and every
	// outcome must have occurred.
	pk, _ := eng.Pack("gdsi")
	for _, r := range pk.Rules {
		if r.ID == "gdsi-6-third-state" {
			continue // needs a named agreement, which the generator never writes
		}
		if run.fired[r.ID] == 0 {
			t.Errorf("no generated request fired %s; widen the generator", r.ID)
		}
	}
	for _, o := range model.Outcomes {
		if run.outcomes[o] == 0 {
			t.Errorf("no generated request was decided %s; widen the generator", o)
		}
	}
	t.Logf("%d requests: outcomes %v; rules fired %v", neutralityCases, run.outcomes, run.fired)
}

// neutralityAgreements are recorded agreements (internal/registry/data)
// whose parties include states of neutralityStates.
var neutralityAgreements = []string{"gb-us-cloud-act-2019", "cn-fr-mla-2005", "fr-us-mlat-1998", "cn-us-mlaa-2000", "eu-us-mla-2003", "eu-us-dpf-2023"}

// TestGDSINeutralityWithRenamedAgreements extends the property to requests
// that rely on recorded agreements: renaming the states of the request AND
// of the registry (agreement parties, bloc members) by the same
// permutation must change nothing either. What an agreement says may
// differ from state to state; how the pack reads it may not.
func TestGDSINeutralityWithRenamedAgreements(t *testing.T) {
	reg := gdsiRegistry(t)
	for _, id := range neutralityAgreements {
		if len(reg.AgreementParties(id)) == 0 {
			t.Fatalf("agreement %s is not in the registry", id)
		}
	}
	orig := compileGDSI(t)
	renamedReg := &renamedRegistry{base: reg}
	renamed := compileGDSIWith(t, renamedReg)
	run := checkNeutral(neutralitySetup{pack: "gdsi", orig: orig, renamed: renamed, registry: renamedReg, agreements: neutralityAgreements},
		0xa6_2020, neutralityCases)
	if run.counterexample != "" {
		t.Fatalf("gdsi pack is not neutral when agreements are renamed too:\n%s", run.counterexample)
	}
	for _, id := range []string{"gdsi-6-third-state", "gdsi-6-judicial-channel", "gdsi-5-location-authorization"} {
		if run.fired[id] == 0 {
			t.Errorf("no generated request fired %s; widen the generator", id)
		}
	}
	t.Logf("%d requests: outcomes %v; rules fired %v", neutralityCases, run.outcomes, run.fired)

	// The check has teeth here too: renaming the requests but not the
	// agreements changes decisions, since an agreement binds particular
	// states. (This is the one difference the Initiative allows.)
	t.Run("agreements not renamed", func(t *testing.T) {
		ce := checkNeutral(neutralitySetup{pack: "gdsi", orig: orig, renamed: orig, agreements: neutralityAgreements},
			0xa6_2020, neutralityCases).counterexample
		if ce == "" {
			t.Fatal("renaming states but not the agreements' parties changed no decision: the agreement rules are not exercised")
		}
	})
}

// renamedRegistry answers as base would for states renamed by a
// permutation: it maps each state back before asking base, and maps the
// parties base returns forward. States outside the permutation keep their
// names.
type renamedRegistry struct {
	base     policy.Registry
	fwd, inv map[string]string
}

// rename sets the permutation (old name -> new name).
func (r *renamedRegistry) rename(perm map[string]string) {
	r.fwd = perm
	r.inv = make(map[string]string, len(perm))
	for k, v := range perm {
		r.inv[v] = k
	}
}

func renamedState(m map[string]string, s string) string {
	if t, ok := m[s]; ok {
		return t
	}
	return s
}

// KnownJurisdiction implements policy.Registry.
func (r *renamedRegistry) KnownJurisdiction(code string) bool {
	return r.base.KnownJurisdiction(renamedState(r.inv, code))
}

// InBloc implements policy.Registry.
func (r *renamedRegistry) InBloc(state, bloc string) bool {
	return r.base.InBloc(renamedState(r.inv, state), bloc)
}

// AgreementCovers implements policy.Registry.
func (r *renamedRegistry) AgreementCovers(id, a, b, purpose string, at time.Time) bool {
	return r.base.AgreementCovers(id, renamedState(r.inv, a), renamedState(r.inv, b), purpose, at)
}

// AgreementAuthorizes implements policy.Registry.
func (r *renamedRegistry) AgreementAuthorizes(id, a, b, purpose string, categories, measures []string, at time.Time) bool {
	return r.base.AgreementAuthorizes(id, renamedState(r.inv, a), renamedState(r.inv, b), purpose, categories, measures, at)
}

// AgreementParties implements policy.Registry.
func (r *renamedRegistry) AgreementParties(id string) []string {
	parties := r.base.AgreementParties(id)
	out := make([]string, len(parties))
	for i, p := range parties {
		out[i] = renamedState(r.fwd, p)
	}
	slices.Sort(out)
	return out
}

// TestNeutralityCheckCatchesDiscrimination proves the property test can
// fail: a pack that singles out one state by name is caught.
func TestNeutralityCheckCatchesDiscrimination(t *testing.T) {
	reg := gdsiRegistry(t)
	packs, err := policy.Load(os.DirFS("testdata"), "discriminatory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	ce := checkNeutral(neutralitySetup{pack: "discriminatory", orig: eng, renamed: eng}, 0x6d5a_2020, neutralityCases).counterexample
	if ce == "" {
		t.Fatal("the neutrality check did not catch a pack that denies requesters of one named state")
	}
	if !strings.Contains(ce, "discriminatory-by-name") {
		t.Errorf("counterexample does not name the discriminatory rule:\n%s", ce)
	}
}

// TestPermuteRenamesEveryStateField guards the permutation itself: a state
// field it forgot would make the property test blind to rules reading it.
func TestPermuteRenamesEveryStateField(t *testing.T) {
	// A permutation with no fixed point on the pool.
	perm := map[string]string{}
	for i, s := range neutralityStates {
		perm[s] = neutralityStates[(i+1)%len(neutralityStates)]
	}
	in := neutralityInput{
		req: &model.Request{
			Action: model.ActionAccess,
			Requester: model.Principal{ID: "p", Kind: model.KindCompany, Jurisdiction: "FR",
				Headquarters: "DE", Residence: "GB", Employer: "IN", Owners: map[string]float64{"JP": 60}},
			OnBehalfOf: &model.Principal{ID: "q", Kind: model.KindStateAuthority, Jurisdiction: "US",
				Headquarters: "BR", Residence: "CN", Employer: "NG", Owners: map[string]float64{"RU": 10}},
			Data: model.Data{Location: "SG", Origin: []string{"ZA", "FR"}, Subjects: map[string]int64{"DE": 3},
				CII: &model.CII{State: "GB"}},
			Destination: "IN",
			History: &model.History{
				Rolling12m: map[string]map[string]model.Count{"JP": {"personal": {Subjects: 1}}},
				YearToDate: map[string]map[string]model.Count{"US": {"personal": {Subjects: 1}}},
			},
		},
		history:    &model.History{Rolling12m: map[string]map[string]model.Count{"BR": {"personal": {Subjects: 1}}}},
		authorized: []string{"CN", "NG"},
	}
	before := fmt.Sprintf("%+v %+v %+v %+v %+v %+v", in.req.Requester, *in.req.OnBehalfOf, in.req.Data, in.req.Destination, *in.req.History, *in.history)
	out := permuteInput(in, perm)
	// The original is untouched.
	if after := fmt.Sprintf("%+v %+v %+v %+v %+v %+v", in.req.Requester, *in.req.OnBehalfOf, in.req.Data, in.req.Destination, *in.req.History, *in.history); after != before {
		t.Fatalf("permuteInput modified its input:\nbefore %s\nafter  %s", before, after)
	}
	// Every state code written anywhere in the copy must have been renamed.
	var seen []string
	collectStates(out, func(s string) { seen = append(seen, s) })
	var orig []string
	collectStates(in, func(s string) { orig = append(orig, s) })
	if len(seen) != len(orig) || len(orig) < 20 {
		t.Fatalf("collected %d states from the copy and %d from the original", len(seen), len(orig))
	}
	for i := range orig {
		if seen[i] != perm[orig[i]] {
			t.Errorf("state #%d: %s became %s, want %s", i, orig[i], seen[i], perm[orig[i]])
		}
	}
}

// compileGDSI loads and compiles the bundled gdsi pack with the embedded
// registry.
func compileGDSI(t testing.TB) *policy.Engine {
	t.Helper()
	return compileGDSIWith(t, gdsiRegistry(t))
}

// compileGDSIWith compiles the bundled gdsi pack against reg.
func compileGDSIWith(t testing.TB, reg policy.Registry) *policy.Engine {
	t.Helper()
	sub, err := fs.Sub(policy.Embedded(), "packs")
	if err != nil {
		t.Fatal(err)
	}
	packs, err := policy.Load(sub, "gdsi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func gdsiRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	reg, err := registry.Load()
	if err != nil {
		t.Fatalf("load registry: %v", err)
	}
	return reg
}

// neutralityInput is one generated evaluation: a request plus what the
// engine is given beside it.
type neutralityInput struct {
	req        *model.Request
	history    *model.History
	authorized []string
}

// neutralityRun is what one property run found.
type neutralityRun struct {
	// counterexample describes the first request whose outcome or fired
	// rules changed when its states were renamed; "" when none did.
	counterexample string
	// fired counts, by rule id, the generated requests that fired it.
	fired map[string]int
	// outcomes counts the generated requests by outcome.
	outcomes map[model.Outcome]int
}

// neutralitySetup says what one property run evaluates.
type neutralitySetup struct {
	// pack is the pack evaluated, alone.
	pack string
	// orig decides the generated requests; renamed decides their renamed
	// copies. They are the same engine unless the registry is renamed too.
	orig, renamed *policy.Engine
	// registry, when set, is renamed's registry: before each request it is
	// given that request's permutation, so that recorded facts about states
	// (agreement parties, blocs) are renamed with the request.
	registry *renamedRegistry
	// agreements are the agreement ids the generator may name in
	// basis.agreement; nil for none.
	agreements []string
}

// checkNeutral generates n requests from seed and, for each, a random
// permutation of neutralityStates, and decides both the request and its
// renamed copy. It stops at the first request whose outcome, fired rules
// or met requirements differ.
func checkNeutral(su neutralitySetup, seed uint64, n int) neutralityRun {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pack := su.pack
	opts := policy.Options{Packs: []string{pack}}
	run := neutralityRun{fired: map[string]int{}, outcomes: map[model.Outcome]int{}}
	for i := range n {
		in := genInput(rng, su.agreements)
		perm := genPermutation(rng)
		pin := permuteInput(in, perm)
		if su.registry != nil {
			su.registry.rename(perm)
		}
		a := su.orig.Evaluate(&policy.Input{Request: in.req, History: in.history, Authorized: in.authorized}, opts)
		b := su.renamed.Evaluate(&policy.Input{Request: pin.req, History: pin.history, Authorized: pin.authorized}, opts)
		ra, rb := packRulesFired(a, pack), packRulesFired(b, pack)
		sa, sb := packRulesSatisfied(a, pack), packRulesSatisfied(b, pack)
		if a.Outcome != b.Outcome || !slices.Equal(ra, rb) || !slices.Equal(sa, sb) {
			run.counterexample = fmt.Sprintf("case %d (seed %#x)\n  original: %s\n    -> %s %v satisfied %v\n  renamed by %v: %s\n    -> %s %v satisfied %v",
				i, seed, describeInput(in), a.Outcome, ra, sa, perm, describeInput(pin), b.Outcome, rb, sb)
			return run
		}
		run.outcomes[a.Outcome]++
		for _, id := range ra {
			run.fired[id]++
		}
	}
	return run
}

// packRulesFired returns the sorted ids of the rules of pack that fired.
func packRulesFired(d model.Decision, pack string) []string {
	var ids []string
	for _, r := range d.Reasons {
		if r.Pack == pack {
			ids = append(ids, r.Rule)
		}
	}
	slices.Sort(ids)
	return ids
}

// packRulesSatisfied returns the sorted ids of the require rules of pack whose
// requirement was met. Renaming states must not change them either.
func packRulesSatisfied(d model.Decision, pack string) []string {
	var ids []string
	for _, r := range d.Reasons {
		if r.Pack == pack && r.Satisfied {
			ids = append(ids, r.Rule)
		}
	}
	slices.Sort(ids)
	return ids
}

func describeInput(in neutralityInput) string {
	var b strings.Builder
	r := in.req
	fmt.Fprintf(&b, "action=%s requester=%+v", r.Action, r.Requester)
	if r.OnBehalfOf != nil {
		fmt.Fprintf(&b, " on_behalf_of=%+v", *r.OnBehalfOf)
	}
	fmt.Fprintf(&b, " data={location:%s origin:%v categories:%v subjects:%v cii:%v}", r.Data.Location, r.Data.Origin, r.Data.Categories, r.Data.Subjects, r.Data.CII)
	fmt.Fprintf(&b, " destination=%q purpose=%q selectors=%+v basis={kind:%q measures:%v}", r.Destination, r.Purpose, r.Selectors, r.Basis.Kind, r.Basis.Measures)
	if in.history != nil {
		fmt.Fprintf(&b, " history=%v", in.history.Rolling12m)
	}
	fmt.Fprintf(&b, " authorized=%v", in.authorized)
	return b.String()
}

// genPermutation returns a random bijection of neutralityStates.
func genPermutation(rng *rand.Rand) map[string]string {
	shuffled := slices.Clone(neutralityStates)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	perm := make(map[string]string, len(shuffled))
	for i, s := range neutralityStates {
		perm[s] = shuffled[i]
	}
	return perm
}

// Value pools for the generator. Empty strings stand for absent fields.
var (
	genKinds      = []string{model.KindStateAuthority, model.KindCompany, model.KindIndividual, model.KindOrganization}
	genRoles      = []string{"", "vendor", "processor", "law-enforcement", "intelligence", "regulator"}
	genCategories = []string{"personal", "personal.contact", "personal.health", "personal.communications",
		"technical", "technical.logs", "cii.energy", "important", "nonpersonal"}
	genSelectorKinds = []string{"", model.SelectorSpecific, model.SelectorBulk}
	genCounts        = []int64{0, 1, 5, 99, 100, 5000}
	genSubjectCounts = []int64{0, 1, 10, 999, 1000, 50000}
	genMeasures      = []string{"customer-approval", "notice", "scc"}
	genIDs           = []string{"p-1", "p-2", "", " "}
)

func genPick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// genSomeStates returns up to max distinct states, possibly none.
func genSomeStates(rng *rand.Rand, max int) []string {
	n := rng.IntN(max + 1)
	perm := rng.Perm(len(neutralityStates))
	out := make([]string, 0, n)
	for _, i := range perm[:n] {
		out = append(out, neutralityStates[i])
	}
	return out
}

// genState often reuses one of recent, so that generated requests have the
// coincidences rules look for (requester state == location, ...).
func genState(rng *rand.Rand, recent []string) string {
	if len(recent) > 0 && rng.IntN(2) == 0 {
		return genPick(rng, recent)
	}
	return genPick(rng, neutralityStates)
}

func genPrincipal(rng *rand.Rand, recent *[]string) model.Principal {
	p := model.Principal{
		ID:           genPick(rng, genIDs[:2]),
		Kind:         genPick(rng, genKinds),
		Role:         genPick(rng, genRoles),
		Jurisdiction: genState(rng, *recent),
	}
	if rng.IntN(12) == 0 {
		p.ID = genPick(rng, genIDs) // now and then unidentified
	}
	*recent = append(*recent, p.Jurisdiction)
	if rng.IntN(4) == 0 {
		p.Headquarters = genState(rng, *recent)
	}
	if rng.IntN(6) == 0 {
		p.Owners = map[string]float64{genState(rng, *recent): float64(rng.IntN(101))}
	}
	return p
}

// genInput generates one request. Its basis names one of agreements, now
// and then; with no agreements, never.
func genInput(rng *rand.Rand, agreements []string) neutralityInput {
	var recent []string
	r := &model.Request{
		Action: genPick(rng, model.Actions),
		Time:   time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
	r.Requester = genPrincipal(rng, &recent)
	if rng.IntN(3) == 0 {
		p := genPrincipal(rng, &recent)
		r.OnBehalfOf = &p
	}
	r.Data.Location = genState(rng, recent)
	recent = append(recent, r.Data.Location)
	for _, s := range genSomeStates(rng, 2) {
		r.Data.Origin = append(r.Data.Origin, genState(rng, append(recent, s)))
	}
	for range rng.IntN(3) {
		c := genPick(rng, genCategories)
		if !slices.Contains(r.Data.Categories, c) {
			r.Data.Categories = append(r.Data.Categories, c)
		}
	}
	if k := rng.IntN(4); k > 0 {
		r.Data.Subjects = map[string]int64{}
		for range k {
			r.Data.Subjects[genState(rng, recent)] = genPick(rng, genSubjectCounts)
		}
	}
	if rng.IntN(4) == 0 {
		r.Data.CII = &model.CII{State: genState(rng, recent), Sector: "energy"}
	}
	if rng.IntN(2) == 0 {
		r.Destination = genState(rng, recent)
	}
	if rng.IntN(8) > 0 {
		r.Purpose = genPick(rng, model.Purposes)
	}
	// A vendor on maintenance (commitments 7 and 8) is rare in a uniform
	// draw over roles and purposes; make it common enough to be tried.
	if rng.IntN(32) == 0 {
		r.Requester.Role = "vendor"
		r.Purpose = model.PurposeMaintenance
	}
	r.Selectors = model.Selectors{Kind: genPick(rng, genSelectorKinds), Count: genPick(rng, genCounts)}
	if rng.IntN(6) > 0 {
		r.Basis.Kind = genPick(rng, model.BasisKinds)
		if r.Basis.Kind == "agreement" {
			if len(agreements) == 0 {
				r.Basis.Kind = "mla" // no recorded agreement: see the comment at the top
			} else {
				r.Basis.Agreement = genPick(rng, agreements)
			}
		}
	}
	if len(agreements) > 0 && r.Basis.Agreement == "" && rng.IntN(4) == 0 {
		r.Basis.Agreement = genPick(rng, agreements) // e.g. an MLA under a treaty
	}
	if r.Basis.Kind == "mla" {
		r.Basis.Ref = "MLA-2026-0001"
	}
	for _, m := range genMeasures {
		if rng.IntN(3) == 0 {
			r.Basis.Measures = append(r.Basis.Measures, m)
		}
	}
	in := neutralityInput{req: r}
	if rng.IntN(3) == 0 {
		h := &model.History{Rolling12m: map[string]map[string]model.Count{}}
		for range 1 + rng.IntN(2) {
			h.Rolling12m[genState(rng, recent)] = map[string]model.Count{
				genPick(rng, genCategories): {Subjects: genPick(rng, genSubjectCounts)},
			}
		}
		in.history = h
	}
	for _, s := range genSomeStates(rng, 3) {
		in.authorized = append(in.authorized, genState(rng, append(recent, s)))
	}
	return in
}

// permuteInput returns a deep copy of in with every state code renamed by
// perm: principals (jurisdiction, headquarters, residence, employer, owner
// keys), data (location, origin, subject keys, CII state), destination,
// both histories' keys, and the authorized list.
func permuteInput(in neutralityInput, perm map[string]string) neutralityInput {
	ren := func(s string) string {
		if t, ok := perm[s]; ok {
			return t
		}
		return s
	}
	renList := func(xs []string) []string {
		if xs == nil {
			return nil
		}
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = ren(x)
		}
		return out
	}
	renPrincipal := func(p model.Principal) model.Principal {
		p.Jurisdiction = ren(p.Jurisdiction)
		p.Headquarters = ren(p.Headquarters)
		p.Residence = ren(p.Residence)
		p.Employer = ren(p.Employer)
		if p.Owners != nil {
			owners := make(map[string]float64, len(p.Owners))
			for k, v := range p.Owners {
				owners[ren(k)] = v
			}
			p.Owners = owners
		}
		return p
	}
	renHistory := func(h *model.History) *model.History {
		if h == nil {
			return nil
		}
		renWindow := func(w map[string]map[string]model.Count) map[string]map[string]model.Count {
			if w == nil {
				return nil
			}
			out := make(map[string]map[string]model.Count, len(w))
			for state, cats := range w {
				out[ren(state)] = cats // categories are not states; shared read-only
			}
			return out
		}
		return &model.History{Rolling12m: renWindow(h.Rolling12m), YearToDate: renWindow(h.YearToDate)}
	}

	r := *in.req
	r.Requester = renPrincipal(r.Requester)
	if r.OnBehalfOf != nil {
		p := renPrincipal(*r.OnBehalfOf)
		r.OnBehalfOf = &p
	}
	r.Data.Location = ren(r.Data.Location)
	r.Data.Origin = renList(r.Data.Origin)
	if r.Data.Subjects != nil {
		subjects := make(map[string]int64, len(r.Data.Subjects))
		for k, v := range r.Data.Subjects {
			subjects[ren(k)] = v
		}
		r.Data.Subjects = subjects
	}
	if r.Data.CII != nil {
		cii := *r.Data.CII
		cii.State = ren(cii.State)
		r.Data.CII = &cii
	}
	r.Destination = ren(r.Destination)
	r.History = renHistory(r.History)
	return neutralityInput{req: &r, history: renHistory(in.history), authorized: renList(in.authorized)}
}

// collectStates calls f on every state code in in, so that an original and
// its permuted copy can be compared position by position. Map keys come in
// map order: callers comparing two inputs use maps of one key each.
func collectStates(in neutralityInput, f func(string)) {
	principal := func(p model.Principal) {
		for _, s := range []string{p.Jurisdiction, p.Headquarters, p.Residence, p.Employer} {
			if s != "" {
				f(s)
			}
		}
		for k := range p.Owners {
			f(k)
		}
	}
	r := in.req
	principal(r.Requester)
	if r.OnBehalfOf != nil {
		principal(*r.OnBehalfOf)
	}
	f(r.Data.Location)
	for _, s := range r.Data.Origin {
		f(s)
	}
	for k := range r.Data.Subjects {
		f(k)
	}
	if r.Data.CII != nil {
		f(r.Data.CII.State)
	}
	if r.Destination != "" {
		f(r.Destination)
	}
	for _, h := range []*model.History{r.History, in.history} {
		if h == nil {
			continue
		}
		for _, w := range []map[string]map[string]model.Count{h.Rolling12m, h.YearToDate} {
			for k := range w {
				f(k)
			}
		}
	}
	for _, s := range in.authorized {
		f(s)
	}
}
