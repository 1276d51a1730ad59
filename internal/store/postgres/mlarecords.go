package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

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
func (s *Store) ImportMLARecords(ctx context.Context, rs []store.MLARecord) (int, error) {
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			return 0, err
		}
	}
	added := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		added = 0
		for _, r := range rs {
			tag, err := tx.Exec(ctx, `INSERT INTO mla_records(log_index, case_id, entry, record, salt, created) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (log_index) DO NOTHING`, int64(r.LogIndex), r.Case, r.Entry, r.Record, r.Salt, r.Created.UTC())
			if err != nil {
				return fmt.Errorf("mla record at log index %d: %w", r.LogIndex, wrap(err))
			}
			if tag.RowsAffected() == 1 {
				added++
				continue
			}
			stored := store.MLARecord{LogIndex: r.LogIndex}
			if err := tx.QueryRow(ctx, `SELECT case_id, entry, record, salt FROM mla_records WHERE log_index = $1`, int64(r.LogIndex)).
				Scan(&stored.Case, &stored.Entry, &stored.Record, &stored.Salt); err != nil {
				return fmt.Errorf("mla record at log index %d: %w", r.LogIndex, wrap(err))
			}
			if !stored.SameAs(r) {
				return fmt.Errorf("mla record at log index %d (case %s): another record is stored there (case %s): %w", r.LogIndex, r.Case, stored.Case, store.ErrConflict)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store mla records: %w", wrap(err))
	}
	return added, nil
}

// ListMLARecords implements store.MLARecords.
func (s *Store) ListMLARecords(ctx context.Context, caseID string) ([]store.MLARecord, error) {
	return list(ctx, s, "list mla records", func(r pgx.Row) (store.MLARecord, error) {
		var (
			m   store.MLARecord
			idx int64
		)
		if err := r.Scan(&idx, &m.Case, &m.Entry, &m.Record, &m.Salt, &m.Created); err != nil {
			return m, wrap(err)
		}
		m.LogIndex, m.Created = uint64(idx), m.Created.UTC()
		return m, nil
	}, `SELECT log_index, case_id, entry, record, salt, created FROM mla_records
		WHERE $1 = '' OR case_id = $1 ORDER BY log_index`, caseID)
}
