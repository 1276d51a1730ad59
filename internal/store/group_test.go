package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// memBatches is a BatchReserver in memory: one counter, each batch slow
// enough that reservations pile up behind it.
type memBatches struct {
	mu      sync.Mutex
	total   int64
	batches atomic.Int64
	fail    error
}

func (m *memBatches) ReserveBatch(_ context.Context, q HistoryQuery, judges []Judge) []error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches.Add(1)
	time.Sleep(2 * time.Millisecond)
	write, errs, err := RunBatch(q, memReader(q, m.total), judges)
	if err != nil {
		return errs
	}
	if m.fail != nil {
		return FailAll(errs, m.fail)
	}
	for _, c := range write {
		m.total += c.Subjects
	}
	return errs
}

var groupDay = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// memReader reads total subjects for (FR, personal.health) and every
// prefix above it, in every window, and nothing else.
func memReader(q HistoryQuery, total int64) *CounterReader {
	return NewCounterReader(q, func(_ model.CounterScope, _, subject, prefix string, _, _ int64) (model.Count, error) {
		if (subject == "FR" || subject == model.AllSubjectStates) && model.CategoryUnder("personal.health", prefix) {
			return model.Count{Subjects: total}, nil
		}
		return model.Count{}, nil
	})
}

// fr is the sum of (FR, personal.health) in window w of the state scope.
func fr(h *model.History, w string) int64 {
	c, err := h.Sum(model.ScopeState, w, "FR", "personal.health")
	if err != nil {
		return -1
	}
	return c.Subjects
}

func capped(n int64, allowed *atomic.Int64) func(*model.History) ([]CounterDelta, error) {
	return func(h *model.History) ([]CounterDelta, error) {
		if fr(h, "12m")+n > 100_000 {
			return nil, nil
		}
		allowed.Add(1)
		return []CounterDelta{{Key: "US", SubjectState: "FR", Category: "personal.health", Day: groupDay, Subjects: n}}, nil
	}
}

// TestReserveGroupIsASerialOrder: 64 reservations at once, in fewer
// transactions than reservations, allow exactly what a serial order does.
func TestReserveGroupIsASerialOrder(t *testing.T) {
	m := &memBatches{}
	g := NewReserveGroup(m)
	q := HistoryQuery{RequestingState: "US", At: groupDay}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if err := g.Reserve(context.Background(), q, capped(9000, &allowed)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 11 || m.total != 99_000 {
		t.Errorf("allowed %d, counted %d; want 11 and 99000", allowed.Load(), m.total)
	}
	if b := m.batches.Load(); b >= 64 {
		t.Errorf("%d transactions for 64 reservations; want them batched", b)
	}
	t.Logf("64 reservations in %d transactions", m.batches.Load())
}

// TestReserveGroupIsolatesJudges: a judge's error or panic fails its own
// reservation only; a failed transaction fails every one of its batch.
func TestReserveGroupIsolatesJudges(t *testing.T) {
	m := &memBatches{}
	g := NewReserveGroup(m)
	q := HistoryQuery{RequestingState: "US", At: groupDay}
	var allowed atomic.Int64
	mine := errors.New("my own error")
	if err := g.Reserve(context.Background(), q, func(*model.History) ([]CounterDelta, error) { return nil, mine }); !errors.Is(err, mine) {
		t.Errorf("judge error: %v, want it as is", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a judge's panic did not reach its caller")
			}
		}()
		g.Reserve(context.Background(), q, func(*model.History) ([]CounterDelta, error) { panic("bug") })
	}()
	wrong := func(*model.History) ([]CounterDelta, error) {
		return []CounterDelta{{Key: "CN", SubjectState: "FR", Category: "x", Day: groupDay, Subjects: 1}}, nil
	}
	if err := g.Reserve(context.Background(), q, wrong); !errors.Is(err, ErrInvalid) {
		t.Errorf("count for another state: %v, want ErrInvalid", err)
	}
	if err := g.Reserve(context.Background(), q, capped(5, &allowed)); err != nil || m.total != 5 {
		t.Errorf("after the failures: %v, counted %d; want 5", err, m.total)
	}
	m.fail = ErrUnavailable
	if err := g.Reserve(context.Background(), q, capped(5, &allowed)); !errors.Is(err, ErrUnavailable) || m.total != 5 {
		t.Errorf("failed transaction: %v, counted %d; want ErrUnavailable and 5", err, m.total)
	}
}

// TestRunBatchShowsEarlierCounts: each judge sees the history plus the
// counts of the judges before it, in both windows.
func TestRunBatchShowsEarlierCounts(t *testing.T) {
	q := HistoryQuery{RequestingState: "US", At: groupDay}
	var seen []int64
	j := func(h *model.History) ([]CounterDelta, error) {
		seen = append(seen, fr(h, "12m")+fr(h, "ytd"))
		return []CounterDelta{{Key: "US", SubjectState: "FR", Category: "personal.health", Day: groupDay, Subjects: 10}}, nil
	}
	write, errs, err := RunBatch(q, memReader(q, 0), []Judge{j, j, j})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || seen[0] != 0 || seen[1] != 20 || seen[2] != 40 {
		t.Errorf("judges saw %v (rolling + ytd); want [0 20 40]", seen)
	}
	rows := RollUp(write)
	if len(rows) != 6 || errs[0] != nil || errs[1] != nil || errs[2] != nil {
		t.Fatalf("rows %+v errs %v; want 6 rows (FR and *, by 3 prefixes)", rows, errs)
	}
	for _, r := range rows {
		if r.Subjects != 30 {
			t.Errorf("row %+v; want 30 subjects", r)
		}
	}
}

// dayBatches records the Shanghai days of the counts of each batch's
// judges.
type dayBatches struct {
	mu      sync.Mutex
	batches [][]int64
}

func (d *dayBatches) ReserveBatch(_ context.Context, _ HistoryQuery, judges []Judge) []error {
	time.Sleep(2 * time.Millisecond)
	var days []int64
	for _, j := range judges {
		counts, _ := j(nil)
		for _, c := range counts {
			days = append(days, model.DayIn(model.ScopeExporter, c.Day))
		}
	}
	d.mu.Lock()
	d.batches = append(d.batches, days)
	d.mu.Unlock()
	return make([]error, len(judges))
}

// TestReserveGroupKeepsCalendarDaysApart: reservations of one UTC day
// but two days in Shanghai (15:59 and 16:00 UTC on 31 December) are never
// judged in one batch, whose windows are those of its first reservation.
func TestReserveGroupKeepsCalendarDaysApart(t *testing.T) {
	d := &dayBatches{}
	g := NewReserveGroup(d)
	before := time.Date(2026, 12, 31, 15, 59, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 64 {
		at := before.Add(time.Duration(i%2) * time.Minute)
		wg.Go(func() {
			q := HistoryQuery{RequestingState: "SG", Exporter: "cn-shop", At: at}
			err := g.Reserve(context.Background(), q, func(*model.History) ([]CounterDelta, error) {
				return []CounterDelta{{Scope: model.ScopeExporter, Key: "cn-shop", SubjectState: "CN", Category: "personal", Day: at, Subjects: 1}}, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	for _, days := range d.batches {
		n += len(days)
		for _, day := range days {
			if day != days[0] {
				t.Fatalf("a batch mixes Shanghai days: %v", days)
			}
		}
	}
	if n != 64 || len(d.batches) >= 64 {
		t.Errorf("%d reservations in %d batches; want 64, batched", n, len(d.batches))
	}
}
