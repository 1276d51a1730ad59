package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// seeded is one decision recorded for the listing tests.
type seeded struct {
	id, principal, requesterState, onBehalfState, location string
	subjects                                               map[string]int64
	origin                                                 []string
	action                                                 model.Action
	purpose                                                model.Purpose
	outcome                                                model.Outcome
	rule, pack                                             string
	requires                                               []model.Requirement
}

// listingSeed: acme (requester, FR) and globex (requester, US) ask; cnil
// is the FR authority. x-de-us involves neither FR nor acme.
var listingSeed = []seeded{
	{id: "a-fr-allow", principal: "acme", requesterState: "FR", location: "FR", origin: []string{"FR"}, subjects: map[string]int64{"FR": 12},
		action: model.ActionTransfer, purpose: model.PurposeCommercial, outcome: model.Allow, rule: "gdpr-adequacy", pack: "gdpr"},
	{id: "g-us-de-deny", principal: "globex", requesterState: "US", location: "DE", origin: []string{"DE"}, subjects: map[string]int64{"DE": 3},
		action: model.ActionAccess, purpose: model.PurposeResearch, outcome: model.Deny, rule: "gdpr-no-basis", pack: "gdpr"},
	{id: "g-us-fr-subjects", principal: "globex", requesterState: "US", location: "US", origin: []string{"US"}, subjects: map[string]int64{"US": 4, "FR": 1},
		action: model.ActionTransfer, purpose: model.PurposeCommercial, outcome: model.Pending, rule: "us-dsp-measure", pack: "us-dsp",
		requires: []model.Requirement{{Measure: "scc", Rule: "us-dsp-measure", Pack: "us-dsp"}}},
	{id: "g-for-fr", principal: "globex", requesterState: "US", onBehalfState: "FR", location: "DE", origin: []string{"DE"}, subjects: map[string]int64{"DE": 2},
		action: model.ActionAccess, purpose: model.PurposeLawEnforcement, outcome: model.Pending, rule: "gdsi-5-foreign-access", pack: "gdsi",
		requires: []model.Requirement{{AuthorizationFrom: "DE", Rule: "gdsi-5-foreign-access", Pack: "gdsi"}}},
	{id: "g-origin-fr", principal: "globex", requesterState: "US", location: "DE", origin: []string{"FR", "DE"}, subjects: map[string]int64{"DE": 1},
		action: model.ActionAccess, purpose: model.PurposeResearch, outcome: model.Allow, rule: "gdpr-adequacy", pack: "gdpr"},
	{id: "x-de-us", principal: "globex", requesterState: "US", location: "DE", origin: []string{"DE"}, subjects: map[string]int64{"DE": 9},
		action: model.ActionAccess, purpose: model.PurposeResearch, outcome: model.Deny, rule: "gdsi-3-bulk", pack: "gdsi"},
}

// listingT0 is the time of the first seeded decision; each next is a
// minute later.
var listingT0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func (e *env) seedListing() {
	e.t.Helper()
	for i, s := range listingSeed {
		idx := uint64(10 + i)
		req := &model.Request{Action: s.action, Purpose: s.purpose,
			Requester: model.Principal{ID: s.principal, Kind: model.KindCompany, Jurisdiction: s.requesterState},
			Data:      model.Data{Location: s.location, Origin: s.origin, Subjects: s.subjects, Categories: []string{"personal.contact"}}}
		if s.onBehalfState != "" {
			req.OnBehalfOf = &model.Principal{ID: "dgsi", Kind: model.KindStateAuthority, Jurisdiction: s.onBehalfState}
		}
		at := listingT0.Add(time.Duration(i) * time.Minute)
		dec := &model.Decision{ID: s.id, Outcome: s.outcome, Binding: true, LogIndex: &idx, Time: at, Requires: s.requires,
			Reasons: []model.Reason{{Rule: s.rule, Pack: s.pack, Effect: "deny", Message: "Jean Dupont's file", Citation: "Art. 1"}},
			Packs:   []model.PackOutcome{{Pack: s.pack, Version: "1", Outcome: s.outcome}}}
		priv, _ := json.Marshal(map[string]any{"request": req, "decision": dec})
		sum := store.SummaryFor(req, dec)
		err := e.st.RecordDecision(context.Background(), store.DecisionRecord{ID: s.id, LogIndex: idx, Principal: s.principal,
			Outcome: s.outcome, Private: priv, Salt: []byte("0123456789abcdef0123456789abcdef"), Created: at, Summary: &sum}, nil)
		if err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) listIDs(token, query string) ([]string, answer) {
	e.t.Helper()
	a := e.do(call{method: "GET", path: "/v1/decisions" + query, token: token})
	if a.status != 200 {
		return nil, a
	}
	var l api.DecisionList
	if err := json.Unmarshal(a.body, &l); err != nil {
		e.t.Fatalf("list %s: %v", query, err)
	}
	out := []string{}
	for _, d := range l.Decisions {
		out = append(out, d.ID)
	}
	return out, a
}

// TestListDecisionsVisibility: what each role sees, and that no filter,
// combination or crafted page token widens it.
func TestListDecisionsVisibility(t *testing.T) {
	e := newEnv(t)
	e.seedListing()
	all := []string{"x-de-us", "g-origin-fr", "g-for-fr", "g-us-fr-subjects", "g-us-de-deny", "a-fr-allow"}
	globex := []string{"x-de-us", "g-origin-fr", "g-for-fr", "g-us-fr-subjects", "g-us-de-deny"}
	// cnil is FR's authority: location, origin, subject state, acting state.
	fr := []string{"g-origin-fr", "g-for-fr", "g-us-fr-subjects", "a-fr-allow"}
	cases := []struct {
		name, token, query string
		want               []string
	}{
		{"auditor sees all", e.tokens[store.RoleAuditor], "", all},
		{"admin sees all", e.tokens[store.RoleAdmin], "", all},
		{"requester sees its own", e.tokens[store.RoleRequester], "", []string{"a-fr-allow"}},
		{"another requester sees its own", e.tokens["globex/requester"], "", globex},
		{"requester probing another's location", e.tokens[store.RoleRequester], "?location=DE", []string{}},
		{"requester probing another's requesting state", e.tokens[store.RoleRequester], "?requesting_state=US", []string{}},
		{"requester probing pending on DE", e.tokens[store.RoleRequester], "?pending_on=DE", []string{}},
		{"authority sees what involves its state", e.tokens[store.RoleAuthority], "", fr},
		{"authority probing an unrelated location", e.tokens[store.RoleAuthority], "?location=DE&purpose=research", []string{"g-origin-fr"}},
		{"authority probing another state's subjects", e.tokens[store.RoleAuthority], "?subject_state=DE&outcome=deny", []string{}},
		{"authority probing another requesting state", e.tokens[store.RoleAuthority], "?requesting_state=US", []string{"g-origin-fr", "g-us-fr-subjects"}},
		{"authority probing by rule", e.tokens[store.RoleAuthority], "?rule=gdsi-3-bulk", []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, a := e.listIDs(c.token, c.query)
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	// A page token that points anywhere only positions: the scope holds.
	crafted := url.QueryEscape(pageTokenFor(listingT0.Add(time.Hour), 1<<40))
	if got, _ := e.listIDs(e.tokens[store.RoleRequester], "?page_token="+crafted); !slices.Equal(got, []string{"a-fr-allow"}) {
		t.Errorf("requester with a crafted page token: %v", got)
	}
	if got, _ := e.listIDs(e.tokens[store.RoleAuthority], "?page_token="+crafted); !slices.Equal(got, fr) {
		t.Errorf("authority with a crafted page token: %v", got)
	}
	// The authority role held by a company's principal: nothing to scope
	// by, so nothing (403), not everything.
	companyAuthority := e.token("globex", store.RoleAuthority, time.Now(), 0)
	if _, a := e.listIDs(companyAuthority, ""); a.status != 403 {
		t.Errorf("authority role of a company: %d, want 403", a.status)
	}
	// The operator role lists nothing: 403.
	if _, a := e.listIDs(e.tokens[store.RoleOperator], ""); a.status != 403 {
		t.Errorf("operator: %d, want 403", a.status)
	}
	// Summaries carry no free text and no personal data.
	a := e.do(call{method: "GET", path: "/v1/decisions", token: e.tokens[store.RoleAuditor]})
	for _, leak := range []string{"Dupont", "Art. 1", "acme", "globex", "dgsi", "principal", "personal.contact"} {
		if strings.Contains(string(a.body), leak) {
			t.Errorf("listing shows %q:\n%s", leak, a.body)
		}
	}
}

// pageTokenFor builds a page token as the server does (base64url of
// "p1:" and the cursor), as an attacker could.
func pageTokenFor(at time.Time, idx uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p1:" + store.DecisionCursor{Time: at, LogIndex: idx}.String()))
}

// TestListDecisionsFilters: each filter, the time range and pages.
func TestListDecisionsFilters(t *testing.T) {
	e := newEnv(t)
	e.seedListing()
	tok := e.tokens[store.RoleAuditor]
	at := func(m int) string {
		return url.QueryEscape(listingT0.Add(time.Duration(m) * time.Minute).Format(time.RFC3339))
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"?outcome=pending", []string{"g-for-fr", "g-us-fr-subjects"}},
		{"?pack=gdsi", []string{"x-de-us", "g-for-fr"}},
		{"?rule=gdpr-adequacy", []string{"g-origin-fr", "a-fr-allow"}},
		{"?requesting_state=FR", []string{"g-for-fr", "a-fr-allow"}},
		{"?location=US", []string{"g-us-fr-subjects"}},
		{"?subject_state=FR", []string{"g-us-fr-subjects", "a-fr-allow"}},
		{"?action=transfer", []string{"g-us-fr-subjects", "a-fr-allow"}},
		{"?purpose=law-enforcement", []string{"g-for-fr"}},
		{"?pending_on=DE", []string{"g-for-fr"}},
		{"?pending_on=scc", []string{"g-us-fr-subjects"}},
		{"?since=" + at(4), []string{"x-de-us", "g-origin-fr"}},
		{"?until=" + at(1), []string{"a-fr-allow"}},
		{"?since=" + at(1) + "&until=" + at(3) + "&outcome=pending", []string{"g-us-fr-subjects"}},
		{"?location=DE&purpose=research&outcome=deny", []string{"x-de-us", "g-us-de-deny"}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			got, a := e.listIDs(tok, c.query)
			if a.status != 200 || !slices.Equal(got, c.want) {
				t.Errorf("got %d %v, want %v", a.status, got, c.want)
			}
		})
	}
	// Pages of two walk the whole list once, newest first.
	var walked []string
	q := "?page_size=2"
	for range 5 {
		a := e.do(call{method: "GET", path: "/v1/decisions" + q, token: tok})
		var l api.DecisionList
		if err := json.Unmarshal(a.body, &l); err != nil || a.status != 200 {
			t.Fatalf("page %s: %d %v", q, a.status, err)
		}
		for _, d := range l.Decisions {
			walked = append(walked, d.ID)
		}
		if l.NextPageToken == "" {
			break
		}
		q = "?page_size=2&page_token=" + url.QueryEscape(l.NextPageToken)
	}
	if want := []string{"x-de-us", "g-origin-fr", "g-for-fr", "g-us-fr-subjects", "g-us-de-deny", "a-fr-allow"}; !slices.Equal(walked, want) {
		t.Errorf("walked %v, want %v", walked, want)
	}
}

// TestListDecisionsBadParams: each bad parameter is a 400 naming it.
func TestListDecisionsBadParams(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens[store.RoleAuditor]
	cases := []struct{ query, field string }{
		{"?state=FR", "state"},
		{"?outcome=maybe", "outcome"},
		{"?outcome=allow&outcome=deny", "outcome"},
		{"?location=fr", "location"},
		{"?location=UK", "location"},
		{"?requesting_state=XX", "requesting_state"},
		{"?subject_state=FRA", "subject_state"},
		{"?action=steal", "action"},
		{"?purpose=fun", "purpose"},
		{"?pack=%3Cscript%3E", "pack"},
		{"?rule=" + strings.Repeat("r", 200), "rule"},
		{"?pending_on=ZZ", "pending_on"},
		{"?pending_on=a%20b", "pending_on"},
		{"?since=yesterday", "since"},
		{"?until=2026-13-01T00:00:00Z", "until"},
		{"?since=2026-11-22T10:00:00Z&until=2026-11-22T10:00:00Z", "until"},
		{"?format=xml", "format"},
		{"?page_size=0", "page_size"},
		{"?page_size=1001", "page_size"},
		{"?page_token=not-a-token", "page_token"},
		{"?page_token=" + pageTokenFor(listingT0, 1)[:6], "page_token"},
		{"?page_token=" + base64.RawURLEncoding.EncodeToString([]byte("p1:12.x")), "page_token"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			a := e.do(call{method: "GET", path: "/v1/decisions" + c.query, token: tok, invalid: true})
			if a.status != 400 || a.problem.Field != c.field {
				t.Errorf("got %d field %q (%s), want 400 naming %q", a.status, a.problem.Field, a.problem.Detail, c.field)
			}
		})
	}
}

// TestListDecisionsCSV: the CSV export against its golden file, chosen by
// format or by Accept, with the next page in the headers.
func TestListDecisionsCSV(t *testing.T) {
	e := newEnv(t)
	e.seedListing()
	tok := e.tokens[store.RoleAuditor]
	a := e.do(call{method: "GET", path: "/v1/decisions?format=csv", token: tok})
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("status %d, %s", a.status, a.header.Get("Content-Type"))
	}
	golden := filepath.Join("testdata", "decisions.csv")
	if *updateGolden {
		if err := os.WriteFile(golden, a.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.body) != string(want) {
		t.Errorf("CSV differs from %s (go test -run TestListDecisionsCSV -update):\n%s", golden, a.body)
	}
	b := e.do(call{method: "GET", path: "/v1/decisions", token: tok, header: map[string]string{"Accept": "text/csv"}})
	if string(b.body) != string(want) {
		t.Errorf("Accept: text/csv answered:\n%s", b.body)
	}
	// One page, and the next one named in the headers.
	p := e.do(call{method: "GET", path: "/v1/decisions?format=csv&page_size=4&outcome=allow", token: tok})
	if lines := strings.Count(string(p.body), "\r\n"); lines != 3 || p.header.Get("Next-Page-Token") != "" {
		t.Errorf("allow page: %d lines, next %q", lines, p.header.Get("Next-Page-Token"))
	}
	p = e.do(call{method: "GET", path: "/v1/decisions?format=csv&page_size=4", token: tok})
	next := p.header.Get("Next-Page-Token")
	if lines := strings.Count(string(p.body), "\r\n"); lines != 5 || next == "" || !strings.Contains(p.header.Get("Link"), "page_token="+url.QueryEscape(next)) {
		t.Fatalf("first page: %d lines, next %q, link %q", lines, next, p.header.Get("Link"))
	}
	p = e.do(call{method: "GET", path: "/v1/decisions?format=csv&page_size=4&page_token=" + url.QueryEscape(next), token: tok})
	if lines := strings.Count(string(p.body), "\r\n"); lines != 3 || p.header.Get("Next-Page-Token") != "" {
		t.Errorf("second page: %d lines, next %q", lines, p.header.Get("Next-Page-Token"))
	}
}

// TestDecisionRecord: the private record for its requester and auditors,
// byte for byte, and for no one else.
func TestDecisionRecord(t *testing.T) {
	e := newEnv(t)
	e.seedListing()
	cases := []struct {
		name, token, id string
		status          int
	}{
		{"own", e.tokens[store.RoleRequester], "a-fr-allow", 200},
		{"another's", e.tokens[store.RoleRequester], "g-for-fr", 404},
		{"missing", e.tokens[store.RoleRequester], "nope", 404},
		{"auditor", e.tokens[store.RoleAuditor], "g-for-fr", 200},
		{"admin", e.tokens[store.RoleAdmin], "g-for-fr", 200},
		{"authority, even of a state involved", e.tokens[store.RoleAuthority], "g-for-fr", 403},
		{"operator", e.tokens[store.RoleOperator], "g-for-fr", 403},
		{"no token", "", "g-for-fr", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(call{method: "GET", path: "/v1/decisions/" + c.id + "/record", token: c.token})
			if a.status != c.status {
				t.Fatalf("status %d, want %d: %s", a.status, c.status, a.body)
			}
			if c.status != 200 {
				return
			}
			if a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", a.header.Get("Cache-Control"))
			}
			var p ledger.Private
			if err := json.Unmarshal(a.body, &p); err != nil {
				t.Fatal(err)
			}
			rec, err := e.st.Decision(context.Background(), c.id)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(append(append([]byte{}, rec.Salt...), rec.Private...))
			if p.Hash() != hex.EncodeToString(sum[:]) || string(p.Record) != string(rec.Private) {
				t.Errorf("record does not hash as stored:\n%s", a.body)
			}
		})
	}
	if a := e.do(call{method: "GET", path: "/v1/decisions/a-fr-allow/record?x=1", token: e.tokens[store.RoleAuditor], invalid: true}); a.status != 400 || a.problem.Field != "x" {
		t.Errorf("unknown parameter: %d %q", a.status, a.problem.Field)
	}
}

// FuzzListDecisionsQuery sends arbitrary query strings to GET
// /v1/decisions, as each role: every answer is 200 or a 400 problem,
// never a 5xx or a panic, and a requester never sees another's decision.
func FuzzListDecisionsQuery(f *testing.F) {
	for _, s := range []string{"", "outcome=pending", "location=FR&since=2026-11-22T10:00:00Z", "pending_on=scc&format=csv",
		"page_token=cDE6MS4y", "page_size=1&until=2026-11-22T10:03:00Z", "outcome=allow&outcome=deny", "%zz", "format=csv&page_token=%00"} {
		f.Add(s)
	}
	e := newEnv(f)
	e.seedListing()
	h := api.New(*e.cfg)
	f.Fuzz(func(t *testing.T, query string) {
		for _, role := range []string{store.RoleRequester, store.RoleAuthority, store.RoleAuditor} {
			req := httptest.NewRequest("GET", "/v1/decisions", nil)
			req.URL.RawQuery = query
			req.Header.Set("Authorization", "Bearer "+e.tokens[role])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			switch {
			case w.Code == 200:
				if role == store.RoleRequester && strings.Contains(w.Body.String(), "g-") {
					t.Fatalf("%q: a requester sees another's decision:\n%s", query, w.Body)
				}
			case w.Code == 400 && w.Header().Get("Content-Type") == "application/problem+json":
			default:
				t.Fatalf("%q as %s: %d %s", query, role, w.Code, w.Body)
			}
		}
	})
}
