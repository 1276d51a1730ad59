package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// Advisory lock spaces. Transaction-scoped advisory locks here use the
// two-key form (space, key), which never meets the one-key form the
// migration lock uses.
const (
	// reserveLockSpace holds one counter key (a scope and its key) for
	// the length of a Reserve or Unreserve transaction; the lock key is a
	// hash of both.
	reserveLockSpace int32 = 0x61636301 // "acc" 1
	// reserveAllLockSpace, key 0, is the one lock a Reserve with no
	// requesting state takes: it can write nothing (store.ValidateReservation),
	// so it only serializes with other such reads.
	reserveAllLockSpace int32 = 0x61636302
	// logLockSpace holds one log index while a decision is recorded or
	// the index is voided; the key folds the index to 32 bits.
	logLockSpace int32 = 0x61636303
)

// lockSQL takes a transaction-scoped advisory lock, released at commit or
// rollback and never held longer.
const lockIndexSQL = `SELECT pg_advisory_xact_lock($1, $2)`

// counterLock is the lock key of a counter key. Two keys may share a
// lock: they then wait for each other, which costs time, never
// correctness.
func counterLock(k store.ScopeKey) int32 {
	h := fnv.New32a()
	h.Write([]byte(k.Scope))
	h.Write([]byte{0x1f})
	h.Write([]byte(k.Key))
	return int32(h.Sum32())
}

// lockKeys takes the advisory locks of q's keys in tx, in ascending order
// of lock key (every transaction takes them in one order, so none waits
// for another that waits for it). A query with no requesting state, which
// reads every state's counters and can write none of them
// (store.ValidateReservation), first takes the one lock that serializes it
// with other such reads.
func lockKeys(ctx context.Context, tx pgx.Tx, q store.HistoryQuery) error {
	b := &pgx.Batch{}
	if q.RequestingState == "" {
		b.Queue(lockIndexSQL, reserveAllLockSpace, 0)
	}
	keys := q.Keys()
	locks := make([]int32, 0, len(keys))
	for _, k := range keys {
		locks = append(locks, counterLock(k))
	}
	slices.Sort(locks)
	for _, l := range slices.Compact(locks) {
		b.Queue(lockIndexSQL, reserveLockSpace, l)
	}
	return tx.SendBatch(ctx, b).Close()
}

// indexKey is the lock key of a log index (indexes 2^32 apart share it).
func indexKey(i uint64) int32 { return int32(uint32(i) ^ uint32(i>>32)) }

// maxReserveAttempts bounds the retries of a Reserve the database asked to
// repeat (serialization failure, deadlock).
const maxReserveAttempts = 5

// Reserve reads the counters of q and adds the counts judge returns, in
// one transaction shared with the reservations on the same counters that
// arrive meanwhile (store.ReserveGroup: one transaction per batch, the
// judges in order, each seeing the counts of those before it).
func (s *Store) Reserve(ctx context.Context, q store.HistoryQuery, judge func(*model.History) ([]store.CounterDelta, error)) error {
	return s.group.Reserve(ctx, q, judge)
}

// ReserveBatch runs judges on the counters of q in one transaction that
// holds a transaction-scoped advisory lock on each of q's keys, taken in
// sorted order before anything is read (one global lock when q has no
// requesting state): every reservation that reads or writes one of those
// keys, in this process or another sharing the database, waits for it.
// The judges' sums are read in the transaction, after the locks. A deadlock or
// serialization failure reruns the whole batch, judges included, a
// bounded number of times.
func (s *Store) ReserveBatch(ctx context.Context, q store.HistoryQuery, judges []store.Judge) []error {
	var (
		errs []error
		err  error
	)
	for attempt := 1; ; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := lockKeys(ctx, tx, q); err != nil {
				return err
			}
			var (
				write []store.CounterDelta
				err   error
			)
			write, errs, err = store.RunBatch(q, reader(ctx, tx, q, &s.plan), judges)
			if err != nil {
				return err
			}
			if len(write) == 0 {
				return nil
			}
			b := &pgx.Batch{}
			queueCounts(b, write)
			return tx.SendBatch(ctx, b).Close()
		})
		if !retryable(err) || attempt == maxReserveAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return store.FailAll(make([]error, len(judges)), fmt.Errorf("reserve: %w", ctx.Err()))
		case <-time.After(time.Duration(attempt) * time.Millisecond):
		}
	}
	if err != nil {
		return store.FailAll(make([]error, len(judges)), fmt.Errorf("reserve: %w", wrap(err)))
	}
	return errs
}

// retryable reports whether PostgreSQL asked for the transaction to be
// run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// Unreserve takes back counts a Reserve added, never below zero, in one
// transaction holding the locks of their keys.
func (s *Store) Unreserve(ctx context.Context, counts []store.CounterDelta) error {
	if len(counts) == 0 {
		return nil
	}
	q, err := store.QueryOf(counts)
	if err != nil {
		return fmt.Errorf("unreserve: %w", err)
	}
	if err := store.ValidateReservation(q, counts); err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, q); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, c := range store.RollUp(counts) {
			b.Queue(`UPDATE counters SET subjects = GREATEST(subjects - $1, 0), devices = GREATEST(devices - $2, 0)
				WHERE scope = $3 AND key = $4 AND subject_state = $5 AND prefix = $6 AND day = $7`,
				c.Subjects, c.Devices, string(c.Scope), c.Key, c.SubjectState, c.Prefix, int32(c.Day))
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("unreserve: %w", wrap(err))
	}
	return nil
}
