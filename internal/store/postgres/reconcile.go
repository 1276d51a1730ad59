package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/store"
)

// A record and a void of the same log index exclude each other:
// RecordDecision, VoidUnrecorded and RecordVoid each take the
// transaction-scoped advisory lock of the index, then check for the other
// in the same transaction. Under READ COMMITTED each statement after the
// lock sees every transaction that held it before and committed.

// lockIndex takes the advisory lock of logIndex in tx and reports whether
// a decision is recorded there.
func lockIndex(ctx context.Context, tx pgx.Tx, logIndex uint64) (recorded bool, err error) {
	if _, err := tx.Exec(ctx, lockIndexSQL, logLockSpace, indexKey(logIndex)); err != nil {
		return false, err
	}
	err = tx.QueryRow(ctx, `SELECT EXISTS(SELECT 1 FROM decisions WHERE log_index = $1)`, int64(logIndex)).Scan(&recorded)
	return recorded, err
}

// VoidUnrecorded voids logIndex unless a decision is recorded there.
func (s *Store) VoidUnrecorded(ctx context.Context, logIndex uint64, at time.Time) (bool, error) {
	if logIndex > math.MaxInt64 {
		return false, fmt.Errorf("%w: log index %d is out of range", store.ErrInvalid, logIndex)
	}
	var recorded bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if recorded, err = lockIndex(ctx, tx, logIndex); err != nil || recorded {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO voids(log_index, void_index, decision_id, created) VALUES ($1, NULL, '', $2) ON CONFLICT(log_index) DO NOTHING`,
			int64(logIndex), at)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("void index %d: %w", logIndex, wrap(err))
	}
	return !recorded, nil
}

// SetVoidIndex notes where the void entry of logIndex landed. A void
// index already set is kept (the first void entry is the one that counts).
func (s *Store) SetVoidIndex(ctx context.Context, logIndex, voidIndex uint64) error {
	if logIndex > math.MaxInt64 || voidIndex > math.MaxInt64 {
		return fmt.Errorf("%w: log index %d or void index %d is out of range", store.ErrInvalid, logIndex, voidIndex)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE voids SET void_index = COALESCE(void_index, $1) WHERE log_index = $2`, int64(voidIndex), int64(logIndex))
	if err != nil {
		return fmt.Errorf("set void index of %d: %w", logIndex, wrap(err))
	}
	return affected(tag, fmt.Sprintf("void of log index %d", logIndex))
}

func scanVoid(r pgx.Row) (store.Void, error) {
	var (
		v  store.Void
		li int64
		vi *int64
	)
	if err := r.Scan(&li, &vi, &v.DecisionID, &v.Created); err != nil {
		return v, wrap(err)
	}
	v.LogIndex, v.Created = uint64(li), v.Created.UTC()
	if vi != nil {
		v.VoidIndex = uint64(*vi)
	}
	return v, nil
}

// UnloggedVoids returns the voids whose void index is unset.
func (s *Store) UnloggedVoids(ctx context.Context) ([]store.Void, error) {
	return list(ctx, s, "unlogged voids", scanVoid, `SELECT log_index, void_index, decision_id, created FROM voids WHERE void_index IS NULL ORDER BY log_index`)
}

// Voided reports whether logIndex is voided.
func (s *Store) Voided(ctx context.Context, logIndex uint64) (bool, error) {
	if logIndex > math.MaxInt64 {
		return false, nil
	}
	var v bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS(SELECT 1 FROM voids WHERE log_index = $1)`, int64(logIndex)).Scan(&v); err != nil {
		return false, fmt.Errorf("voided %d: %w", logIndex, wrap(err))
	}
	return v, nil
}

// RecordedIndexes returns the recorded log indexes in [from, to).
func (s *Store) RecordedIndexes(ctx context.Context, from, to uint64) ([]uint64, error) {
	if from >= to || from > math.MaxInt64 {
		return []uint64{}, nil
	}
	hi := int64(math.MaxInt64)
	if to <= math.MaxInt64 {
		hi = int64(to)
	}
	return list(ctx, s, "recorded indexes", func(r pgx.Row) (uint64, error) {
		var i int64
		err := r.Scan(&i)
		return uint64(i), wrap(err)
	}, `SELECT log_index FROM decisions WHERE log_index >= $1 AND log_index < $2 ORDER BY log_index`, int64(from), hi)
}

// metaReconciled is the meta key of the reconciler's watermark.
const metaReconciled = "reconciled_through"

// ReconciledThrough returns the reconciler's watermark (0 at first).
func (s *Store) ReconciledThrough(ctx context.Context) (uint64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE((SELECT value FROM meta WHERE key = $1), 0)`, metaReconciled).Scan(&n)
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
	_, err := s.pool.Exec(ctx, `INSERT INTO meta(key, value) VALUES ($1, $2)
		ON CONFLICT(key) DO UPDATE SET value = GREATEST(meta.value, excluded.value)`, metaReconciled, int64(n))
	if err != nil {
		return fmt.Errorf("set reconciled through %d: %w", n, wrap(err))
	}
	return nil
}
