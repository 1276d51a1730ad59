package policy

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

var update = flag.Bool("update", false, "rewrite golden files")

// loadDir loads and compiles every pack of a testdata directory.
func loadDir(t testing.TB, dir string) *Engine {
	t.Helper()
	packs, err := Load(os.DirFS(filepath.Join("testdata", dir)))
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	eng, err := Compile(packs, fakeRegistry{})
	if err != nil {
		t.Fatalf("compile %s: %v", dir, err)
	}
	return eng
}

var t2026 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// req builds a request from a base that a company in FR reads FR data.
func req(mod func(r *model.Request)) *model.Request {
	r := &model.Request{
		Action:    model.ActionAccess,
		Requester: model.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "FR"},
		Data:      model.Data{Location: "FR", Categories: []string{"technical.logs"}, Subjects: map[string]int64{"FR": 10}},
		Purpose:   model.PurposeCommercial,
		Selectors: model.Selectors{Kind: model.SelectorSpecific, Count: 1},
		Time:      t2026,
	}
	if mod != nil {
		mod(r)
	}
	return r
}

func TestEvaluateCombining(t *testing.T) {
	eng := loadDir(t, "combine")
	type want struct {
		outcome     model.Outcome
		reasons     []string // rule ids in order
		satisfied   []bool   // Reason.Satisfied in order
		requires    []model.Requirement
		obligations []string
		packs       []model.PackOutcome
	}
	tests := []struct {
		name       string
		req        *model.Request
		authorized []string
		packs      []string
		want       want
	}{
		{
			name: "nothing fires: allow, no reasons",
			req:  req(nil),
			want: want{outcome: model.Allow, reasons: []string{}, packs: []model.PackOutcome{{Pack: "alpha", Version: "1.0.0", Outcome: model.Allow}}},
		},
		{
			name: "obligate alone: allow with the obligation",
			req:  req(func(r *model.Request) { r.Data.Categories = []string{"personal.contact"} }),
			want: want{outcome: model.Allow, reasons: []string{"alpha-notice"}, satisfied: []bool{false}, obligations: []string{"alpha-notice"},
				packs: []model.PackOutcome{{Pack: "alpha", Version: "1.0.0", Outcome: model.Allow, Rules: []string{"alpha-notice"}}}},
		},
		{
			name: "unsatisfied require: pending with the requirement, no obligations",
			req: req(func(r *model.Request) {
				r.Data.Location = "DE"
				r.Data.Categories = []string{"personal.contact"}
			}),
			want: want{outcome: model.Pending, reasons: []string{"alpha-location-authorization", "alpha-notice"}, satisfied: []bool{false, false},
				requires: []model.Requirement{{AuthorizationFrom: "DE", Rule: "alpha-location-authorization", Pack: "alpha"}},
				packs:    []model.PackOutcome{{Pack: "alpha", Version: "1.0.0", Outcome: model.Pending, Rules: []string{"alpha-location-authorization", "alpha-notice"}}}},
		},
		{
			name:       "satisfied require: allow, reason marked satisfied",
			req:        req(func(r *model.Request) { r.Data.Location = "DE" }),
			authorized: []string{"DE"},
			want: want{outcome: model.Allow, reasons: []string{"alpha-location-authorization"}, satisfied: []bool{true},
				packs: []model.PackOutcome{{Pack: "alpha", Version: "1.0.0", Outcome: model.Allow, Rules: []string{"alpha-location-authorization"}}}},
		},
		{
			name: "deny wins over require and obligate; no requires, no obligations",
			req: req(func(r *model.Request) {
				r.Data.Location = "DE"
				r.Selectors.Kind = model.SelectorBulk
				r.Data.Categories = []string{"personal.contact"}
			}),
			want: want{outcome: model.Deny, reasons: []string{"alpha-bulk", "alpha-location-authorization", "alpha-notice"}, satisfied: []bool{false, false, false},
				packs: []model.PackOutcome{{Pack: "alpha", Version: "1.0.0", Outcome: model.Deny, Rules: []string{"alpha-bulk", "alpha-location-authorization", "alpha-notice"}}}},
		},
		{
			name: "auto: beta applies to research; reasons in pack order; each pack's own outcome",
			req: req(func(r *model.Request) {
				r.Purpose = model.PurposeResearch
				r.Data.Categories = []string{"personal.health"}
				r.Data.Subjects = map[string]int64{"FR": 10, "BE": 2, "IT": 0}
			}),
			authorized: []string{"BE"},
			want: want{outcome: model.Pending, reasons: []string{"alpha-notice", "beta-ethics", "beta-retention"}, satisfied: []bool{false, false, false},
				requires: []model.Requirement{
					{Measure: "ethics-approval", Rule: "beta-ethics", Pack: "beta"},
					{AuthorizationFrom: "FR", Rule: "beta-ethics", Pack: "beta"},
				},
				packs: []model.PackOutcome{
					{Pack: "alpha", Version: "1.0.0", Outcome: model.Allow, Rules: []string{"alpha-notice"}},
					{Pack: "beta", Version: "2.0.0", Outcome: model.Pending, Rules: []string{"beta-ethics", "beta-retention"}},
				}},
		},
		{
			name: "auto: all satisfied across packs: allow with both packs' obligations",
			req: req(func(r *model.Request) {
				r.Purpose = model.PurposeResearch
				r.Data.Categories = []string{"personal.health"}
				r.Basis.Measures = []string{"ethics-approval"}
			}),
			authorized: []string{"FR"},
			want: want{outcome: model.Allow, reasons: []string{"alpha-notice", "beta-ethics", "beta-retention"}, satisfied: []bool{false, true, false},
				obligations: []string{"alpha-notice", "beta-retention"},
				packs: []model.PackOutcome{
					{Pack: "alpha", Version: "1.0.0", Outcome: model.Allow, Rules: []string{"alpha-notice"}},
					{Pack: "beta", Version: "2.0.0", Outcome: model.Allow, Rules: []string{"beta-ethics", "beta-retention"}},
				}},
		},
		{
			name:  "explicit packs, in the order given; beta evaluated even when it would not apply",
			req:   req(func(r *model.Request) { r.Selectors.Kind = model.SelectorBulk }),
			packs: []string{"beta", "alpha"},
			want: want{outcome: model.Deny, reasons: []string{"alpha-bulk"}, satisfied: []bool{false},
				packs: []model.PackOutcome{
					{Pack: "beta", Version: "2.0.0", Outcome: model.Allow},
					{Pack: "alpha", Version: "1.0.0", Outcome: model.Deny, Rules: []string{"alpha-bulk"}},
				}},
		},
		{
			name:  "an unknown pack fails closed",
			req:   req(nil),
			packs: []string{"gamma"},
			want:  want{outcome: model.Deny, reasons: []string{"accord.unknown-pack"}, satisfied: []bool{false}, packs: []model.PackOutcome{}},
		},
		{
			name: "params list: restricted destination",
			req:  req(func(r *model.Request) { r.Destination = "IR"; r.Action = model.ActionTransfer }),
			want: want{outcome: model.Deny, reasons: []string{"alpha-destination"}, satisfied: []bool{false},
				packs: []model.PackOutcome{{Pack: "alpha", Version: "1.0.0", Outcome: model.Deny, Rules: []string{"alpha-destination"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, explain := range []bool{false, true} {
				dec := eng.Evaluate(&Input{Request: tt.req, Authorized: tt.authorized}, Options{Packs: tt.packs, Explain: explain})
				if dec.Outcome != tt.want.outcome {
					t.Errorf("explain=%v: outcome %s, want %s (%+v)", explain, dec.Outcome, tt.want.outcome, dec.Reasons)
				}
				var ids []string
				var sat []bool
				for _, r := range dec.Reasons {
					ids = append(ids, r.Rule)
					sat = append(sat, r.Satisfied)
					if r.Message == "" || r.Citation == "" || r.Effect == "" {
						t.Errorf("reason %s lacks message, citation or effect: %+v", r.Rule, r)
					}
				}
				if ids == nil {
					ids = []string{}
				}
				if !slices.Equal(ids, tt.want.reasons) {
					t.Errorf("explain=%v: reasons %v, want %v", explain, ids, tt.want.reasons)
				}
				if tt.want.satisfied != nil && !slices.Equal(sat, tt.want.satisfied) {
					t.Errorf("satisfied %v, want %v", sat, tt.want.satisfied)
				}
				if !reflect.DeepEqual(dec.Requires, tt.want.requires) {
					t.Errorf("requires %+v, want %+v", dec.Requires, tt.want.requires)
				}
				var obl []string
				for _, o := range dec.Obligations {
					obl = append(obl, o.Rule)
				}
				if !slices.Equal(obl, tt.want.obligations) {
					t.Errorf("obligations %v, want %v", obl, tt.want.obligations)
				}
				if !reflect.DeepEqual(dec.Packs, tt.want.packs) {
					t.Errorf("packs %+v, want %+v", dec.Packs, tt.want.packs)
				}
				if explain != (len(dec.Explain) > 0) && tt.want.outcome != model.Deny {
					t.Errorf("explain=%v but %d traces", explain, len(dec.Explain))
				}
			}
		})
	}
}

func TestMessageExpression(t *testing.T) {
	eng := loadDir(t, "combine")
	dec := eng.Evaluate(&Input{Request: req(func(r *model.Request) { r.Data.Location = "DE" })}, Options{})
	if len(dec.Reasons) != 1 || dec.Reasons[0].Message != "Data in DE needs its authorization." {
		t.Fatalf("reasons %+v", dec.Reasons)
	}
}

func TestParamsInForce(t *testing.T) {
	eng := loadDir(t, "combine")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		at       time.Time
		subjects int64
		deny     bool
		message  string
	}{
		{day(2024, 12, 31), 100, false, ""},
		{day(2024, 12, 31), 101, true, "More than 100 subjects."},
		{day(2024, 12, 31).Add(24*time.Hour - time.Nanosecond), 101, true, "More than 100 subjects."},
		// valid_to is exclusive: on 2025-01-01 the amended value is in force.
		{day(2025, 1, 1), 51, true, "More than 50 subjects."},
		{day(2025, 1, 1), 50, false, ""},
		{day(2030, 6, 1), 51, true, "More than 50 subjects."},
		// Before the first valid_from, no value is in force: the rule
		// errors and, being a deny rule, fails closed.
		{day(2019, 12, 31), 1, true, "could not be evaluated"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.at.Format(time.RFC3339Nano), tt.subjects), func(t *testing.T) {
			r := req(func(r *model.Request) { r.Time = tt.at; r.Data.Subjects = map[string]int64{"FR": tt.subjects} })
			dec := eng.Evaluate(&Input{Request: r}, Options{Packs: []string{"alpha"}})
			if got := dec.Outcome == model.Deny; got != tt.deny {
				t.Fatalf("deny=%v, want %v (%+v)", got, tt.deny, dec.Reasons)
			}
			if tt.deny && !strings.Contains(dec.Reasons[0].Message, tt.message) {
				t.Errorf("message %q, want it to contain %q", dec.Reasons[0].Message, tt.message)
			}
		})
	}
}

func TestZeroTimeIsNow(t *testing.T) {
	eng := loadDir(t, "combine")
	eng.now = func() time.Time { return time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) }
	r := req(func(r *model.Request) { r.Time = time.Time{}; r.Data.Subjects = map[string]int64{"FR": 60} })
	if dec := eng.Evaluate(&Input{Request: r}, Options{}); dec.Outcome != model.Allow {
		t.Fatalf("in 2024 the threshold is 100: got %s", dec.Outcome)
	}
	eng.now = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	if dec := eng.Evaluate(&Input{Request: r}, Options{}); dec.Outcome != model.Deny {
		t.Fatalf("in 2026 the threshold is 50: got %s", dec.Outcome)
	}
	if !r.Time.IsZero() {
		t.Fatal("Evaluate modified the request")
	}
}

func TestFailClosed(t *testing.T) {
	eng := loadDir(t, "failclosed")
	tests := []struct {
		action   model.Action
		outcome  model.Outcome
		rule     string
		contains string
	}{
		{model.ActionAccess, model.Deny, "broken-deny", "could not be evaluated"},
		{model.ActionTransfer, model.Pending, "broken-require", "could not be evaluated"},
		{model.ActionCollect, model.Pending, "broken-satisfied", "satisfiedBy could not be evaluated"},
		{model.ActionDelete, model.Allow, "broken-obligate", "could not be evaluated"},
		{model.ActionModify, model.Deny, "broken-message", "message could not be rendered"},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			// Auto selection: the pack's applies errors too, so it is
			// evaluated (fail closed).
			dec := eng.Evaluate(&Input{Request: req(func(r *model.Request) { r.Action = tt.action })}, Options{Explain: true})
			if dec.Outcome != tt.outcome {
				t.Fatalf("outcome %s, want %s (%+v)", dec.Outcome, tt.outcome, dec.Reasons)
			}
			if len(dec.Reasons) != 1 || dec.Reasons[0].Rule != tt.rule || !strings.Contains(dec.Reasons[0].Message, tt.contains) {
				t.Fatalf("reasons %+v, want %s containing %q", dec.Reasons, tt.rule, tt.contains)
			}
			if tt.outcome == model.Allow && (len(dec.Obligations) != 1 || dec.Obligations[0].Rule != tt.rule) {
				t.Errorf("a failing obligate rule still imposes its obligation: %+v", dec.Obligations)
			}
			if tt.outcome == model.Pending && (len(dec.Requires) != 1 || dec.Requires[0].AuthorizationFrom != "FR") {
				t.Errorf("requires %+v", dec.Requires)
			}
			var sawApplies bool
			for _, tr := range dec.Explain {
				if tr.Rule == "(applies)" {
					sawApplies = strings.HasPrefix(tr.Result, "error:")
				}
			}
			if !sawApplies {
				t.Errorf("explain does not show the applies error: %+v", dec.Explain)
			}
		})
	}
}

func TestEvaluateNoRequest(t *testing.T) {
	eng := loadDir(t, "combine")
	for _, in := range []*Input{nil, {}} {
		if dec := eng.Evaluate(in, Options{}); dec.Outcome != model.Deny {
			t.Errorf("%+v: outcome %s, want deny", in, dec.Outcome)
		}
	}
}

// TestExplain checks that --explain lists every rule with its result and
// that the index (used without explain) never changes a decision.
func TestExplain(t *testing.T) {
	eng := loadDir(t, "combine")
	r := req(func(r *model.Request) { r.Data.Location = "DE"; r.Purpose = model.PurposeResearch })
	dec := eng.Evaluate(&Input{Request: r}, Options{Explain: true})
	var got []string
	for _, tr := range dec.Explain {
		got = append(got, fmt.Sprintf("%s/%s=%v:%s", tr.Pack, tr.Rule, tr.Fired, tr.Result))
	}
	want := []string{
		"alpha/alpha-bulk=false:false",
		"alpha/alpha-threshold=false:false",
		"alpha/alpha-location-authorization=true:true (not satisfied)",
		"alpha/alpha-destination=false:false",
		"alpha/alpha-notice=false:false",
		"beta/(applies)=true:true",
		"beta/beta-ethics=false:false",
		"beta/beta-retention=true:true",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("explain\n got %q\nwant %q", got, want)
	}
}

func TestIndexKeys(t *testing.T) {
	eng := loadDir(t, "combine")
	keys := map[string][2][]string{}
	for _, cp := range eng.packs {
		for _, cr := range cp.rules {
			keys[cr.rule.ID] = [2][]string{cr.actions, cr.purposes}
		}
	}
	want := map[string][2][]string{
		"alpha-bulk":                   {{"access", "collect"}, nil},
		"alpha-threshold":              {nil, nil},
		"alpha-location-authorization": {nil, nil},
		"alpha-destination":            {nil, nil},
		"alpha-notice":                 {nil, nil},
		"beta-ethics":                  {nil, {"research"}},
		"beta-retention":               {nil, {"research"}},
	}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("index keys\n got %v\nwant %v", keys, want)
	}
	// The candidates for a transfer for research skip alpha-bulk.
	var ids []string
	for _, cr := range eng.byName["alpha"].index.candidates(req(func(r *model.Request) { r.Action = model.ActionTransfer })) {
		ids = append(ids, cr.rule.ID)
	}
	if slices.Contains(ids, "alpha-bulk") || len(ids) != 4 {
		t.Errorf("candidates %v", ids)
	}
}

func TestIndexKeysForms(t *testing.T) {
	base, err := newBaseEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr              string
		actions, purposes []string
	}{
		{`request.action == "access"`, []string{"access"}, nil},
		{`"modify" == request.action && request.purpose == "maintenance"`, []string{"modify"}, []string{"maintenance"}},
		{`request.action in ["access", "collect"] && request.action in ["collect", "delete"]`, []string{"collect"}, nil},
		{`request.action == "access" || request.action == "collect"`, nil, nil},
		{`!(request.action == "access")`, nil, nil},
		{`request.action == "accesss"`, nil, nil}, // not a known action: no index
		{`request.data.location == "FR" && (request.purpose in ["research"])`, nil, []string{"research"}},
	}
	for _, tt := range tests {
		checked, iss := base.Compile(tt.expr)
		if iss.Err() != nil {
			t.Fatal(iss.Err())
		}
		a, p := indexKeys(checked)
		if !reflect.DeepEqual(a, tt.actions) || !reflect.DeepEqual(p, tt.purposes) {
			t.Errorf("%s: got %v %v, want %v %v", tt.expr, a, p, tt.actions, tt.purposes)
		}
	}
}

// TestIndexMatchesFullEvaluation evaluates the bundled packs on generated
// requests with and without the index: the reasons must be the same.
func TestIndexMatchesFullEvaluation(t *testing.T) {
	all, _ := filepath.Glob("packs/*.yaml")
	eng := benchEngine(t, PackFiles(all)...)
	n := 0
	for _, a := range model.Actions {
		for _, p := range append(model.Purposes, "") {
			for _, kind := range []string{model.KindStateAuthority, model.KindCompany} {
				r := req(func(r *model.Request) {
					r.Action, r.Purpose = a, p
					r.Requester.Kind = kind
					r.Data.Location = "DE"
					r.Data.Categories = []string{"personal.health"}
					r.Data.Subjects = map[string]int64{"DE": 5000, "US": 200}
					r.Destination = "CN"
				})
				fast := eng.Evaluate(&Input{Request: r}, Options{})
				full := eng.Evaluate(&Input{Request: r}, Options{Explain: true})
				full.Explain = nil
				if !reflect.DeepEqual(fast, full) {
					t.Fatalf("%s/%s/%s: index changes the decision\nfast %+v\nfull %+v", a, p, kind, fast, full)
				}
				n++
			}
		}
	}
	t.Logf("%d requests compared", n)
}

func TestNullableFields(t *testing.T) {
	base, err := newBaseEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	state := model.Principal{ID: "bka", Kind: model.KindStateAuthority, Jurisdiction: "DE"}
	tests := []struct {
		expr string
		req  *model.Request
		want any // bool, string, or error substring as errString
	}{
		{`request.on_behalf_of == null`, req(nil), true},
		{`has(request.on_behalf_of)`, req(nil), false},
		{`request.data.cii == null`, req(nil), true},
		{`request.history == null`, req(nil), true},
		{`isStateActor(request.on_behalf_of)`, req(nil), false},
		{`request.on_behalf_of.kind == "company"`, req(nil), errString("no such key")},
		{`request.on_behalf_of.kind`, req(func(r *model.Request) { r.OnBehalfOf = &state }), "state-authority"},
		{`isStateActor(request.on_behalf_of)`, req(func(r *model.Request) { r.OnBehalfOf = &state }), true},
		{`actingState(request)`, req(func(r *model.Request) { r.OnBehalfOf = &state }), "DE"},
		{`actingState(request)`, req(func(r *model.Request) { r.Requester = state }), "DE"},
		{`actingState(request)`, req(nil), ""},
		{`request.data.cii.state`, req(func(r *model.Request) { r.Data.CII = &model.CII{State: "FR", Sector: "energy"} }), "FR"},
		{`request.time == timestamp("2026-03-01T12:00:00Z")`, req(nil), true},
		{`"scc" in request.basis.measures`, req(func(r *model.Request) { r.Basis.Measures = []string{"bcr", "scc"} }), true},
		{`request.basis.measures.exists(m, m == "bcr") && !("x" in request.basis.measures)`, req(func(r *model.Request) { r.Basis.Measures = []string{"bcr", "scc"} }), true},
		{`request.basis.measures == []`, req(nil), true},
		{`request.basis.kind + "/" + request.basis.agreement`, req(func(r *model.Request) { r.Basis.Kind, r.Basis.Agreement = "mla", "de-fr-mlat" }), "mla/de-fr-mlat"},
		{`has(request.basis.ref)`, req(func(r *model.Request) { r.Basis.Ref = "case-1" }), true},
		{`has(request.basis.ref)`, req(nil), false},
		{`request.basis == request.basis`, req(nil), true},
	}
	for _, tt := range tests {
		checked, iss := base.Compile(tt.expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", tt.expr, iss.Err())
		}
		prg, err := base.Program(checked)
		if err != nil {
			t.Fatal(err)
		}
		s := &evalState{reqPtr: tt.req, authorized: emptyList}
		s.view.reset(tt.req)
		out, _, err := prg.Eval(s)
		switch w := tt.want.(type) {
		case errString:
			if err == nil || !strings.Contains(err.Error(), string(w)) {
				t.Errorf("%s: got %v, %v; want error %q", tt.expr, out, err, w)
			}
		default:
			if err != nil || out.Value() != w {
				t.Errorf("%s: got %v, %v; want %v", tt.expr, out, err, w)
			}
		}
	}
}

type errString string

func TestFunctions(t *testing.T) {
	base, err := newBaseEnv(fakeRegistry{})
	if err != nil {
		t.Fatal(err)
	}
	r := req(func(r *model.Request) {
		r.Data.Categories = []string{"personal.health", "technical.logs"}
		r.Data.Subjects = map[string]int64{"FR": 10, "DE": 0, "BE": 3}
		r.Data.Devices = 7
		r.Requester.Owners = map[string]float64{"CN": 30, "RU": 25, "FR": 45}
	})
	hist := &model.History{
		Rolling12m: map[string]map[string]model.Count{
			"FR": {"personal.health": {Subjects: 100, Devices: 2}, "personal.health.x": {Subjects: 5}, "personal.healthy": {Subjects: 1000}},
			"BE": {"personal.health": {Subjects: 1, Devices: 4}},
		},
		YearToDate: map[string]map[string]model.Count{"FR": {"personal": {Subjects: 40}}},
	}
	tests := []struct {
		expr string
		want any
	}{
		{`inBloc("FR", "EU")`, true},
		{`inBloc("US", "EU")`, false},
		{`agreementCovers("de-fr-mlat", "FR", "DE", "law-enforcement")`, true},
		{`agreementCovers("de-fr-mlat", "FR", "DE", "commercial")`, false},
		{`agreementCovers("us-gb-cloud", "US", "GB", "law-enforcement")`, true},
		{`agreementParties("de-fr-mlat") == ["DE", "FR"]`, true},
		{`statesOf(request.data.subjects) == ["BE", "FR"]`, true},
		{`total(request.data.subjects)`, int64(13)},
		{`hasCategory(request.data.categories, ["personal"])`, true},
		{`hasCategory(request.data.categories, ["personal.heal"])`, false},
		{`hasCategory(["personal.healthy"], ["personal.health"])`, false},
		{`hasPersonal(request.data.categories)`, true},
		{`hasPersonal(["technical"])`, false},
		{`sumOf(request.requester.owners, ["CN", "RU", "KP"])`, 55.0},
		{`sumOf(request.data.subjects, ["FR", "BE"])`, int64(13)},
		// history under the prefix (not personal.healthy) plus this request
		{`cumulative("12m", "FR", "personal.health")`, int64(100 + 5 + 10)},
		{`cumulative("12m", "BE", "personal.health")`, int64(1 + 3)},
		{`cumulative("12m", "US", "personal.health")`, int64(0)},
		{`cumulative("ytd", "FR", "personal")`, int64(40 + 10)},
		{`cumulative("12m", "FR", "personal.financial")`, int64(0)},
		{`cumulativeDevices("12m", "personal.health")`, int64(2 + 4 + 7)},
		// every subject state ("*"): history of FR and BE, this request's 13
		{`cumulative("12m", "*", "personal.health")`, int64(100 + 5 + 1 + 10 + 3)},
		{`cumulative("ytd", "*", "personal")`, int64(40 + 10 + 3)},
		{`cumulative("12m", "*", "personal.financial")`, int64(0)},
		// a list of prefixes: each history counter once (personal.healthy is
		// under neither), this request's subjects once though it has
		// categories under both
		{`cumulative("12m", "FR", ["personal.health", "technical"])`, int64(100 + 5 + 10)},
		{`cumulative("12m", "*", ["personal.health", "personal.healthy"])`, int64(100 + 5 + 1000 + 1 + 10 + 3)},
		{`cumulative("12m", "*", ["personal.health", "technical"])`, int64(100 + 5 + 1 + 10 + 3)},
		{`cumulative("12m", "*", ["personal.financial"])`, int64(0)},
		{`cumulative("12m", "*", [])`, int64(0)},
		{`agreementAuthorizes("de-fr-mlat", "FR", "DE", "law-enforcement", request.data.categories, [])`, true},
		{`agreementAuthorizes("de-fr-mlat", "FR", "DE", "commercial", request.data.categories, [])`, false},
		{`cumulative("1y", "FR", "personal")`, errString("unknown window")},
	}
	for _, tt := range tests {
		checked, iss := base.Compile(tt.expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", tt.expr, iss.Err())
		}
		prg, _ := base.Program(checked)
		s := &evalState{reqPtr: r, authorized: emptyList, input: evalInput{req: r, history: hist, at: r.Time}}
		s.view.reset(r)
		out, _, err := prg.Eval(s)
		if w, ok := tt.want.(errString); ok {
			if err == nil || !strings.Contains(err.Error(), string(w)) {
				t.Errorf("%s: got %v, %v; want error %q", tt.expr, out, err, w)
			}
			continue
		}
		if err != nil || out.Value() != tt.want {
			t.Errorf("%s: got %v (%T), %v; want %v", tt.expr, out, out.Value(), err, tt.want)
		}
	}
}

func TestCostLimitRejected(t *testing.T) {
	packs, err := Load(os.DirFS("testdata/cost"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(packs, nil)
	if err == nil {
		t.Fatal("a rule with cubic iteration over request data compiled")
	}
	for _, want := range []string{"nested.yaml:8:11", "rule nested-cubic", "when", "estimated cost", "exceeds the limit of 1000000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestRuntimeCostLimit feeds a request beyond the sizes the estimate
// assumes: the guarded program runs, and its limit stops an expression
// that would cost too much; the rule fails closed.
func TestRuntimeCostLimit(t *testing.T) {
	pack := `name: big
version: "1"
rules:
  - id: big-pairs
    effect: deny
    when: 'request.data.categories.exists(a, a == "never")'
    message: "m"
    citation: "c"
`
	packs, err := Load(fstest.MapFS{"big.yaml": {Data: []byte(pack)}})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Compile(packs, nil)
	if err != nil {
		t.Fatal(err)
	}
	small := req(func(r *model.Request) { r.Data.Categories = []string{"a", "b"} })
	if dec := eng.Evaluate(&Input{Request: small}, Options{}); dec.Outcome != model.Allow {
		t.Fatalf("small request: %s %+v", dec.Outcome, dec.Reasons)
	}
	cats := make([]string, 600_000)
	for i := range cats {
		cats[i] = fmt.Sprint("c", i)
	}
	big := req(func(r *model.Request) { r.Data.Categories = cats })
	dec := eng.Evaluate(&Input{Request: big}, Options{})
	if dec.Outcome != model.Deny || len(dec.Reasons) != 1 || !strings.Contains(dec.Reasons[0].Message, "cost limit") {
		t.Fatalf("big request: %s %+v", dec.Outcome, dec.Reasons)
	}
}

func TestCompileErrorsGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/compile/*.yaml")
	if len(files) == 0 {
		t.Fatal("no compile testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			packs, err := Load(os.DirFS("testdata/compile"), filepath.Base(f))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			_, err = Compile(packs, nil)
			if err == nil {
				t.Fatal("compiled without error")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("errors\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	const head = "name: p\nversion: \"1\"\n"
	rule := func(body string) string { return head + "rules:\n  - id: p-r\n" + body }
	okRule := "    effect: deny\n    when: 'true'\n    message: m\n    citation: c\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown pack key", head + "rulez: []\nrules: []\n", []string{"p.yaml:3:1", `unknown key "rulez"`}},
		{"missing rules", head, []string{"p.yaml:1:1", `missing required key "rules"`}},
		{"bad name", "name: P_1\nversion: \"1\"\nrules: []\n", []string{"p.yaml:1:7", "lower-case"}},
		{"unknown rule key", rule(okRule + "    severity: high\n"), []string{"p.yaml:9:5", "rule p-r", `unknown key "severity"`}},
		{"bad effect", rule("    effect: warn\n    when: 'true'\n    message: m\n    citation: c\n"), []string{"p.yaml:5:13", "rule p-r", `effect "warn"`}},
		{"message and messageExpression", rule(okRule + "    messageExpression: '\"x\"'\n"), []string{"p.yaml:9:5", "rule p-r", "not both"}},
		{"no message", rule("    effect: deny\n    when: 'true'\n    citation: c\n"), []string{"p.yaml:4:5", "rule p-r", "missing message"}},
		{"no citation", rule("    effect: deny\n    when: 'true'\n    message: m\n"), []string{"rule p-r", `missing required key "citation"`}},
		{"require without satisfiedBy", rule("    effect: require\n    when: 'true'\n    message: m\n    citation: c\n    requires:\n      basis: '\"mla\"'\n"), []string{"rule p-r", "needs satisfiedBy"}},
		{"require without requires", rule("    effect: require\n    when: 'true'\n    message: m\n    citation: c\n    satisfiedBy: 'true'\n"), []string{"rule p-r", "needs requires"}},
		{"requires on deny", rule(okRule + "    requires:\n      basis: '\"mla\"'\n"), []string{"p.yaml:9:5", "only for effect: require"}},
		{"unknown requires key", rule("    effect: require\n    when: 'true'\n    message: m\n    citation: c\n    requires:\n      consent_from: 'x'\n    satisfiedBy: 'true'\n"), []string{"p.yaml:10:7", `unknown key "consent_from"`}},
		{"duplicate id in a pack", head + "rules:\n  - id: p-r\n" + okRule + "  - id: p-r\n" + okRule, []string{"p.yaml:9:5", "rule p-r", "id already used at line 4"}},
		{"empty when", rule("    effect: deny\n    when: ''\n    message: m\n    citation: c\n"), []string{"p.yaml:6:11", "empty expression"}},
		{"param without valid_from", head + "params:\n  x:\n    - value: 1\n      source: s\n      article: a\nrules: []\n", []string{"p.yaml:5:7", `missing required key "valid_from"`}},
		{"param bad date", head + "params:\n  x:\n    - value: 1\n      source: s\n      article: a\n      valid_from: 1 May 2025\nrules: []\n", []string{"p.yaml:8:19", "want a date"}},
		{"param overlap", head + "params:\n  x:\n    - value: 1\n      source: s\n      article: a\n      valid_from: 2020-01-01\n    - value: 2\n      source: s\n      article: a\n      valid_from: 2024-01-01\nrules: []\n",
			[]string{"p.yaml:9:7", "param x", "overlaps the value at line 5", "open-ended"}},
		{"param overlap closed", head + "params:\n  x:\n    - value: 1\n      source: s\n      article: a\n      valid_from: 2020-01-01\n      valid_to: 2024-06-01\n    - value: 2\n      source: s\n      article: a\n      valid_from: 2024-01-01\nrules: []\n",
			[]string{"p.yaml:10:7", "overlaps", "to 2024-06-01"}},
		{"param valid_to before valid_from", head + "params:\n  x:\n    - value: 1\n      source: s\n      article: a\n      valid_from: 2020-01-01\n      valid_to: 2019-01-01\nrules: []\n", []string{"p.yaml:9:17", "not after valid_from"}},
		{"param type change", head + "params:\n  x:\n    - value: 1\n      source: s\n      article: a\n      valid_from: 2020-01-01\n      valid_to: 2021-01-01\n    - value: one\n      source: s\n      article: a\n      valid_from: 2021-01-01\nrules: []\n", []string{"p.yaml:10:7", "value is string but an earlier value is int"}},
		{"param mixed list", head + "params:\n  x:\n    - value: [1, a]\n      source: s\n      article: a\n      valid_from: 2020-01-01\nrules: []\n", []string{"p.yaml:5:18", "list mixes int and string"}},
		{"param bad name", head + "params:\n  Max-X:\n    - value: 1\n      source: s\n      article: a\n      valid_from: 2020-01-01\nrules: []\n", []string{"p.yaml:4:3", `param "Max-X"`}},
		{"approval on deny", rule(okRule + "    approval: holder\n"), []string{"p.yaml:9:5", "approval is only for effect: require"}},
		{"approval of an unknown kind", rule("    effect: require\n    when: 'true'\n    message: m\n    citation: c\n    requires:\n      measure: '\"x\"'\n    satisfiedBy: 'true'\n    approval: requester\n"), []string{"p.yaml:12:15", `approval "requester"`, `only approval kind is "holder"`}},
		{"approval of a computed measure", rule("    effect: require\n    when: 'true'\n    message: m\n    citation: c\n    requires:\n      measure: 'request.purpose'\n    satisfiedBy: 'true'\n    approval: holder\n"), []string{"p.yaml:12:5", "one string literal"}},
		{"approval without a measure", rule("    effect: require\n    when: 'true'\n    message: m\n    citation: c\n    requires:\n      basis: '\"mla\"'\n    satisfiedBy: 'true'\n    approval: holder\n"), []string{"p.yaml:12:5", "one string literal"}},
		{"not yaml", "name: [", []string{"load pack p.yaml"}},
		{"empty", "", []string{"empty file"}},
		{"not a mapping", "- a\n- b\n", []string{"p.yaml:1:1", "pack must be a mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"p.yaml": {Data: []byte(tt.yaml)}}, "p.yaml")
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadDuplicatesAcrossPacks(t *testing.T) {
	a := "name: a\nversion: \"1\"\nrules:\n  - id: shared\n    effect: deny\n    when: 'true'\n    message: m\n    citation: c\n"
	b := strings.Replace(a, "name: a", "name: b", 1)
	_, err := Load(fstest.MapFS{"a.yaml": {Data: []byte(a)}, "b.yaml": {Data: []byte(b)}})
	if err == nil || !strings.Contains(err.Error(), "b.yaml:4:5: rule shared: id already used at a.yaml:4:5") {
		t.Fatalf("err = %v", err)
	}
	_, err = Load(fstest.MapFS{"a.yaml": {Data: []byte(a)}, "c.yaml": {Data: []byte(a)}})
	if err == nil || !strings.Contains(err.Error(), `pack "a" is already defined at a.yaml`) {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadParams(t *testing.T) {
	packs, err := Load(os.DirFS("testdata/combine"), "alpha.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := packs[0].Params
	if len(p) != 2 || p[0].Name != "max_subjects" || len(p[0].Values) != 2 {
		t.Fatalf("params %+v", p)
	}
	v := p[0].Values[1]
	if v.Value != int64(50) || v.Article != "art. 1 (amended)" || !v.ValidFrom.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) || !v.ValidTo.IsZero() {
		t.Errorf("value %+v", v)
	}
	if !reflect.DeepEqual(p[1].Values[0].Value, []string{"KP", "IR"}) {
		t.Errorf("list %+v", p[1].Values[0].Value)
	}
}

func TestConcurrentEvaluate(t *testing.T) {
	eng := loadDir(t, "combine")
	inputs := []*Input{
		{Request: req(nil)},
		{Request: req(func(r *model.Request) { r.Data.Location = "DE" })},
		{Request: req(func(r *model.Request) { r.Data.Location = "DE" }), Authorized: []string{"DE"}},
		{Request: req(func(r *model.Request) { r.Selectors.Kind = model.SelectorBulk })},
		{Request: req(func(r *model.Request) {
			r.Purpose = model.PurposeResearch
			r.Data.Categories = []string{"personal.genomic"}
		})},
		{Request: req(func(r *model.Request) { r.Time = time.Time{}; r.Data.Subjects = map[string]int64{"FR": 75} })},
	}
	want := make([]model.Decision, len(inputs))
	for i, in := range inputs {
		want[i] = eng.Evaluate(in, Options{})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := (g + i) % len(inputs)
				if got := eng.Evaluate(inputs[k], Options{}); !reflect.DeepEqual(got, want[k]) {
					errs <- fmt.Sprintf("input %d: got %+v, want %+v", k, got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestEmbeddedPacksCompile(t *testing.T) {
	all, err := filepath.Glob("packs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := PackFiles(all)
	if len(files) == 0 {
		t.Skip("no bundled packs yet")
	}
	eng := benchEngine(t, files...)
	if len(eng.Packs()) != len(files) {
		t.Fatalf("%d packs compiled, want %d", len(eng.Packs()), len(files))
	}
}

func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"testdata/combine", "testdata/failclosed", "testdata/compile", "testdata/cost", "testdata/example", "testdata/variables", "testdata/translations"} {
		files, _ := filepath.Glob(dir + "/*.yaml")
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("name: x\nversion: \"1\"\nparams: {a: [{value: [1, 2], source: s, article: a, valid_from: 2020-01-01}]}\nrules: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		packs, err := Load(fstest.MapFS{"f.yaml": {Data: data}}, "f.yaml")
		if err != nil {
			return
		}
		eng, err := Compile(packs, fakeRegistry{})
		if err != nil {
			return
		}
		eng.Evaluate(&Input{Request: req(nil)}, Options{Explain: true, Lang: "fr"})
	})
}

// FuzzEvaluate decodes arbitrary request JSON and evaluates it with the
// bundled and test packs: whatever the request, Evaluate gives one of the
// three outcomes and never panics.
func FuzzEvaluate(f *testing.F) {
	files, _ := filepath.Glob("../../examples/requests/*.json")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"action":"access","requester":{"id":"","kind":"state-authority","jurisdiction":"US"},"on_behalf_of":{"id":"x","kind":"company","jurisdiction":"FR"},"data":{"location":"FR","cii":{"state":"FR"},"subjects":{"FR":0}}}`))
	all, _ := filepath.Glob("packs/*.yaml")
	bundled := benchEngine(f, PackFiles(all)...)
	tests := loadDir(f, "combine")
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := model.DecodeRequest(data, nil)
		if err != nil {
			return
		}
		for _, eng := range []*Engine{bundled, tests} {
			dec := eng.Evaluate(&Input{Request: r, History: r.History, Authorized: r.Data.Origin}, Options{Explain: true})
			switch dec.Outcome {
			case model.Allow, model.Deny, model.Pending:
			default:
				t.Fatalf("outcome %q", dec.Outcome)
			}
		}
	})
}
