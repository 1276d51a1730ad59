package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// Open a store, record an allowed decision with its counters, and read
// the history a later request is judged with.
func Example() {
	dir, _ := os.MkdirTemp("", "accord-example-")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := sqlite.Open(ctx, filepath.Join(dir, "accord.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	req := &model.Request{
		Action:    model.ActionTransfer,
		Requester: model.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "US"},
		Data:      model.Data{Location: "FR", Categories: []string{"personal.health"}, Subjects: map[string]int64{"FR": 400}},
		Time:      at,
	}
	dec := &model.Decision{ID: "dec-1", Outcome: model.Allow, Time: at}
	rec := store.DecisionRecord{ID: dec.ID, LogIndex: 0, Principal: "acme", Outcome: dec.Outcome, Private: []byte(`{}`), Created: at}
	if err := s.RecordDecision(ctx, rec, store.CountsFor(req, dec)); err != nil {
		fmt.Println(err)
		return
	}

	h, err := s.History(ctx, store.QueryFor(req, at.AddDate(0, 3, 0)))
	if err != nil {
		fmt.Println(err)
		return
	}
	rolling, err := h.Sum(model.ScopeState, model.WindowRolling12m, "FR", "personal.health")
	if err != nil {
		fmt.Println(err)
		return
	}
	ytd, err := h.Sum(model.ScopeState, model.WindowYearToDate, "FR", "personal")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rolling 12 months:", rolling.Subjects)
	fmt.Println("since 1 January 2027:", ytd.Subjects)
	// Output:
	// rolling 12 months: 400
	// since 1 January 2027: 0
}
