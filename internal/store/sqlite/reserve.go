package sqlite

import (
	"context"
	"fmt"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// Reserve reads the counters of q and adds the counts judge returns, in
// one write transaction shared with the reservations on the same counters
// that arrive meanwhile (store.ReserveGroup: one transaction per batch,
// the judges in order, each seeing the counts of those before it).
func (s *Store) Reserve(ctx context.Context, q store.HistoryQuery, judge func(*model.History) ([]store.CounterDelta, error)) error {
	return s.group.Reserve(ctx, q, judge)
}

// ReserveBatch runs judges on the counters of q in one write transaction.
// The transaction begins IMMEDIATE (the DSN's _txlock), so it holds
// SQLite's write lock, and with it every key of q, from its first read to
// its commit: every writer, in this process (one write connection) or in
// another, waits for it, and the history the judges see is the history
// their counts are added to. Each sum goes through the transaction, never
// the read pool. SQLite never
// asks for a retry here, so each judge runs once.
func (s *Store) ReserveBatch(ctx context.Context, q store.HistoryQuery, judges []store.Judge) []error {
	errs := make([]error, len(judges))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.FailAll(errs, fmt.Errorf("reserve: %w", wrap(err)))
	}
	defer tx.Rollback() // after Commit: a no-op
	write, errs, err := store.RunBatch(q, s.reader(ctx, tx, q), judges)
	if err != nil {
		return store.FailAll(errs, fmt.Errorf("reserve: %w", err))
	}
	if len(write) == 0 {
		return errs
	}
	if err = s.addCounts(ctx, tx, write); err != nil {
		return store.FailAll(errs, fmt.Errorf("reserve: %w", err))
	}
	if err = tx.Commit(); err != nil {
		return store.FailAll(errs, fmt.Errorf("reserve: commit: %w", wrap(err)))
	}
	return errs
}

// Unreserve takes back counts a Reserve added, never below zero, in one
// write transaction.
func (s *Store) Unreserve(ctx context.Context, counts []store.CounterDelta) (err error) {
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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("unreserve: %w", wrap(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for _, c := range store.RollUp(counts) {
		_, err = tx.ExecContext(ctx, `UPDATE counters SET subjects = MAX(subjects - ?, 0), devices = MAX(devices - ?, 0)
			WHERE scope = ? AND key = ? AND subject_state = ? AND prefix = ? AND day = ?`,
			c.Subjects, c.Devices, string(c.Scope), c.Key, c.SubjectState, c.Prefix, c.Day)
		if err != nil {
			return fmt.Errorf("unreserve: %w", wrap(err))
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("unreserve: commit: %w", wrap(err))
	}
	return nil
}
