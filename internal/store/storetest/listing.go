package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// listed is one decision of the listing fixture.
type listed struct {
	id, principal, requester, onBehalf, location string
	origin                                       []string
	subjects                                     map[string]int64
	action, purpose                              string
	outcome                                      model.Outcome
	reasons                                      [][2]string // pack, rule
	requires                                     []model.Requirement
	minutes                                      int // after day0
}

// listingFixture is recorded oldest first; log indexes follow the order.
var listingFixture = []listed{
	{id: "d0", principal: "acme", requester: "FR", location: "FR", origin: []string{"FR"}, subjects: map[string]int64{"FR": 10},
		action: "transfer", purpose: "commercial", outcome: model.Allow, reasons: [][2]string{{"gdpr", "adequacy"}}, minutes: 0},
	{id: "d1", principal: "acme", requester: "FR", location: "FR", origin: []string{"FR", "BE"}, subjects: map[string]int64{"FR": 5, "BE": 1, "DE": 0},
		action: "transfer", purpose: "commercial", outcome: model.Deny, reasons: [][2]string{{"gdpr", "no-basis"}, {"gdsi", "bulk"}}, minutes: 1},
	{id: "d2", principal: "bka", requester: "DE", location: "FR", origin: []string{"FR"}, subjects: map[string]int64{"FR": 1},
		action: "access", purpose: "law-enforcement", outcome: model.Pending, reasons: [][2]string{{"gdsi", "sovereignty"}},
		requires: []model.Requirement{{AuthorizationFrom: "FR", Rule: "sovereignty", Pack: "gdsi"}}, minutes: 2},
	{id: "d3", principal: "globex", requester: "US", onBehalf: "CN", location: "US", origin: []string{"US"}, subjects: map[string]int64{"US": 3},
		action: "transfer", purpose: "research", outcome: model.Pending, reasons: [][2]string{{"us-dsp", "measure"}},
		requires: []model.Requirement{{Measure: "scc", Rule: "measure", Pack: "us-dsp"}}, minutes: 3},
	{id: "d4", principal: "acme", requester: "FR", location: "IT", origin: []string{"IT"}, subjects: map[string]int64{"IT": 2},
		action: "transfer", purpose: "commercial", outcome: model.Allow, minutes: 3}, // same minute as d3: the log index orders them
	{id: "d5-voided", principal: "acme", requester: "FR", location: "FR", subjects: map[string]int64{"FR": 1},
		action: "transfer", purpose: "commercial", outcome: model.Allow, minutes: 5},
}

// recordListing records the fixture: d5 is voided after recording, and
// d4 is recorded without a summary (derived from its private record).
func recordListing(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	for i, l := range listingFixture {
		idx := uint64(100 + i)
		req := &model.Request{Action: model.Action(l.action), Purpose: model.Purpose(l.purpose),
			Requester: model.Principal{ID: l.principal, Kind: model.KindCompany, Jurisdiction: l.requester},
			Data:      model.Data{Location: l.location, Origin: l.origin, Subjects: l.subjects}}
		if l.onBehalf != "" {
			req.OnBehalfOf = &model.Principal{ID: "mss", Kind: model.KindStateAuthority, Jurisdiction: l.onBehalf}
		}
		at := day0.Add(time.Duration(l.minutes) * time.Minute)
		dec := &model.Decision{ID: l.id, Outcome: l.outcome, Binding: true, LogIndex: &idx, Time: at, Requires: l.requires}
		for _, r := range l.reasons {
			dec.Reasons = append(dec.Reasons, model.Reason{Pack: r[0], Rule: r[1], Effect: "deny", Message: "free text a listing must not show"})
		}
		private, err := json.Marshal(map[string]any{"request": req, "decision": dec})
		if err != nil {
			t.Fatal(err)
		}
		rec := store.DecisionRecord{ID: l.id, LogIndex: idx, Principal: l.principal, Outcome: l.outcome, Private: private, Salt: []byte{1}, Created: at}
		if l.id != "d4" {
			sum := store.SummaryFor(req, dec)
			rec.Summary = &sum
		}
		must(t, "record "+l.id, s.RecordDecision(ctx, rec, nil))
	}
	must(t, "void d5", s.RecordVoid(ctx, store.Void{LogIndex: 105, VoidIndex: 106, DecisionID: "d5-voided", Created: day0}))
}

func ids(sums []store.DecisionSummary) []string {
	out := []string{}
	for _, s := range sums {
		out = append(out, s.ID)
	}
	return out
}

// testListDecisions checks every filter, both role scopes, the time range,
// keyset pages and what a summary holds.
func testListDecisions(t *testing.T, s store.Store) {
	ctx := context.Background()
	recordListing(t, s)
	at := func(m int) time.Time { return day0.Add(time.Duration(m) * time.Minute) }
	cases := []struct {
		name string
		q    store.DecisionQuery
		want []string
	}{
		{"all, newest first, voided left out", store.DecisionQuery{}, []string{"d4", "d3", "d2", "d1", "d0"}},
		{"outcome", store.DecisionQuery{Outcome: "pending"}, []string{"d3", "d2"}},
		{"pack", store.DecisionQuery{Pack: "gdsi"}, []string{"d2", "d1"}},
		{"rule", store.DecisionQuery{Rule: "no-basis"}, []string{"d1"}},
		{"requesting state is the acting state", store.DecisionQuery{RequestingState: "CN"}, []string{"d3"}},
		{"requesting state is not the requester's own when acting for another", store.DecisionQuery{RequestingState: "US"}, []string{}},
		{"location", store.DecisionQuery{Location: "FR"}, []string{"d2", "d1", "d0"}},
		{"subject state", store.DecisionQuery{SubjectState: "BE"}, []string{"d1"}},
		{"subject state counted zero is not one", store.DecisionQuery{SubjectState: "DE"}, []string{}},
		{"action", store.DecisionQuery{Action: "access"}, []string{"d2"}},
		{"purpose", store.DecisionQuery{Purpose: "commercial"}, []string{"d4", "d1", "d0"}},
		{"pending on a state", store.DecisionQuery{PendingOn: "FR"}, []string{"d2"}},
		{"pending on a measure", store.DecisionQuery{PendingOn: "scc"}, []string{"d3"}},
		{"since inclusive", store.DecisionQuery{Since: at(2)}, []string{"d4", "d3", "d2"}},
		{"until exclusive", store.DecisionQuery{Until: at(2)}, []string{"d1", "d0"}},
		{"range with a filter", store.DecisionQuery{Since: at(1), Until: at(3), Outcome: "deny"}, []string{"d1"}},
		{"two filters", store.DecisionQuery{Purpose: "commercial", Location: "FR"}, []string{"d1", "d0"}},
		{"requester scope", store.DecisionQuery{Principal: "acme"}, []string{"d4", "d1", "d0"}},
		{"requester scope with another's filter", store.DecisionQuery{Principal: "acme", PendingOn: "FR"}, []string{}},
		{"authority scope: location, origin, subjects", store.DecisionQuery{State: "BE"}, []string{"d1"}},
		{"authority scope: requesting state", store.DecisionQuery{State: "DE"}, []string{"d2"}},
		{"authority scope: acting and requester state", store.DecisionQuery{State: "CN"}, []string{"d3"}},
		{"authority scope: requester's own state", store.DecisionQuery{State: "US"}, []string{"d3"}},
		{"authority scope with a filter", store.DecisionQuery{State: "FR", Outcome: "pending"}, []string{"d2"}},
		{"unknown value", store.DecisionQuery{Pack: "nope"}, []string{}},
	}
	for _, c := range cases {
		c.q.Limit = 100
		got, err := s.ListDecisions(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(ids(got), c.want) {
			t.Errorf("%s: got %v, want %v", c.name, ids(got), c.want)
		}
	}

	// Pages of two, by cursor, walk the same list once.
	var walked []string
	q := store.DecisionQuery{Limit: 2}
	for range 10 {
		page, err := s.ListDecisions(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, ids(page)...)
		if len(page) < 2 {
			break
		}
		last := page[len(page)-1]
		q.After = &store.DecisionCursor{Time: last.Time, LogIndex: last.LogIndex}
		if c, err := store.ParseDecisionCursor(q.After.String()); err != nil || c != *q.After {
			t.Fatalf("cursor round trip: %v, %v", c, err)
		}
	}
	if want := []string{"d4", "d3", "d2", "d1", "d0"}; !slices.Equal(walked, want) {
		t.Errorf("pages walked %v, want %v", walked, want)
	}
	// The same with a facet filter driving.
	page, err := s.ListDecisions(ctx, store.DecisionQuery{Purpose: "commercial", Limit: 1, After: &store.DecisionCursor{Time: at(3), LogIndex: 104}})
	if err != nil || !slices.Equal(ids(page), []string{"d1"}) {
		t.Errorf("page after d4 of purpose commercial = %v, %v; want [d1]", ids(page), err)
	}

	// What a summary holds: codes and counts, lists never null.
	all, err := s.ListDecisions(ctx, store.DecisionQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.DecisionSummary{}
	for _, x := range all {
		byID[x.ID] = x
	}
	d1 := byID["d1"]
	if d1.LogIndex != 101 || !d1.Time.Equal(at(1)) || d1.Outcome != model.Deny || d1.Action != "transfer" || d1.Purpose != "commercial" ||
		d1.RequestingState != "FR" || d1.Location != "FR" || !slices.Equal(d1.Origin, []string{"BE", "FR"}) ||
		!slices.Equal(d1.SubjectStates, []string{"BE", "FR"}) || !slices.Equal(d1.Packs, []string{"gdpr", "gdsi"}) ||
		!slices.Equal(d1.Rules, []string{"no-basis", "bulk"}) || !d1.Binding {
		t.Errorf("summary of d1 = %+v", d1)
	}
	d3 := byID["d3"]
	if !slices.Equal(d3.PendingOn.Measures, []string{"scc"}) || len(d3.PendingOn.States) != 0 || d3.PendingOn.States == nil {
		t.Errorf("pending_on of d3 = %+v", d3.PendingOn)
	}
	d4 := byID["d4"] // derived from the private record
	if d4.Location != "IT" || d4.Action != "transfer" || !slices.Equal(d4.SubjectStates, []string{"IT"}) || d4.Rules == nil || d4.Packs == nil {
		t.Errorf("summary of d4 (from its private record) = %+v", d4)
	}
	js, _ := json.Marshal(d1)
	for _, leak := range []string{"free text", "acme", "principal"} {
		if strings.Contains(string(js), leak) {
			t.Errorf("summary JSON %s shows %q", js, leak)
		}
	}

	// Bad queries change nothing and name what is wrong.
	for _, q := range []store.DecisionQuery{{Limit: 0}, {Limit: store.MaxListLimit + 1}, {Limit: 1, Since: at(3), Until: at(3)}} {
		if _, err := s.ListDecisions(ctx, q); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ListDecisions(%+v) = %v, want ErrInvalid", q, err)
		}
	}
}

// OldDecisionsAt is when the first of OldPrivateDecisions was made; each
// next one a minute later.
var OldDecisionsAt = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// OldPrivateDecisions are the private records a test of migration 10 puts
// into the decisions table of an old schema (ids old-0, old-1, … at log
// indexes 0, 1, …, principal bka, outcome pending), for
// CheckUpgradedSummaries: a pending decision on data in FR asked by DE,
// and a record that does not decode.
var OldPrivateDecisions = []string{
	`{"request":{"action":"access","requester":{"id":"bka","kind":"state-authority","jurisdiction":"DE"},"on_behalf_of":null,"data":{"location":"FR","subjects":{"FR":2}},"purpose":"law-enforcement"},` +
		`"decision":{"outcome":"pending","reasons":[{"rule":"gdsi-5","pack":"gdsi","effect":"require","message":"m","citation":"c"}],"requires":[{"authorization_from":"FR","rule":"gdsi-5","pack":"gdsi"}],"binding":true,"time":"2026-11-22T10:00:00Z"}}`,
	"not json",
}

// CheckUpgradedSummaries checks that s, upgraded past migration 10 from
// decisions holding OldPrivateDecisions, lists and filters the one that
// decodes like a new one, and still lists the one that does not.
func CheckUpgradedSummaries(t *testing.T, s store.DecisionLister) {
	t.Helper()
	ctx := context.Background()
	got, err := s.ListDecisions(ctx, store.DecisionQuery{PendingOn: "FR", State: "DE", Limit: 10})
	if err != nil || len(got) != 1 || got[0].ID != "old-0" || got[0].Location != "FR" || got[0].RequestingState != "DE" || got[0].Rules[0] != "gdsi-5" {
		t.Fatalf("old decision after upgrade: %+v, %v", got, err)
	}
	all, err := s.ListDecisions(ctx, store.DecisionQuery{Principal: "bka", Limit: 10})
	if err != nil || len(all) != 2 || all[0].ID != "old-1" || all[0].Outcome != "pending" {
		t.Fatalf("both old decisions by principal: %+v, %v", all, err)
	}
}
