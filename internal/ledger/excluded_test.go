package ledger

import (
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// TestDecisionEntryExcluded: a decision's third-state exclusion is on its
// entry in counts by state (what a report needs to count the subjects
// disclosed), and a bad count is refused.
func TestDecisionEntryExcluded(t *testing.T) {
	req := &model.Request{Action: model.ActionAccess, Requester: model.Principal{ID: "p", Kind: model.KindStateAuthority, Jurisdiction: "FR"},
		Data: model.Data{Location: "CN", Subjects: map[string]int64{"CN": 5, "DE": 2, "IT": 1}}}
	dec := &model.Decision{Outcome: model.Allow, Time: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC),
		Excluded: []model.Excluded{{State: "DE", Subjects: 2, Reason: "subjects-third-state"}, {State: "IT", Subjects: 1, Reason: "subjects-third-state"}, {State: "US", Reason: "location-third-state"}}}
	e, _, err := DecisionEntry(req, dec)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Excluded) != 2 || e.Excluded["DE"] != 2 || e.Excluded["IT"] != 1 {
		t.Errorf("excluded = %v, want DE 2 and IT 1 (no zero counts)", e.Excluded)
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	e.Excluded["DE"] = -1
	if err := e.Validate(); err == nil {
		t.Error("a negative excluded count validated")
	}
	e.Excluded = map[string]int64{"not a code!": 1}
	if err := e.Validate(); err == nil {
		t.Error("an excluded key that is not a code validated")
	}
}
