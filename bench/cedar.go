package bench

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/cedar-policy/cedar-go"
)

// Cedar is a Cedar policy set whose policies are all `forbid`, each with
// an @id annotation naming the rule (and "<id>#unsatisfied" for an unmet
// requirement). Cedar cannot iterate over maps or lists nor call the
// registry, so NewCedar's context builder computes derived attributes in
// Go (see cedarContext); that work is part of Cedar's end-to-end cost.
type Cedar struct {
	ps     *cedar.PolicySet
	deny   map[string]bool
	reg    policy.Registry
	params []*policy.Param
	build  ContextBuilder
}

// ContextBuilder computes the Cedar context of a case for one rule set.
type ContextBuilder func(c *Cedar, k *Case) cedar.Record

// NewCedar parses src; every policy must carry @id. params are the pack's
// dated parameters, handed to policies as context.params; build computes
// the context (GDSIContext or USDSPContext).
func NewCedar(name string, src []byte, reg policy.Registry, params []*policy.Param, deny map[string]bool, build ContextBuilder) (*Cedar, error) {
	list, err := cedar.NewPolicyListFromBytes(name, src)
	if err != nil {
		return nil, fmt.Errorf("parse cedar %s: %w", name, err)
	}
	ps := cedar.NewPolicySet()
	for i, p := range list {
		id, ok := p.Annotations()["id"]
		if !ok {
			return nil, fmt.Errorf("%s: policy %d has no @id", name, i)
		}
		if !ps.Add(cedar.PolicyID(id), p) {
			return nil, fmt.Errorf("%s: duplicate @id %q", name, id)
		}
	}
	return &Cedar{ps: ps, deny: deny, reg: reg, params: params, build: build}, nil
}

// Prepare builds the cedar.Request of a case, with the derived context.
func (c *Cedar) Prepare(k *Case) (any, error) {
	r := k.Request
	return cedar.Request{
		Principal: cedar.NewEntityUID("Principal", cedar.String(r.Requester.ID)),
		Action:    cedar.NewEntityUID("Action", cedar.String(r.Action)),
		Resource:  cedar.NewEntityUID("Data", cedar.String(r.Data.Location)),
		Context:   c.build(c, k),
	}, nil
}

// Eval authorizes a prepared cedar.Request and reads the fired policy ids
// from Diagnostic.Reasons. An evaluation error in any policy fails.
func (c *Cedar) Eval(in any) (Result, error) {
	_, diag := cedar.Authorize(c.ps, nil, in.(cedar.Request))
	if len(diag.Errors) > 0 {
		return Result{}, fmt.Errorf("cedar: policy %s: %s", diag.Errors[0].PolicyID, diag.Errors[0].Message)
	}
	fired := make([]string, 0, len(diag.Reasons))
	var unsat []string
	for _, r := range diag.Reasons {
		id := string(r.PolicyID)
		if base, ok := strings.CutSuffix(id, unsatisfiedSuffix); ok {
			unsat = append(unsat, base)
			continue
		}
		fired = append(fired, id)
	}
	return combine(fired, unsat, c.deny), nil
}

// paramsAt resolves dated parameters at t, as Accord does for `params`.
func paramsAt(params []*policy.Param, t time.Time) map[string]any {
	m := make(map[string]any, len(params))
	for _, p := range params {
		for _, v := range p.Values {
			if !t.Before(v.ValidFrom) && (v.ValidTo.IsZero() || t.Before(v.ValidTo)) {
				m[p.Name] = v.Value
			}
		}
	}
	return m
}

func strSet(ss ...string) cedar.Set {
	vs := make([]cedar.Value, len(ss))
	for i, s := range ss {
		vs[i] = cedar.String(s)
	}
	return cedar.NewSet(vs...)
}

// blank is the pack's `id.matches('^\\s*$')` (RE2 \s: tab, LF, FF, CR, space).
func blank(s string) bool { return strings.Trim(s, "\t\n\f\r ") == "" }

// statesOf is the pack's statesOf(map): sorted keys with a positive count.
func statesOf(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func actingState(r *model.Request) string {
	if r.Requester.Kind == model.KindStateAuthority {
		return r.Requester.Jurisdiction
	}
	if r.OnBehalfOf != nil && r.OnBehalfOf.Kind == model.KindStateAuthority {
		return r.OnBehalfOf.Jurisdiction
	}
	return ""
}

// controlledBy is the engine's controlledBy(principal): a state
// authority's jurisdiction, else the state holding more than 50 % of the
// owners, else "".
func controlledBy(p *model.Principal) string {
	if p == nil {
		return ""
	}
	if p.Kind == model.KindStateAuthority {
		return p.Jurisdiction
	}
	for s, share := range p.Owners {
		if share > 50 {
			return s
		}
	}
	return ""
}

// stateBehind is the engine's stateBehind(request).
func stateBehind(r *model.Request) string {
	if s := actingState(r); s != "" {
		return s
	}
	if s := controlledBy(&r.Requester); s != "" {
		return s
	}
	return controlledBy(r.OnBehalfOf)
}

// cumulativePeople is the engine's cumulativePeople(window, state) over h.
func cumulativePeople(h map[string]map[string]model.Count, r *model.Request, state string) int64 {
	var n int64
	for _, c := range h[state] {
		n += c.Subjects
	}
	return n + r.Data.Subjects[state]
}

// cumulative is the pack's cumulative(window, state, prefix) over h.
func cumulative(h map[string]map[string]model.Count, r *model.Request, state, prefix string) int64 {
	var n int64
	for cat, c := range h[state] {
		if underCategory(cat, prefix) {
			n += c.Subjects
		}
	}
	if slices.ContainsFunc(r.Data.Categories, func(c string) bool { return underCategory(c, prefix) }) {
		n += r.Data.Subjects[state]
	}
	return n
}

func underCategory(c, prefix string) bool {
	return c == prefix || (strings.HasPrefix(c, prefix) && len(c) > len(prefix) && c[len(prefix)] == '.')
}

func asLong(v any) cedar.Long {
	switch x := v.(type) {
	case int64:
		return cedar.Long(x)
	case int:
		return cedar.Long(x)
	case float64:
		return cedar.Long(int64(x))
	}
	return 0
}

// cedarValue converts a parameter value. Cedar has no floating point, so
// a float64 (an ownership percentage) is truncated to a Long.
func cedarValue(v any) cedar.Value {
	switch x := v.(type) {
	case bool:
		return cedar.Boolean(x)
	case string:
		return cedar.String(x)
	case []string:
		return strSet(x...)
	case []int64:
		vs := make([]cedar.Value, len(x))
		for i, n := range x {
			vs[i] = cedar.Long(n)
		}
		return cedar.NewSet(vs...)
	case []float64:
		vs := make([]cedar.Value, len(x))
		for i, n := range x {
			vs[i] = cedar.Long(int64(n))
		}
		return cedar.NewSet(vs...)
	case []bool:
		vs := make([]cedar.Value, len(x))
		for i, b := range x {
			vs[i] = cedar.Boolean(b)
		}
		return cedar.NewSet(vs...)
	}
	return asLong(v)
}

// paramRecord is the record of the parameters in force (context.params).
func paramRecord(params map[string]any) cedar.Record {
	pm := make(cedar.RecordMap, len(params))
	for name, v := range params {
		pm[cedar.String(name)] = cedarValue(v)
	}
	return cedar.NewRecord(pm)
}

// hasCategory is the pack's hasCategory(categories, prefixes).
func hasCategory(cats, prefixes []string) bool {
	for _, c := range cats {
		for _, p := range prefixes {
			if underCategory(c, p) {
				return true
			}
		}
	}
	return false
}

// cumulativeDevices is the pack's cumulativeDevices(window, prefix) over h.
func cumulativeDevices(h map[string]map[string]model.Count, r *model.Request, prefix string) int64 {
	var n int64
	for _, cats := range h {
		for cat, c := range cats {
			if underCategory(cat, prefix) {
				n += c.Devices
			}
		}
	}
	if hasCategory(r.Data.Categories, []string{prefix}) {
		n += r.Data.Devices
	}
	return n
}

// USDSPContext computes the Cedar context of a case for the us-dsp
// threshold policies: Cedar cannot sum the history's counters by category
// prefix, so every cumulative count is computed here.
func USDSPContext(c *Cedar, k *Case) cedar.Record {
	r := k.Request
	params := paramsAt(c.params, r.Time)
	var hist map[string]map[string]model.Count
	if k.History != nil {
		hist = k.History.Rolling12m
	}
	cats := r.Data.Categories
	gov, _ := params["government_related_categories"].([]string)
	families := 0
	for _, f := range [][]string{{"personal.omic", "personal.genomic"}, {"personal.biometric"}, {"personal.geolocation.precise"},
		{"personal.health"}, {"personal.financial"}, {"personal.identifier"}} {
		if hasCategory(cats, f) {
			families++
		}
	}
	us := func(prefix string) cedar.Value { return cedar.Long(cumulative(hist, r, "US", prefix)) }
	has := func(prefix string) cedar.Value { return cedar.Boolean(hasCategory(cats, []string{prefix})) }
	return cedar.NewRecord(cedar.RecordMap{
		"transaction": cedar.String(r.Transaction),
		"destination": cedar.String(r.Destination),
		"government":  cedar.Boolean(hasCategory(cats, gov)),
		"families":    cedar.Long(families),
		"us_12m": cedar.NewRecord(cedar.RecordMap{
			"omic": us("personal.omic"), "genomic": us("personal.genomic"), "biometric": us("personal.biometric"),
			"health": us("personal.health"), "financial": us("personal.financial"), "identifier": us("personal.identifier"),
			"personal": us("personal"),
		}),
		"devices_geo_12m": cedar.Long(cumulativeDevices(hist, r, "personal.geolocation.precise")),
		"present": cedar.NewRecord(cedar.RecordMap{
			"omic": has("personal.omic"), "genomic": has("personal.genomic"), "biometric": has("personal.biometric"),
			"geolocation": has("personal.geolocation.precise"), "health": has("personal.health"),
			"financial": has("personal.financial"), "identifier": has("personal.identifier"),
		}),
		"params": paramRecord(params),
	})
}

// GenContext computes the Cedar context of a case for the generated
// policies (GenCedar), and only what they read: each generated rule tests
// the action, purpose and dataset, and then the body of
// gdsi-3-mass-surveillance as the generated Accord rule writes it — a
// state actor (actingState), a personal category, bulk selectors, and a
// concerned state (the subject states, else origin and location) other
// than the actor that has not authorized. Building the whole gdsi context
// (GDSIContext: registry look-ups, history sums, every variable of the
// pack) for these policies would charge Cedar for work its rules never
// use.
func GenContext(c *Cedar, k *Case) cedar.Record {
	r := k.Request
	acting := actingState(r)
	concerned := statesOf(r.Data.Subjects)
	if len(concerned) == 0 {
		concerned = append(slices.Clone(r.Data.Origin), r.Data.Location)
	}
	var minSelectors cedar.Value = cedar.Long(0)
	for _, p := range c.params {
		if p.Name != "bulk_min_selectors" {
			continue
		}
		for _, v := range p.Values {
			if !r.Time.Before(v.ValidFrom) && (v.ValidTo.IsZero() || r.Time.Before(v.ValidTo)) {
				minSelectors = asLong(v.Value)
			}
		}
	}
	return cedar.NewRecord(cedar.RecordMap{
		"purpose":         cedar.String(r.Purpose),
		"dataset":         cedar.String(r.Data.Dataset),
		"acting":          cedar.String(acting),
		"personal":        cedar.Boolean(slices.ContainsFunc(r.Data.Categories, model.IsPersonal)),
		"selectors_kind":  cedar.String(r.Selectors.Kind),
		"selectors_count": cedar.Long(r.Selectors.Count),
		"concerned":       strSet(concerned...),
		"covered":         strSet(append(slices.Clone(k.Authorized), acting)...),
		"params":          cedar.NewRecord(cedar.RecordMap{"bulk_min_selectors": minSelectors}),
	})
}

// GDSIContext computes the Cedar context of a case for the gdsi policies
// (and the generated ones): the request's scalar fields plus every
// attribute the policies cannot compute themselves (Cedar has no
// quantifiers, list functions, map iteration, regular expressions or
// registry calls).
func GDSIContext(c *Cedar, k *Case) cedar.Record {
	r := k.Request
	acting := stateBehind(r)
	subjects := statesOf(r.Data.Subjects)
	params := paramsAt(c.params, r.Time)

	// The pack's variables (internal/policy/packs/gdsi.yaml).
	dest := r.Destination
	switch {
	case dest != "":
	case acting != "":
		dest = acting
	default:
		dest = r.Requester.Jurisdiction
	}
	principals := []*model.Principal{&r.Requester, r.OnBehalfOf}
	stateRole := func(roles ...string) bool {
		for _, p := range principals {
			if p != nil && p.Kind == model.KindStateAuthority && slices.Contains(roles, p.Role) {
				return true
			}
		}
		return false
	}
	lawEnforcement := r.Purpose == model.PurposeLawEnforcement || stateRole("law-enforcement", "judicial")
	statePurpose := lawEnforcement || r.Purpose == model.PurposeNationalSecurity || stateRole("intelligence")
	collector := acting
	if collector == "" && statePurpose && slices.Contains([]model.Action{"access", "collect", "transfer", "disclose"}, r.Action) {
		collector = dest
	}
	catPersonal := slices.ContainsFunc(r.Data.Categories, model.IsPersonal)
	personal := catPersonal || len(subjects) > 0
	subjectToAbroad := false
	for _, s := range []string{r.Requester.Jurisdiction, r.Requester.Headquarters, controlledBy(&r.Requester)} {
		if s != "" && s != r.Data.Location {
			subjectToAbroad = true
		}
	}
	seek := acting
	if seek == "" {
		seek = dest
	}

	concerned := subjects
	if len(concerned) == 0 {
		concerned = append(slices.Clone(r.Data.Origin), r.Data.Location)
	}
	origins := r.Data.Origin
	if len(origins) == 0 {
		origins = append(slices.Clone(subjects), r.Data.Location)
	}
	covered := append(slices.Clone(k.Authorized), collector)

	var hist map[string]map[string]model.Count
	if k.History != nil {
		hist = k.History.Rolling12m
	}
	var bulkStates []string
	if min, ok := params["bulk_min_subjects"]; ok {
		for _, s := range subjects {
			if s != collector && cedar.Long(cumulativePeople(hist, r, s)) >= asLong(min) {
				bulkStates = append(bulkStates, s)
			}
		}
	}

	locSubjects := append([]string{r.Data.Location}, subjects...)
	var partiesActing []string
	coversLocation, coversJudicial := false, false
	if ag := r.Basis.Agreement; ag != "" {
		partiesActing = append(c.reg.AgreementParties(ag), acting)
		coversLocation = c.reg.AgreementCovers(ag, seek, r.Data.Location, string(r.Purpose), r.Time)
		coversJudicial = c.reg.AgreementCovers(ag, seek, r.Data.Location, "law-enforcement", r.Time)
	}

	ciiState := ""
	if r.Data.CII != nil {
		ciiState = r.Data.CII.State
	}
	behalfKind, behalfBlank := "", false
	if r.OnBehalfOf != nil {
		behalfKind, behalfBlank = r.OnBehalfOf.Kind, blank(r.OnBehalfOf.ID)
	}
	pm := paramRecord(params)
	return cedar.NewRecord(cedar.RecordMap{
		"requester_jurisdiction":    cedar.String(r.Requester.Jurisdiction),
		"requester_kind":            cedar.String(r.Requester.Kind),
		"requester_role":            cedar.String(r.Requester.Role),
		"requester_blank":           cedar.Boolean(blank(r.Requester.ID)),
		"behalf_kind":               cedar.String(behalfKind),
		"behalf_blank":              cedar.Boolean(behalfBlank),
		"location":                  cedar.String(r.Data.Location),
		"destination":               cedar.String(r.Destination),
		"dest":                      cedar.String(dest),
		"purpose":                   cedar.String(r.Purpose),
		"dataset":                   cedar.String(r.Data.Dataset),
		"acting":                    cedar.String(acting),
		"collector":                 cedar.String(collector),
		"seeking":                   cedar.String(seek),
		"law_enforcement":           cedar.Boolean(lawEnforcement),
		"state_purpose":             cedar.Boolean(statePurpose),
		"subject_to_abroad":         cedar.Boolean(subjectToAbroad),
		"cii_state":                 cedar.String(ciiState),
		"personal":                  cedar.Boolean(personal),
		"cat_personal":              cedar.Boolean(catPersonal),
		"selectors_kind":            cedar.String(r.Selectors.Kind),
		"selectors_count":           cedar.Long(r.Selectors.Count),
		"basis_kind":                cedar.String(r.Basis.Kind),
		"basis_agreement":           cedar.String(r.Basis.Agreement),
		"measures":                  strSet(r.Basis.Measures...),
		"authorized":                strSet(k.Authorized...),
		"concerned":                 strSet(concerned...),
		"covered":                   strSet(covered...),
		"collector_set":             strSet(collector),
		"origins":                   strSet(origins...),
		"bulk_states":               strSet(bulkStates...),
		"subject_states":            strSet(subjects...),
		"loc_subjects":              strSet(locSubjects...),
		"parties_acting":            strSet(partiesActing...),
		"parties_acting_authorized": strSet(append(slices.Clone(partiesActing), k.Authorized...)...),
		"covers_location":           cedar.Boolean(coversLocation),
		"covers_judicial":           cedar.Boolean(coversJudicial),
		"params":                    pm,
	})
}
