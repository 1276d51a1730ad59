package decide

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
)

// BenchmarkDecideApprovals compares a binding decision (gdsi pack, log in
// memory, SQLite catalog and approvals) without the approvals service,
// with it and nothing on file (the lookup every decision on a dataset
// pays), and with an approval that grants (its signature verified).
// Compare ns/op of the three in one run:
//
//	go test ./internal/decide -run XXX -bench DecideApprovals -benchmem -count 5
func BenchmarkDecideApprovals(b *testing.B) {
	for _, tc := range []struct {
		name      string
		approvals bool
		approved  bool
	}{
		{"without", false, false},
		{"lookup", true, false},
		{"approved", true, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "accord.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			w := newApprovalWorld(&testing.T{}, s)
			if !tc.approvals {
				w.d = New(w.d.engine, WithLog(w.log), WithClock(func() time.Time { return w.now }), WithPacks([]string{"gdsi"}))
			}
			req := w.vendorRequest(&testing.T{}, "access", "")
			if tc.approved {
				dec, err := w.d.Decide(ctx, w.vendorRequest(&testing.T{}, "access", ""))
				if err != nil {
					b.Fatal(err)
				}
				list, _ := w.svc.List(ctx, approval.Filter{})
				if len(list) != 1 || dec.Outcome != model.Pending {
					b.Fatalf("setup: %s, %d requests", dec.Outcome, len(list))
				}
				if _, err := w.svc.Answer(ctx, approval.Answering{ID: list[0].ID, Outcome: approval.StatusApproved,
					By: approval.Answerer{Principal: "acme-fr", Role: store.RoleApprover}, Duration: approval.MaxDuration}); err != nil {
					b.Fatal(err)
				}
			}
			want := model.Pending
			if tc.approved {
				want = model.Allow
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := *req
				r.Basis.Measures = nil
				r.Time = time.Time{}
				dec, err := w.d.Decide(ctx, &r)
				if err != nil || dec.Outcome != want {
					b.Fatalf("%s %v, want %s", dec.Outcome, err, want)
				}
				if len(w.log.entries) > 4096 {
					w.log.entries = w.log.entries[:0]
				}
			}
			b.StopTimer()
			// Asking again while a request is open asks nothing more.
			if list, _ := w.svc.List(ctx, approval.Filter{}); tc.approvals && len(list) != 1 {
				b.Fatalf("%d approval requests after the run, want 1", len(list))
			}
		})
	}
}
