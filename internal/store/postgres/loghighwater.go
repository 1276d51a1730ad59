package postgres

import (
	"context"
	"fmt"
)

// highWaterSQL is one more than the highest log index the store records
// (decisions, voids and their void entries, statements, registry and
// pack changes), 0 when none.
const highWaterSQL = `SELECT COALESCE(MAX(i) + 1, 0) FROM (
	SELECT MAX(log_index) AS i FROM decisions
	UNION ALL SELECT MAX(log_index) FROM voids
	UNION ALL SELECT MAX(void_index) FROM voids
	UNION ALL SELECT MAX(log_index) FROM statements) AS m`

// emptySQL is true when the store holds no row a server writes.
const emptySQL = `SELECT NOT EXISTS (SELECT 1 FROM decisions) AND NOT EXISTS (SELECT 1 FROM voids)
	AND NOT EXISTS (SELECT 1 FROM statements) AND NOT EXISTS (SELECT 1 FROM principals)
	AND NOT EXISTS (SELECT 1 FROM tokens) AND NOT EXISTS (SELECT 1 FROM datasets)
	AND NOT EXISTS (SELECT 1 FROM mla_cases) AND NOT EXISTS (SELECT 1 FROM registry_changes)`

// LogHighWater returns the size the log must have at least for every log
// index the store records to be in it: one more than the highest index of
// a decision, a void, a statement or a registry change, 0 when the store records none. A
// server refuses to start when its log is smaller (the log is missing, or
// older than the database).
func (s *Store) LogHighWater(ctx context.Context) (uint64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, highWaterSQL).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: log high water: %w", wrap(err))
	}
	return uint64(n), nil
}

// Empty reports whether the store holds nothing a server writes: no
// decision, void, statement, principal, token, dataset, case or registry
// change.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var empty bool
	if err := s.pool.QueryRow(ctx, emptySQL).Scan(&empty); err != nil {
		return false, fmt.Errorf("postgres: empty: %w", wrap(err))
	}
	return empty, nil
}
