package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/accord-dev/accord/internal/store"
)

var _ store.Approvals = (*Store)(nil)

// CreateApproval stores a new approval request.
func (s *Store) CreateApproval(ctx context.Context, a store.Approval) error {
	if err := a.Validate(); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO approvals(id, requester, holder, dataset, status, created, version, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Requester, a.Holder, a.Dataset, a.Status, nanos(a.Created), int64(a.Version), a.Doc)
	if err != nil {
		return fmt.Errorf("create approval %s: %w", a.ID, wrap(err))
	}
	return nil
}

// Approval returns one approval request.
func (s *Store) Approval(ctx context.Context, id string) (store.Approval, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, requester, holder, dataset, status, created, version, doc FROM approvals WHERE id = ?`, id)
	if err != nil {
		return store.Approval{}, fmt.Errorf("approval %s: %w", id, wrap(err))
	}
	out, err := scanApprovals(rows)
	if err != nil {
		return store.Approval{}, fmt.Errorf("approval %s: %w", id, err)
	}
	if len(out) == 0 {
		return store.Approval{}, fmt.Errorf("approval %s: %w", id, store.ErrNotFound)
	}
	return out[0], nil
}

// ListApprovals returns the approval requests q selects.
func (s *Store) ListApprovals(ctx context.Context, q store.ApprovalQuery) ([]store.Approval, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if q.Requester != "" && q.Dataset != "" && q.Holder == "" && q.Status == "" {
		// The lookup of every binding decision on a dataset: prepared.
		rows, err = s.approvalsOf.QueryContext(ctx, q.Requester, q.Dataset)
	} else {
		query, args := q.SQL(qmark)
		rows, err = s.r.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", wrap(err))
	}
	out, err := scanApprovals(rows)
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", err)
	}
	return out, nil
}

// UpdateApproval replaces an approval request's status and document if
// its version is still prev.
func (s *Store) UpdateApproval(ctx context.Context, a store.Approval, prev uint64) error {
	if err := a.ValidateUpdate(prev); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE approvals SET status = ?, version = ?, doc = ? WHERE id = ? AND version = ?`,
		a.Status, int64(a.Version), a.Doc, a.ID, int64(prev))
	if err != nil {
		return fmt.Errorf("update approval %s: %w", a.ID, wrap(err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var v int64
	err = s.w.QueryRowContext(ctx, `SELECT version FROM approvals WHERE id = ?`, a.ID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("update approval %s: %w", a.ID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("update approval %s: %w", a.ID, wrap(err))
	}
	return fmt.Errorf("update approval %s: at version %d, not %d: %w", a.ID, v, prev, store.ErrPrecondition)
}

func scanApprovals(rows *sql.Rows) ([]store.Approval, error) {
	defer rows.Close()
	var out []store.Approval
	for rows.Next() {
		var (
			a       store.Approval
			created int64
			version int64
		)
		if err := rows.Scan(&a.ID, &a.Requester, &a.Holder, &a.Dataset, &a.Status, &created, &version, &a.Doc); err != nil {
			return nil, wrap(err)
		}
		a.Created, a.Version = fromNanos(created), uint64(version)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}
