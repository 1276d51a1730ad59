package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
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
	// reserveLockSpace holds a requesting state's counters for the length
	// of a Reserve transaction; the key is a hash of the state.
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

// stateKey is the lock key of a requesting state. Two states may share a
// key: they then wait for each other, which costs time, never
// correctness.
func stateKey(state string) int32 {
	h := fnv.New32a()
	h.Write([]byte(state))
	return int32(h.Sum32())
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
// holds a transaction-scoped advisory lock on q's requesting state (one
// global key when it is empty): every reservation of that state, in this
// process or another sharing the database, waits for it. A deadlock or
// serialization failure reruns the whole batch, judges included, a
// bounded number of times.
func (s *Store) ReserveBatch(ctx context.Context, q store.HistoryQuery, judges []store.Judge) []error {
	space, key := reserveLockSpace, stateKey(q.RequestingState)
	if q.RequestingState == "" {
		space, key = reserveAllLockSpace, 0
	}
	var (
		errs []error
		err  error
	)
	for attempt := 1; ; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, lockIndexSQL, space, key); err != nil {
				return err
			}
			h, err := readHistory(ctx, tx, q)
			if err != nil {
				return err
			}
			var write []store.CounterDelta
			write, errs = store.RunBatch(q, h, judges)
			if len(write) == 0 {
				return nil
			}
			b := &pgx.Batch{}
			queueCounts(b, write, 0)
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

// Unreserve takes back counts a Reserve added (in shard 0, where Reserve
// writes), never below zero, in one transaction holding the state's lock.
func (s *Store) Unreserve(ctx context.Context, counts []store.CounterDelta) error {
	if len(counts) == 0 {
		return nil
	}
	q := store.HistoryQuery{RequestingState: counts[0].RequestingState}
	if err := store.ValidateReservation(q, counts); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockIndexSQL, reserveLockSpace, stateKey(q.RequestingState)); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, c := range store.SortCounts(counts) {
			b.Queue(`UPDATE history SET subjects = GREATEST(subjects - $1, 0), devices = GREATEST(devices - $2, 0)
				WHERE requesting_state = $3 AND counterparty = $4 AND subject_state = $5 AND category = $6 AND day = $7 AND shard = 0`,
				c.Subjects, c.Devices, c.RequestingState, c.Counterparty, c.SubjectState, c.Category, int32(store.DayNumber(c.Day)))
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("unreserve: %w", wrap(err))
	}
	return nil
}
