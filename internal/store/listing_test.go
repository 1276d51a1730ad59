package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

func TestSummaryFor(t *testing.T) {
	idx := uint64(7)
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	req := &model.Request{Action: model.ActionAccess, Purpose: model.PurposeLawEnforcement,
		Requester:  model.Principal{ID: "globex", Jurisdiction: "US"},
		OnBehalfOf: &model.Principal{ID: "mss", Jurisdiction: "CN"},
		Data:       model.Data{Location: "FR", Origin: []string{"FR", "BE", "FR"}, Subjects: map[string]int64{"FR": 3, "DE": 0, "BE": 1}}}
	cases := []struct {
		name string
		dec  model.Decision
		want func(s store.DecisionSummary) bool
	}{
		{"pending: what it waits for, sorted, without duplicates", model.Decision{Outcome: model.Pending, Requires: []model.Requirement{
			{AuthorizationFrom: "FR"}, {Measure: "scc"}, {AuthorizationFrom: "BE"}, {AuthorizationFrom: "FR"}}},
			func(s store.DecisionSummary) bool {
				return slices.Equal(s.PendingOn.States, []string{"BE", "FR"}) && slices.Equal(s.PendingOn.Measures, []string{"scc"})
			}},
		{"deny: never pending on anything", model.Decision{Outcome: model.Deny, Requires: []model.Requirement{{AuthorizationFrom: "FR"}}},
			func(s store.DecisionSummary) bool { return len(s.PendingOn.States) == 0 && s.PendingOn.States != nil }},
		{"acting state, requester's own state kept for scope", model.Decision{Outcome: model.Allow},
			func(s store.DecisionSummary) bool { return s.RequestingState == "CN" && s.RequesterState == "US" }},
		{"origin and subject states sorted; zero subjects left out", model.Decision{Outcome: model.Allow},
			func(s store.DecisionSummary) bool {
				return slices.Equal(s.Origin, []string{"BE", "FR"}) && slices.Equal(s.SubjectStates, []string{"BE", "FR"})
			}},
		{"packs evaluated, then any pack of a rule; rules in order", model.Decision{Outcome: model.Deny,
			Packs:   []model.PackOutcome{{Pack: "gdpr"}, {Pack: "gdsi"}},
			Reasons: []model.Reason{{Pack: "pipl", Rule: "r2"}, {Pack: "gdsi", Rule: "r1"}, {Pack: "gdsi", Rule: "r2"}}},
			func(s store.DecisionSummary) bool {
				return slices.Equal(s.Packs, []string{"gdpr", "gdsi", "pipl"}) && slices.Equal(s.Rules, []string{"r2", "r1"})
			}},
		{"time in UTC, index and binding", model.Decision{Outcome: model.Allow},
			func(s store.DecisionSummary) bool {
				return s.Time.Location() == time.UTC && s.LogIndex == 7 && s.Binding && s.Principal == "globex"
			}},
	}
	for _, c := range cases {
		c.dec.Time, c.dec.LogIndex = at, &idx
		if s := store.SummaryFor(req, &c.dec); !c.want(s) {
			t.Errorf("%s: %+v", c.name, s)
		}
	}
	facets := store.SummaryFor(req, &model.Decision{Outcome: model.Allow}).Facets()
	var states []string
	for _, f := range facets {
		if f.Name == store.FacetState {
			states = append(states, f.Value)
		}
	}
	slices.Sort(states)
	if !slices.Equal(states, []string{"BE", "CN", "FR", "US"}) {
		t.Errorf("states involved = %v", states)
	}
}

func TestSummaryFromPrivate(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, private := range []string{"", "{", "null", `{"request":5}`, `{"decision":{"outcome":"pending","requires":[{"authorization_from":"FR"}]}}`} {
		s := store.SummaryFromPrivate(store.DecisionRecord{ID: "d", LogIndex: 3, Principal: "acme", Outcome: model.Deny, Private: []byte(private), Created: at})
		if s.ID != "d" || s.LogIndex != 3 || s.Outcome != model.Deny || s.Principal != "acme" || !s.Time.Equal(at) ||
			s.Origin == nil || s.Rules == nil || len(s.PendingOn.States) != 0 {
			t.Errorf("from %q: %+v", private, s)
		}
	}
}

func TestDecisionQueryValidate(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []store.DecisionQuery{{Limit: 0}, {Limit: -1}, {Limit: store.MaxListLimit + 1}, {Limit: 1, Since: at, Until: at}, {Limit: 1, Since: at.Add(1), Until: at}} {
		if q.Validate() == nil {
			t.Errorf("%+v is valid", q)
		}
	}
	if err := (store.DecisionQuery{Limit: 1, Since: at, Until: at.Add(1)}).Validate(); err != nil {
		t.Error(err)
	}
}

// FuzzParseDecisionCursor: any text either fails or round-trips.
func FuzzParseDecisionCursor(f *testing.F) {
	for _, s := range []string{"0.0", "1763805600000000000.42", "-1.5", "1.", ".1", "1.2.3", "9223372036854775807.9223372036854775807", "x.y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseDecisionCursor(s)
		if err != nil {
			return
		}
		again, err := store.ParseDecisionCursor(c.String())
		if err != nil || again != c {
			t.Fatalf("%q: %+v does not round-trip (%v)", s, c, err)
		}
	})
}
