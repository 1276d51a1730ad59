package approval_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/sqlite"
	"github.com/accord-dev/accord/internal/store/storetest"
)

// BenchmarkApprove measures the approve path (read the request, check
// the approver and the catalog's holder, sign, log in memory, store the
// answer conditionally) and reports its p50 and p99, on SQLite and
// PostgreSQL:
//
//	go test ./internal/approval -run XXX -bench Approve -count 3
func BenchmarkApprove(b *testing.B) {
	run := func(b *testing.B, st backend) {
		t := &testing.T{}
		w := newWorld(t, st)
		ctx := context.Background()
		ids := make([]string, 0, b.N)
		for range b.N {
			r, err := w.svc.Ask(ctx, approval.Ask{ID: approval.NewID(), Request: request(), Decision: pending(7)})
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for _, id := range ids {
			start := time.Now()
			if _, err := w.svc.Answer(ctx, approval.Answering{ID: id, Outcome: approval.StatusApproved, By: holderApprover}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
	b.Run("sqlite", func(b *testing.B) {
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "accord.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		run(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s, err := postgres.Open(context.Background(), storetest.PostgresDSN(b))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		run(b, s)
	})
}
