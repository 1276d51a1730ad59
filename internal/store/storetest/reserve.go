package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// The threshold of the parallel tests: a company exports 9,000 people per
// request under an exemption that ends at 100,000 people (issue 10, attack
// 2). Any serial order allows exactly 11 requests (99,000 people).
const (
	threshold  = 100_000
	perRequest = 9_000
	maxAllowed = threshold / perRequest // 11
)

// capJudge allows a request of perRequest subjects of (FR, personal.health)
// for state when the rolling 12 months stay within threshold, and counts
// the allowed ones in allowed.
func capJudge(state string, allowed *atomic.Int64) func(*model.History) ([]store.CounterDelta, error) {
	return func(h *model.History) ([]store.CounterDelta, error) {
		if sumOf(h, "12m", "FR", "personal.health").Subjects+perRequest > threshold {
			return nil, nil // deny: nothing to count
		}
		allowed.Add(1)
		return []store.CounterDelta{{Key: state, SubjectState: "FR", Category: "personal.health", Day: day0, Subjects: perRequest}}, nil
	}
}

// ReserveParallel runs n goroutines, request i reserving for states[i %
// len(states)] through stores[i % len(stores)] against the threshold, and
// checks that each state got exactly maxAllowed requests and a history of
// maxAllowed*perRequest. A read-then-write (History, then RecordDecision)
// allows more. Drivers call it with several stores on one database to show
// that the cap holds across processes.
func ReserveParallel(t *testing.T, stores []store.Store, states []string, n int) {
	t.Helper()
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		allowed = make([]atomic.Int64, len(states)) // by state, counted by judge calls whose counts committed
		errs    = make(chan error, n)
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := i % len(states)
			s := stores[i%len(stores)]
			<-start
			var mine atomic.Int64 // judge may run more than once: only its last call counts
			err := s.Reserve(ctx, store.HistoryQuery{RequestingState: states[st], At: day0}, func(h *model.History) ([]store.CounterDelta, error) {
				mine.Store(0)
				return capJudge(states[st], &mine)(h)
			})
			if err != nil {
				errs <- fmt.Errorf("reservation %d: %w", i, err)
				return
			}
			allowed[st].Add(mine.Load())
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, state := range states {
		if got := allowed[i].Load(); got != maxAllowed {
			t.Errorf("state %s: %d of %d parallel requests allowed, want exactly %d (a serial order allows %d)", state, got, n/len(states), maxAllowed, maxAllowed)
		}
		h, err := stores[0].History(ctx, store.HistoryQuery{RequestingState: state, At: day0})
		must(t, "History", err)
		if got := sumOf(h, "12m", "FR", "personal.health").Subjects; got != maxAllowed*perRequest {
			t.Errorf("state %s: stored history = %d subjects, want %d", state, got, maxAllowed*perRequest)
		}
	}
}

func testReserveParallel(t *testing.T, s store.Store) {
	ReserveParallel(t, []store.Store{s}, []string{"US"}, 64)
}

// testReserveParallelStates interleaves two requesting states: each is
// capped on its own, and one state's reservations do not count against
// the other's.
func testReserveParallelStates(t *testing.T, s store.Store) {
	ReserveParallel(t, []store.Store{s}, []string{"US", "CN"}, 64)
}

// historyOf returns the rolling-12-month subjects of (FR,
// personal.health) for state at day0.
func historyOf(t *testing.T, s store.Store, state string) int64 {
	t.Helper()
	h, err := s.History(context.Background(), store.HistoryQuery{RequestingState: state, At: day0})
	must(t, "History", err)
	return sumOf(h, "12m", "FR", "personal.health").Subjects
}

// testReserve checks one reservation at a time: judge sees the history,
// what it returns is added, and every failure writes nothing.
func testReserve(t *testing.T, s store.Store) {
	ctx := context.Background()
	us := store.HistoryQuery{RequestingState: "US", At: day0}
	must(t, "record", s.RecordDecision(ctx, record("r-1", 1), []store.CounterDelta{delta("FR", 10)}))

	var seen int64
	must(t, "reserve", s.Reserve(ctx, us, func(h *model.History) ([]store.CounterDelta, error) {
		seen = sumOf(h, "12m", "FR", "personal.health").Subjects
		return []store.CounterDelta{delta("FR", 5), delta("BE", 1)}, nil
	}))
	if seen != 10 {
		t.Errorf("judge saw %d FR subjects, want 10 (the recorded decision)", seen)
	}
	if got := historyOf(t, s, "US"); got != 15 {
		t.Fatalf("after reserve: %d, want 15", got)
	}
	must(t, "reserve nothing", s.Reserve(ctx, us, func(h *model.History) ([]store.CounterDelta, error) {
		seen = sumOf(h, "12m", "FR", "personal.health").Subjects
		return nil, nil
	}))
	if seen != 15 {
		t.Errorf("second judge saw %d, want 15 (the first reservation)", seen)
	}

	judgeErr := errors.New("judge says no")
	wrongState := delta("FR", 1)
	wrongState.Key = "CN"
	cases := []struct {
		name   string
		q      store.HistoryQuery
		counts []store.CounterDelta
		err    error // returned by judge
		want   error
	}{
		{"judge error", us, []store.CounterDelta{delta("FR", 100)}, judgeErr, judgeErr},
		{"count for another requesting state", us, []store.CounterDelta{delta("FR", 100), wrongState}, nil, store.ErrInvalid},
		{"negative count", us, []store.CounterDelta{delta("FR", 100), delta("DE", -1)}, nil, store.ErrInvalid},
		{"empty category", us, []store.CounterDelta{delta("FR", 100), {Key: "US", SubjectState: "DE", Day: day0, Subjects: 1}}, nil, store.ErrInvalid},
		{"empty requesting state holds no key", store.HistoryQuery{At: day0}, []store.CounterDelta{delta("FR", 100)}, nil, store.ErrInvalid},
	}
	for _, c := range cases {
		err := s.Reserve(ctx, c.q, func(*model.History) ([]store.CounterDelta, error) { return c.counts, c.err })
		mustIs(t, c.name, err, c.want)
		if c.err != nil && err != c.err {
			t.Errorf("%s: judge's error came back as %v, want it as is", c.name, err)
		}
	}
	mustIs(t, "nil judge", s.Reserve(ctx, us, nil), store.ErrInvalid)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Reserve(cctx, us, func(*model.History) ([]store.CounterDelta, error) {
		return []store.CounterDelta{delta("FR", 100)}, nil
	}); err == nil {
		t.Error("cancelled context: Reserve succeeded")
	}
	if got := historyOf(t, s, "US"); got != 15 {
		t.Errorf("after failed reservations FR = %d, want 15 (a failed Reserve wrote counts)", got)
	}
	h, err := s.History(ctx, us)
	must(t, "History", err)
	if got := sumOf(h, "12m", "DE", "personal.health").Subjects; got != 0 {
		t.Errorf("DE = %d, want 0", got)
	}
	// An empty requesting state may still read and judge, writing nothing.
	var all int64
	must(t, "reserve with no state, no counts", s.Reserve(ctx, store.HistoryQuery{At: day0}, func(h *model.History) ([]store.CounterDelta, error) {
		all = sumOf(h, "12m", "FR", "personal.health").Subjects
		return nil, nil
	}))
	if all != 15 {
		t.Errorf("judge with no state saw %d, want 15", all)
	}
}

// testReservePanic: a judge that panics leaves no transaction open and no
// lock held: the panic reaches the caller, nothing is written, and the
// next reservation and record of the same state go through.
func testReservePanic(t *testing.T, s store.Store) {
	ctx := context.Background()
	us := store.HistoryQuery{RequestingState: "US", At: day0}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the judge's panic did not reach the caller")
			}
		}()
		s.Reserve(ctx, us, func(*model.History) ([]store.CounterDelta, error) { panic("judge bug") })
	}()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	must(t, "reserve after a panic", s.Reserve(tctx, us, func(*model.History) ([]store.CounterDelta, error) {
		return []store.CounterDelta{delta("FR", 4)}, nil
	}))
	must(t, "record after a panic", s.RecordDecision(tctx, record("after-panic", 1), []store.CounterDelta{delta("FR", 1)}))
	if got := historyOf(t, s, "US"); got != 5 {
		t.Errorf("FR = %d, want 5 (4 reserved, 1 recorded, nothing from the panic)", got)
	}
}

// testUnreserve: counts a reservation added are taken back, never below
// zero, and a list keyed by two states is refused whole.
func testUnreserve(t *testing.T, s store.Store) {
	ctx := context.Background()
	us := store.HistoryQuery{RequestingState: "US", At: day0}
	counts := []store.CounterDelta{delta("FR", 9000)}
	must(t, "reserve", s.Reserve(ctx, us, func(*model.History) ([]store.CounterDelta, error) { return counts, nil }))
	must(t, "reserve again", s.Reserve(ctx, us, func(*model.History) ([]store.CounterDelta, error) { return counts, nil }))
	must(t, "unreserve", s.Unreserve(ctx, counts))
	if got := historyOf(t, s, "US"); got != 9000 {
		t.Fatalf("after one unreserve: %d, want 9000", got)
	}
	wrong := delta("FR", 1)
	wrong.Key = "CN"
	mustIs(t, "unreserve across states", s.Unreserve(ctx, append([]store.CounterDelta{delta("FR", 9000)}, wrong)), store.ErrInvalid)
	if got := historyOf(t, s, "US"); got != 9000 {
		t.Fatalf("a refused unreserve changed the count: %d, want 9000", got)
	}
	must(t, "unreserve more than counted", s.Unreserve(ctx, []store.CounterDelta{delta("FR", 50_000)}))
	if got := historyOf(t, s, "US"); got != 0 {
		t.Errorf("after unreserving more than counted: %d, want 0 (never below)", got)
	}
	must(t, "unreserve nothing", s.Unreserve(ctx, nil))
}

// ReserveParallelShared races n reservations, through stores in turn, on
// one key of scope (model.ScopePair or model.ScopeExporter) shared by
// requests of eight acting states, which are batched apart (their keys
// differ) and meet only on that key's lock. Each judge allows perRequest
// subjects while the scope's window stays within threshold, and counts
// under every key it holds. A serial order allows exactly maxAllowed; so
// must the stores.
func ReserveParallelShared(t *testing.T, stores []store.Store, scope model.CounterScope, n int) {
	t.Helper()
	ctx := context.Background()
	states := []string{"US", "CN", "FR", "DE", "JP", "BR", "IN", "ZA"}
	const exporter, importer = "cn-shop", "us-buyer"
	var (
		wg      sync.WaitGroup
		allowed atomic.Int64
		errs    = make(chan error, n)
	)
	query := func(i int) store.HistoryQuery {
		q := store.HistoryQuery{RequestingState: states[i%len(states)], Exporter: exporter, At: day0}
		if scope == model.ScopePair {
			q.Pair = exporter + "\x1f" + importer
		} else {
			q.Pair = exporter + "\x1f" + fmt.Sprintf("buyer-%d", i) // every request its own pair
		}
		return q
	}
	window := model.WindowRolling12m
	if scope == model.ScopeExporter {
		window = model.WindowYearToDate
	}
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			q := query(i)
			<-start
			var mine atomic.Int64
			err := stores[i%len(stores)].Reserve(ctx, q, func(h *model.History) ([]store.CounterDelta, error) {
				mine.Store(0)
				c, err := h.Sum(scope, window, model.AllSubjectStates, "personal")
				if err != nil {
					return nil, err
				}
				if c.Subjects+perRequest > threshold {
					return nil, nil
				}
				mine.Store(1)
				var out []store.CounterDelta
				for _, k := range q.Keys() {
					out = append(out, store.CounterDelta{Scope: k.Scope, Key: k.Key, SubjectState: "FR", Category: "personal.health", Day: day0, Subjects: perRequest})
				}
				return out, nil
			})
			if err != nil {
				errs <- fmt.Errorf("reservation %d: %w", i, err)
				return
			}
			allowed.Add(mine.Load())
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := allowed.Load(); got != maxAllowed {
		t.Errorf("%s: %d of %d parallel requests allowed, want exactly %d (a serial order allows %d)", scope, got, n, maxAllowed, maxAllowed)
	}
	h, err := stores[0].History(ctx, query(0))
	must(t, "History", err)
	c, err := h.Sum(scope, window, model.AllSubjectStates, "personal")
	must(t, "Sum", err)
	if c.Subjects != maxAllowed*perRequest {
		t.Errorf("%s: stored %d subjects, want %d", scope, c.Subjects, maxAllowed*perRequest)
	}
}

// testReserveParallelExporter: requests of eight acting states race a
// threshold on one exporter (China: per exporter, whoever receives).
func testReserveParallelExporter(t *testing.T, s store.Store) {
	ReserveParallelShared(t, []store.Store{s}, model.ScopeExporter, 64)
}

// testReserveParallelPair: requests of eight acting states race a
// threshold on one exporter and importer (US: per U.S. person and foreign
// counterparty).
func testReserveParallelPair(t *testing.T, s store.Store) {
	ReserveParallelShared(t, []store.Store{s}, model.ScopePair, 64)
}
