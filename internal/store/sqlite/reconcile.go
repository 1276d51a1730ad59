package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

// A record and a void of the same log index exclude each other because
// every write runs in a transaction that begins IMMEDIATE: RecordDecision,
// VoidUnrecorded and RecordVoid each check for the other inside their own
// write transaction, and no other writer can commit in between.

// notRecorded returns store.ErrConflict when a decision is recorded at
// logIndex, read in tx.
func (s *Store) notRecorded(ctx context.Context, tx *sql.Tx, logIndex uint64) error {
	var recorded bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM decisions WHERE log_index = ?)`, int64(logIndex)).Scan(&recorded); err != nil {
		return wrap(err)
	}
	if recorded {
		return fmt.Errorf("%w: a decision is recorded at log index %d", store.ErrConflict, logIndex)
	}
	return nil
}

// VoidUnrecorded voids logIndex unless a decision is recorded there.
func (s *Store) VoidUnrecorded(ctx context.Context, logIndex uint64, at time.Time) (ok bool, err error) {
	if logIndex > math.MaxInt64 {
		return false, fmt.Errorf("%w: log index %d is out of range", store.ErrInvalid, logIndex)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("void index %d: %w", logIndex, wrap(err))
	}
	defer tx.Rollback() // after Commit: a no-op
	var recorded bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM decisions WHERE log_index = ?)`, int64(logIndex)).Scan(&recorded); err != nil {
		return false, fmt.Errorf("void index %d: %w", logIndex, wrap(err))
	}
	if recorded {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO voids(log_index, void_index, decision_id, created) VALUES (?, NULL, '', ?) ON CONFLICT(log_index) DO NOTHING`,
		int64(logIndex), nanos(at)); err != nil {
		return false, fmt.Errorf("void index %d: %w", logIndex, wrap(err))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("void index %d: commit: %w", logIndex, wrap(err))
	}
	return true, nil
}

// SetVoidIndex notes where the void entry of logIndex landed. A void
// index already set is kept (the first void entry is the one that counts).
func (s *Store) SetVoidIndex(ctx context.Context, logIndex, voidIndex uint64) error {
	if logIndex > math.MaxInt64 || voidIndex > math.MaxInt64 {
		return fmt.Errorf("%w: log index %d or void index %d is out of range", store.ErrInvalid, logIndex, voidIndex)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE voids SET void_index = COALESCE(void_index, ?) WHERE log_index = ?`, int64(voidIndex), int64(logIndex))
	if err != nil {
		return fmt.Errorf("set void index of %d: %w", logIndex, wrap(err))
	}
	return affected(res, fmt.Sprintf("void of log index %d", logIndex))
}

func scanVoid(r scanner) (store.Void, error) {
	var (
		v       store.Void
		li      int64
		vi      sql.NullInt64
		created int64
	)
	if err := r.Scan(&li, &vi, &v.DecisionID, &created); err != nil {
		return v, wrap(err)
	}
	v.LogIndex, v.VoidIndex, v.Created = uint64(li), uint64(vi.Int64), fromNanos(created)
	return v, nil
}

// UnloggedVoids returns the voids whose void index is unset.
func (s *Store) UnloggedVoids(ctx context.Context) ([]store.Void, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT log_index, void_index, decision_id, created FROM voids WHERE void_index IS NULL ORDER BY log_index`)
	if err != nil {
		return nil, fmt.Errorf("unlogged voids: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.Void{}
	for rows.Next() {
		v, err := scanVoid(rows)
		if err != nil {
			return nil, fmt.Errorf("unlogged voids: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unlogged voids: %w", wrap(err))
	}
	return out, nil
}

// Voided reports whether logIndex is voided.
func (s *Store) Voided(ctx context.Context, logIndex uint64) (bool, error) {
	if logIndex > math.MaxInt64 {
		return false, nil
	}
	var v bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM voids WHERE log_index = ?)`, int64(logIndex)).Scan(&v); err != nil {
		return false, fmt.Errorf("voided %d: %w", logIndex, wrap(err))
	}
	return v, nil
}

// clampIndex maps a log index onto the database's signed 64-bit integers;
// no stored index is above math.MaxInt64.
func clampIndex(i uint64) int64 {
	if i > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(i)
}

// RecordedIndexes returns the recorded log indexes in [from, to).
func (s *Store) RecordedIndexes(ctx context.Context, from, to uint64) ([]uint64, error) {
	out := []uint64{}
	if from >= to || from > math.MaxInt64 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT log_index FROM decisions WHERE log_index >= ? AND log_index < ? ORDER BY log_index`, int64(from), clampIndex(to))
	if err != nil {
		return nil, fmt.Errorf("recorded indexes: %w", wrap(err))
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		if err := rows.Scan(&i); err != nil {
			return nil, fmt.Errorf("recorded indexes: %w", wrap(err))
		}
		out = append(out, uint64(i))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recorded indexes: %w", wrap(err))
	}
	return out, nil
}

// metaReconciled is the meta key of the reconciler's watermark.
const metaReconciled = "reconciled_through"

// ReconciledThrough returns the reconciler's watermark (0 at first).
func (s *Store) ReconciledThrough(ctx context.Context) (uint64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE((SELECT value FROM meta WHERE key = ?), 0)`, metaReconciled).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("reconciled through: %w", wrap(err))
	}
	return uint64(n), nil
}

// SetReconciledThrough raises the watermark to n; a lower n is ignored.
func (s *Store) SetReconciledThrough(ctx context.Context, n uint64) error {
	if n > math.MaxInt64 {
		return fmt.Errorf("%w: reconciled-through %d is out of range", store.ErrInvalid, n)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = max(meta.value, excluded.value)`, metaReconciled, int64(n))
	if err != nil {
		return fmt.Errorf("set reconciled through %d: %w", n, wrap(err))
	}
	return nil
}
