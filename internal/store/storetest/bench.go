package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/mla"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// Bench runs the store benchmarks against s: a binding decision's
// transaction (one record, four counter updates) from parallel goroutines,
// the history read a decision makes, and token authentication, each from
// 32 goroutines per CPU.
func Bench(b *testing.B, s store.Store) {
	ctx := context.Background()
	states := []string{"FR", "DE", "BE", "IT", "ES", "NL", "PL", "SE"}
	var seq atomic.Uint64
	b.Run("RecordDecision", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(32) // about 64 concurrent requests on 2 cores, as a server sees
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := seq.Add(1)
				rec := store.DecisionRecord{ID: fmt.Sprintf("bench-%d", n), LogIndex: n, Principal: "acme", Outcome: model.Allow,
					Private: make([]byte, 1024), Salt: make([]byte, 32), Created: day0}
				var counts []store.CounterDelta
				for i := range 4 {
					counts = append(counts, store.CounterDelta{RequestingState: "US", Counterparty: "acme",
						SubjectState: states[(int(n)+i)%len(states)], Category: "personal.health", Day: day0, Subjects: 3})
				}
				if err := s.RecordDecision(ctx, rec, counts); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("History", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(32) // about 64 concurrent requests on 2 cores, as a server sees
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.History(ctx, store.HistoryQuery{RequestingState: "US", At: day0}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("MLACaseStep", func(b *testing.B) {
		// One step of a case: read it, store the next version (the
		// compare-and-swap every transition makes, up to three times).
		b.ReportAllocs()
		cs := s.MLACases()
		b.RunParallel(func(pb *testing.PB) {
			c := benchCase(b, fmt.Sprintf("BENCH-%d", seq.Add(1)))
			if err := cs.Put(ctx, c); err != nil {
				b.Fatal(err)
			}
			for pb.Next() {
				got, err := cs.Get(ctx, c.ID)
				if err != nil {
					b.Fatal(err)
				}
				got.Version++
				if err := cs.Put(ctx, got); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	if err := s.PutPrincipal(ctx, store.Principal{ID: "acme", Kind: model.KindCompany, Jurisdiction: "FR"}); err != nil {
		b.Fatal(err)
	}
	secret, tok, _ := store.NewToken("acme", store.RoleRequester, time.Now(), 0)
	if err := s.CreateToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.Run("Authenticate", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(32) // about 64 concurrent requests on 2 cores, as a server sees
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := store.Authenticate(ctx, s, secret, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// benchCase is a freshly opened case at version 1.
func benchCase(b *testing.B, id string) *mla.Case {
	by := model.Principal{ID: "fr-bepi", Kind: model.KindStateAuthority, Role: "central-authority", Jurisdiction: "FR"}
	c, _, err := mla.Open(mla.OpenSpec{ID: id, RequestedState: "CN", Provider: "mailco-cn",
		Scope: authz.Scope{Purposes: []string{string(model.PurposeLawEnforcement)}, Categories: []string{"personal.contact"}, MaxSubjects: 3}},
		by, day0, mla.Deadlines{}.For(""))
	if err != nil {
		b.Fatal(err)
	}
	c.Version = 1
	return c
}
