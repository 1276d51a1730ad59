package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/store"
)

var _ store.Approvals = (*Store)(nil)

// CreateApproval stores a new approval request.
func (s *Store) CreateApproval(ctx context.Context, a store.Approval) error {
	if err := a.Validate(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO approvals(id, requester, holder, dataset, status, created, version, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, a.Requester, a.Holder, a.Dataset, a.Status, a.Created.UTC(), int64(a.Version), a.Doc)
	if err != nil {
		return fmt.Errorf("create approval %s: %w", a.ID, wrap(err))
	}
	return nil
}

// Approval returns one approval request.
func (s *Store) Approval(ctx context.Context, id string) (store.Approval, error) {
	a, err := scanApproval(s.pool.QueryRow(ctx, `SELECT id, requester, holder, dataset, status, created, version, doc FROM approvals WHERE id = $1`, id))
	if err != nil {
		return store.Approval{}, fmt.Errorf("approval %s: %w", id, wrap(err))
	}
	return a, nil
}

// ListApprovals returns the approval requests q selects.
func (s *Store) ListApprovals(ctx context.Context, q store.ApprovalQuery) ([]store.Approval, error) {
	query, args := q.SQL(pgArg)
	return list(ctx, s, "list approvals", scanApproval, query, args...)
}

// UpdateApproval replaces an approval request's status and document if
// its version is still prev.
func (s *Store) UpdateApproval(ctx context.Context, a store.Approval, prev uint64) error {
	if err := a.ValidateUpdate(prev); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE approvals SET status = $1, version = $2, doc = $3 WHERE id = $4 AND version = $5`,
		a.Status, int64(a.Version), a.Doc, a.ID, int64(prev))
	if err != nil {
		return fmt.Errorf("update approval %s: %w", a.ID, wrap(err))
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var v int64
	err = s.pool.QueryRow(ctx, `SELECT version FROM approvals WHERE id = $1`, a.ID).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("update approval %s: %w", a.ID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("update approval %s: %w", a.ID, wrap(err))
	}
	return fmt.Errorf("update approval %s: at version %d, not %d: %w", a.ID, v, prev, store.ErrPrecondition)
}

func scanApproval(r pgx.Row) (store.Approval, error) {
	var (
		a       store.Approval
		version int64
	)
	if err := r.Scan(&a.ID, &a.Requester, &a.Holder, &a.Dataset, &a.Status, &a.Created, &version, &a.Doc); err != nil {
		return store.Approval{}, wrap(err)
	}
	a.Created, a.Version = a.Created.UTC(), uint64(version)
	return a, nil
}
