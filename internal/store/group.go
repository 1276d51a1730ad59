package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// Judge decides one reservation from the counters it is shown: it returns
// the counts to add (none to add nothing) or an error (nothing added).
type Judge func(*model.History) ([]CounterDelta, error)

// BatchReserver runs several reservations on the same counters in one
// transaction: holding q's keys, it calls each judge in order with the
// history of q (each sum read once, in the transaction) plus the counts
// of the judges before it, and writes every count in one commit. errs[i] is judge i's
// own error (its counts are not written; the others' are), or, when the
// transaction fails, the same error for every judge. Drivers implement it;
// ReserveGroup batches concurrent Reserve calls into it.
type BatchReserver interface {
	ReserveBatch(ctx context.Context, q HistoryQuery, judges []Judge) (errs []error)
}

// Batcher runs the items given for one key in batches: while a batch of a
// key is being run, the items that arrive for that key wait, and the next
// batch takes them all at once, up to MaxBatch. Items of different keys
// never wait for each other. Do returns once its item's batch has run.
// Group commit in the drivers is built on it. Build one with NewBatcher.
type Batcher[K comparable, T any] struct {
	run func(ctx context.Context, key K, items []T) []error
	// MaxBatch bounds the items of one batch.
	MaxBatch int
	// Timeout bounds one batch's run (the callers' contexts do not: a
	// batch serves several callers).
	Timeout time.Duration

	mu   sync.Mutex
	keys map[K]*batchQueue[T]
}

type batchQueue[T any] struct {
	running bool
	pending []batchItem[T]
}

type batchItem[T any] struct {
	item T
	done chan error
}

// NewBatcher returns a batcher that runs batches with run (errs[i] is
// item i's result), at most 256 items and 30 seconds a batch.
func NewBatcher[K comparable, T any](run func(ctx context.Context, key K, items []T) []error) *Batcher[K, T] {
	return &Batcher[K, T]{run: run, MaxBatch: 256, Timeout: 30 * time.Second, keys: map[K]*batchQueue[T]{}}
}

// Do queues item under key and returns its result once its batch has run.
func (b *Batcher[K, T]) Do(key K, item T) error {
	it := batchItem[T]{item: item, done: make(chan error, 1)}
	b.mu.Lock()
	q := b.keys[key]
	if q == nil {
		q = &batchQueue[T]{}
		b.keys[key] = q
	}
	q.pending = append(q.pending, it)
	lead := !q.running
	q.running = true
	b.mu.Unlock()
	if lead {
		b.runOne(key, q)
	}
	return <-it.done
}

// runOne runs one batch of q, then hands the next to a new goroutine (so
// that this caller returns), or marks the key idle.
func (b *Batcher[K, T]) runOne(key K, q *batchQueue[T]) {
	b.mu.Lock()
	n := min(len(q.pending), max(b.MaxBatch, 1))
	batch := q.pending[:n:n]
	q.pending = q.pending[n:]
	b.mu.Unlock()

	items := make([]T, len(batch))
	for i, it := range batch {
		items[i] = it.item
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.Timeout)
	errs := b.run(ctx, key, items)
	cancel()
	for i, it := range batch {
		it.done <- errs[i]
	}

	b.mu.Lock()
	if len(q.pending) == 0 {
		q.running = false
		delete(b.keys, key)
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	go b.runOne(key, q)
}

// ReserveGroup turns concurrent reservations on the same counters into
// one transaction per batch ("group commit"): reservations of the same
// keys (HistoryQuery.Keys) and day that arrive while a batch of that
// key is in its transaction are taken together by the next one. The
// judges of a batch run one after the other, each seeing the counts of
// those before it, so a batch is a serial order of its reservations, and
// the lock is taken, the history read and the commit paid once per batch
// instead of once per reservation. Build one with NewReserveGroup.
type ReserveGroup struct {
	batches *Batcher[groupKey, reservation]
}

// groupKey is what a batch's reservations share: their keys, and their
// day in every scope's calendar (a batch is judged with one set of
// windows; 15:59 and 16:00 UTC are one UTC day but two days in Shanghai).
type groupKey struct {
	state, pair, exporter string
	day, exporterDay      int64
}

// groupKeyOf is the batch key of q.
func groupKeyOf(q HistoryQuery) groupKey {
	return groupKey{q.RequestingState, q.Pair, q.Exporter, DayNumber(q.At), model.DayIn(model.ScopeExporter, q.At)}
}

type reservation struct {
	q     HistoryQuery
	judge Judge
}

// NewReserveGroup returns a group over b (batches of at most 256
// reservations, 30 seconds a transaction).
func NewReserveGroup(b BatchReserver) *ReserveGroup {
	return &ReserveGroup{batches: NewBatcher(func(ctx context.Context, _ groupKey, rs []reservation) []error {
		judges := make([]Judge, len(rs))
		for i, r := range rs {
			judges[i] = guard(r.judge)
		}
		return b.ReserveBatch(ctx, rs[0].q, judges)
	})}
}

// judgePanic carries a judge's panic to the goroutine of its caller.
type judgePanic struct{ v any }

func (p judgePanic) Error() string { return fmt.Sprintf("judge panicked: %v", p.v) }

// Reserve implements Counters.Reserve through batches. It returns once
// the batch holding this reservation has committed or failed; a panic of
// judge is raised again here.
func (g *ReserveGroup) Reserve(ctx context.Context, q HistoryQuery, judge func(*model.History) ([]CounterDelta, error)) error {
	if judge == nil {
		return fmt.Errorf("%w: reserve: judge is nil", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reserve: %w", err)
	}
	err := g.batches.Do(groupKeyOf(q), reservation{q, judge})
	if p, ok := err.(judgePanic); ok {
		panic(p.v)
	}
	return err
}

// guard turns a judge's panic into a judgePanic error, so that one bad
// judge neither kills the batch's goroutine nor leaves a transaction open.
func guard(j Judge) Judge {
	return func(h *model.History) (counts []CounterDelta, err error) {
		defer func() {
			if v := recover(); v != nil {
				counts, err = nil, judgePanic{v}
			}
		}()
		return j(h)
	}
}

// RunBatch is the part of ReserveBatch every driver shares: with r
// reading q's counters inside the transaction, it calls each judge in
// order, showing it r's history plus the valid counts of the judges before
// it, and returns the counts to write and each judge's error. Counts that
// break ValidateReservation fail their own judge only, as does a judge's
// panic (as judgePanic). When r's driver failed on a read (r.Err), the
// judges may have seen wrong counts: err is that failure, and nothing must
// be written.
func RunBatch(q HistoryQuery, r *CounterReader, judges []Judge) (write []CounterDelta, errs []error, err error) {
	errs = make([]error, len(judges))
	h := r.History()
	for i, j := range judges {
		counts, err := j(h)
		if rerr := r.Err(); rerr != nil {
			return nil, FailAll(errs, fmt.Errorf("read counters: %w", rerr)), rerr
		}
		if err == nil {
			err = ValidateReservation(q, counts)
		}
		if err != nil {
			errs[i] = err
			continue
		}
		r.Add(counts)
		write = append(write, counts...)
	}
	return write, errs, nil
}

// FailAll returns errs with err in place of every nil, for a batch whose
// transaction failed: no judge's counts were written.
func FailAll(errs []error, err error) []error {
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return errs
}
