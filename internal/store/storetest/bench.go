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
// the history read a decision makes, a reservation (history read and four
// counter updates in one serialized transaction), and token
// authentication, each from 32 goroutines per CPU.
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
				// A summary as a cross-border decision has: about 13 facet rows.
				rec := store.DecisionRecord{ID: fmt.Sprintf("bench-%d", n), LogIndex: n, Principal: "acme", Outcome: model.Allow,
					Private: make([]byte, 1024), Salt: make([]byte, 32), Created: day0,
					Summary: &store.DecisionSummary{Action: "read", Purpose: "analytics", RequestingState: "US", Location: "FR",
						Origin: []string{"FR"}, SubjectStates: []string{states[n%8], states[(n+1)%8]}, Packs: []string{"gdsi", "eu-gdpr"},
						Rules: []string{"gdsi-1-evidence", "gdpr-44-transfer"}, RequesterState: "US", Binding: true}}
				var counts []store.CounterDelta
				for i := range 4 {
					counts = append(counts, store.CounterDelta{Key: "US", SubjectState: states[(int(n)+i)%len(states)], Category: "personal.health", Day: day0, Subjects: 3})
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
	b.Run("Reserve", func(b *testing.B) {
		// A binding decision's reservation: read the requesting state's
		// history and add four counts, serialized per state; the requests
		// spread over 8 requesting states.
		b.ReportAllocs()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := int(seq.Add(1))
				state := "R" + states[n%len(states)]
				err := s.Reserve(ctx, store.HistoryQuery{RequestingState: state, At: day0}, func(h *model.History) ([]store.CounterDelta, error) {
					var counts []store.CounterDelta
					for i := range 4 {
						counts = append(counts, store.CounterDelta{Key: state, SubjectState: states[(n+i)%len(states)], Category: "personal.health", Day: day0, Subjects: 3})
					}
					return counts, nil
				})
				if err != nil {
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

// HistoryGrowthSizes are the numbers of other keys' counter rows
// BenchHistoryGrowth reads one state's history among.
var HistoryGrowthSizes = []int{0, 10_000, 100_000, 1_000_000}

// HistoryFill adds the counter rows numbered [from, to) of requesting
// states other than the one BenchHistoryGrowth reads, all inside its
// windows. Row i has requesting state fmt.Sprintf("O%06d", i/3650),
// counterparty "acme", subject state fmt.Sprintf("S%d", (i/365)%10),
// category "personal.health", day store.DayNumber(day0) - i%365 (so every
// row is distinct and in the rolling window), 1 subject. A driver fills
// them with one multi-row statement (a recursive CTE, generate_series),
// not a round trip per row. DayZero returns that day.
type HistoryFill func(ctx context.Context, from, to int) error

// DayZero is the day BenchHistoryGrowth reads the history at; a
// HistoryFill counts its days back from it.
func DayZero() time.Time { return day0 }

// decisionSums are the window sums a decision under the four packs asks
// for, about: us-dsp's per pair (every sensitive category, devices),
// cn-cbdf's per exporter (people, then the sensitive categories one by
// one), gdsi's per acting state (people of each subject state).
var decisionSums = func() (out []struct {
	scope                   model.CounterScope
	window, subject, prefix string
}) {
	add := func(scope model.CounterScope, window, subject string, prefixes ...string) {
		for _, p := range prefixes {
			out = append(out, struct {
				scope                   model.CounterScope
				window, subject, prefix string
			}{scope, window, subject, p})
		}
	}
	add(model.ScopePair, "12m", "US", "personal", "personal.omic", "personal.genomic", "personal.biometric", "personal.health", "personal.financial", "personal.identifier", "biospecimen")
	add(model.ScopePair, "12m", "*", "personal.geolocation.precise")
	add(model.ScopeExporter, "ytd", "*", "personal", "personal.health", "personal.genomic", "personal.biometric", "personal.financial", "personal.religion", "personal.geolocation.precise", "personal.minor")
	add(model.ScopeState, "12m", "FR", "")
	add(model.ScopeState, "12m", "DE", "")
	return out
}()

// decisionReads makes the reads of one decision (decisionSums) on q's
// counters and returns the first sum (FR, personal.health per acting
// state, over 12 months) to check.
func decisionReads(ctx context.Context, s store.Store, q store.HistoryQuery) (int64, error) {
	h, err := s.History(ctx, q)
	if err != nil {
		return 0, err
	}
	for _, d := range decisionSums {
		if _, err := h.Sum(d.scope, d.window, d.subject, d.prefix); err != nil {
			return 0, err
		}
	}
	c, err := h.Sum(model.ScopeState, "12m", "FR", "personal.health")
	return c.Subjects, err
}

// BenchHistoryGrowth measures the history reads of one decision
// (decisionSums: 20 window sums over three scopes, the acting state US
// holding 8 subject states on 30 days) while the store holds 0, 10k, 100k
// and 1M counter rows of other requesting states (HistoryGrowthSizes),
// one sub-benchmark each (rows=N). A read that seeks the primary key
// costs the same at every size; one that scans the window grows with it.
func BenchHistoryGrowth(b *testing.B, s store.Store, fill HistoryFill) {
	ctx := context.Background()
	states := []string{"FR", "DE", "BE", "IT", "ES", "NL", "PL", "SE"}
	for d := range 30 {
		var counts []store.CounterDelta
		for _, st := range states {
			counts = append(counts, store.CounterDelta{Key: "US", SubjectState: st,
				Category: "personal.health", Day: day0.AddDate(0, 0, -d), Subjects: 2})
		}
		if err := s.RecordDecision(ctx, store.DecisionRecord{ID: fmt.Sprintf("growth-%d", d), LogIndex: uint64(d), Principal: "acme",
			Outcome: model.Allow, Created: day0}, counts); err != nil {
			b.Fatal(err)
		}
	}
	have := 0
	for _, n := range HistoryGrowthSizes {
		if n > have {
			if err := fill(ctx, have, n); err != nil {
				b.Fatalf("fill %d..%d: %v", have, n, err)
			}
			have = n
		}
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			q := store.HistoryQuery{RequestingState: "US", Pair: "us-health\x1fcn-buyer", Exporter: "us-health", At: day0}
			for b.Loop() {
				got, err := decisionReads(ctx, s, q)
				if err != nil {
					b.Fatal(err)
				}
				if got != 60 {
					b.Fatalf("FR = %d, want 60 (30 days of 2)", got)
				}
			}
		})
	}
}

// SameStateSizes are the numbers of counts of the acting state itself
// BenchHistorySameState reads among.
var SameStateSizes = []int{1_000, 10_000, 100_000}

// BenchHistorySameState measures the history reads of one decision
// (decisionSums) while the acting state itself (US) holds 1k, 10k and 100k
// counts (SameStateSizes) of its own: count i is of subject state
// "X<i%200>", category "personal.c<i/200%50>", day0 less i/10000 days,
// 1 subject — a deployment whose traffic spread over many subject states
// and categories (the "growth" mix of bench/load). Before the counters
// were rolled up, a decision read every row of its acting state.
func BenchHistorySameState(b *testing.B, s store.Store) {
	ctx := context.Background()
	have := 0
	for _, n := range SameStateSizes {
		for have < n {
			var counts []store.CounterDelta
			for ; have < n && len(counts) < 2000; have++ {
				counts = append(counts, store.CounterDelta{Key: "US", SubjectState: fmt.Sprintf("X%d", have%200),
					Category: fmt.Sprintf("personal.c%d", have/200%50), Day: day0.AddDate(0, 0, -have/10000), Subjects: 1})
			}
			if err := s.RecordDecision(ctx, store.DecisionRecord{ID: fmt.Sprintf("same-%d", have), LogIndex: uint64(have), Principal: "acme",
				Outcome: model.Allow, Created: day0}, counts); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("counts=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			q := store.HistoryQuery{RequestingState: "US", Pair: "us-health\x1fcn-buyer", Exporter: "us-health", At: day0}
			for b.Loop() {
				if _, err := decisionReads(ctx, s, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
