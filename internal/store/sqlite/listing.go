package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// appendFacets appends the values of sum's facet rows (decision_facets:
// log index, facet, value, created) to args, for execRows.
func appendFacets(args []any, sum store.DecisionSummary) []any {
	for _, f := range sum.Facets() {
		args = append(args, int64(sum.LogIndex), f.Name, f.Value, nanos(sum.Time))
	}
	return args
}

// ListDecisions returns the summaries of the decisions matching q, newest
// first (store.ListSQL).
func (s *Store) ListDecisions(ctx context.Context, q store.DecisionQuery) ([]store.DecisionSummary, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	query, args := store.ListSQL(q, store.SQLDialect{Arg: qmark, Time: func(t time.Time) any { return nanos(t) }})
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list decisions: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.DecisionSummary{}
	for rows.Next() {
		var (
			id, principal, outcome string
			idx, created           int64
			summary, private       []byte
		)
		if err := rows.Scan(&id, &idx, &principal, &outcome, &created, &summary, &private); err != nil {
			return nil, fmt.Errorf("list decisions: %w", wrap(err))
		}
		sum, err := store.ScanSummary(id, uint64(idx), principal, outcome, fromNanos(created), summary, private)
		if err != nil {
			return nil, fmt.Errorf("list decisions: %w", err)
		}
		out = append(out, sum)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list decisions: %w", wrap(err))
	}
	return out, nil
}

// summarizeBatch is how many records summarize converts per transaction.
const summarizeBatch = 500

// summarize fills in the summary and facets of the records stored before
// schema version 10 (summary NULL), from their private records, a batch
// per transaction.
func (s *Store) summarize(ctx context.Context) error {
	for {
		n, err := s.summarizeSome(ctx)
		if err != nil {
			return fmt.Errorf("summarize decisions: %w", err)
		}
		if n < summarizeBatch {
			return nil
		}
	}
}

func (s *Store) summarizeSome(ctx context.Context) (n int, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, log_index, principal_id, outcome, private, created FROM decisions WHERE summary IS NULL LIMIT ?`, summarizeBatch)
	if err != nil {
		return 0, wrap(err)
	}
	var recs []store.DecisionRecord
	for rows.Next() {
		var (
			r            store.DecisionRecord
			idx, created int64
			outcome      string
		)
		if err := rows.Scan(&r.ID, &idx, &r.Principal, &outcome, &r.Private, &created); err != nil {
			rows.Close()
			return 0, wrap(err)
		}
		r.LogIndex, r.Outcome, r.Created = uint64(idx), model.Outcome(outcome), fromNanos(created)
		recs = append(recs, r)
	}
	if err := rows.Close(); err != nil {
		return 0, wrap(err)
	}
	var facets []any
	for _, r := range recs {
		sum := store.SummaryOf(r)
		js, err := store.EncodeSummary(sum)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE decisions SET summary = ? WHERE id = ?`, js, r.ID); err != nil {
			return 0, wrap(err)
		}
		facets = appendFacets(facets, sum)
	}
	if err := s.execRows(ctx, tx, insertFacetsSQL, 4, facets); err != nil {
		return 0, fmt.Errorf("facets: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, wrap(err)
	}
	return len(recs), nil
}

// qmark is the placeholder of every argument of a query (?).
func qmark(int) string { return "?" }
