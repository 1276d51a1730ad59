package sqlite

import (
	"context"
	"fmt"

	"github.com/accord-dev/accord/internal/store"
)

// RecordMLA implements store.MLARecords.
func (s *Store) RecordMLA(ctx context.Context, r store.MLARecord) error {
	_, err := s.ImportMLARecords(ctx, []store.MLARecord{r})
	return err
}

// ImportMLARecords implements store.MLARecords: one transaction, each row
// inserted unless its log index is taken, and then compared with the row
// stored (the same record is not an error; another is store.ErrConflict
// and rolls everything back).
func (s *Store) ImportMLARecords(ctx context.Context, rs []store.MLARecord) (added int, err error) {
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return 0, err
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store mla records: %w", wrap(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
			added = 0
		}
	}()
	for _, r := range rs {
		res, err := tx.ExecContext(ctx, `INSERT INTO mla_records(log_index, case_id, entry, record, salt, created) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (log_index) DO NOTHING`, int64(r.LogIndex), r.Case, r.Entry, r.Record, r.Salt, nanos(r.Created))
		if err != nil {
			return 0, fmt.Errorf("store mla record at log index %d: %w", r.LogIndex, wrap(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, fmt.Errorf("store mla record at log index %d: %w", r.LogIndex, wrap(err))
		} else if n == 1 {
			added++
			continue
		}
		stored := store.MLARecord{LogIndex: r.LogIndex}
		if err := tx.QueryRowContext(ctx, `SELECT case_id, entry, record, salt FROM mla_records WHERE log_index = ?`, int64(r.LogIndex)).
			Scan(&stored.Case, &stored.Entry, &stored.Record, &stored.Salt); err != nil {
			return 0, fmt.Errorf("store mla record at log index %d: %w", r.LogIndex, wrap(err))
		}
		if !stored.SameAs(r) {
			return 0, fmt.Errorf("store mla record at log index %d (case %s): another record is stored there (case %s): %w", r.LogIndex, r.Case, stored.Case, store.ErrConflict)
		}
	}
	if err = tx.Commit(); err != nil {
		return 0, fmt.Errorf("store mla records: commit: %w", wrap(err))
	}
	return added, nil
}

// ListMLARecords implements store.MLARecords.
func (s *Store) ListMLARecords(ctx context.Context, caseID string) ([]store.MLARecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT log_index, case_id, entry, record, salt, created FROM mla_records
		WHERE ? = '' OR case_id = ? ORDER BY log_index`, caseID, caseID)
	if err != nil {
		return nil, fmt.Errorf("list mla records: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.MLARecord{}
	for rows.Next() {
		var (
			m        store.MLARecord
			idx, crt int64
		)
		if err := rows.Scan(&idx, &m.Case, &m.Entry, &m.Record, &m.Salt, &crt); err != nil {
			return nil, fmt.Errorf("list mla records: %w", wrap(err))
		}
		m.LogIndex, m.Created = uint64(idx), fromNanos(crt)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list mla records: %w", wrap(err))
	}
	return out, nil
}
