package ledger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/model"
)

// Open a log, append a decision, wait for its receipt and check it the way
// anyone holding the verifier key can.
func Example() {
	data, err := os.MkdirTemp("", "accord-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(data)
	ctx := context.Background()

	l, err := ledger.Open(ctx, filepath.Join(data, "log"), ledger.Options{Origin: "accord.example/fr", CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	req := &model.Request{
		Action:    model.ActionAccess,
		Requester: model.Principal{ID: "bka", Kind: model.KindStateAuthority, Jurisdiction: "DE"},
		Data:      model.Data{Location: "FR", Categories: []string{"personal.contact"}, Subjects: map[string]int64{"FR": 1}},
	}
	dec := &model.Decision{Outcome: model.Pending, Binding: true, Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Reasons: []model.Reason{{Rule: "gdsi-5-location-consent", Pack: "gdsi", Effect: "require"}}}

	entry, private, err := ledger.DecisionEntry(req, dec) // keep private in the store
	if err != nil {
		panic(err)
	}
	idx, err := l.Append(ctx, entry) // durable from here on
	if err != nil {
		panic(err)
	}
	r, err := l.Receipt(ctx, idx) // about a checkpoint interval later
	if err != nil {
		panic(err)
	}
	if err := ledger.VerifyReceipt(r, l.Verifier(), "accord.example/fr"); err != nil {
		panic(err)
	}
	e, _ := r.ParsedEntry()
	fmt.Println("entry", r.Index, e.Kind, e.Outcome, e.Rules)
	fmt.Println("record matches:", ledger.VerifyPrivate(e, private) == nil)
	// Output:
	// entry 0 decision pending [gdsi-5-location-consent]
	// record matches: true
}
