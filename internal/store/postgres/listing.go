package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// insertFacetsSQL writes the facet rows of one decision in one statement.
const insertFacetsSQL = `INSERT INTO decision_facets(log_index, facet, value, created)
	SELECT $1, f, v, $2 FROM unnest($3::text[], $4::text[]) AS t(f, v) ON CONFLICT DO NOTHING`

// queueFacets queues the facet rows of sum (decision_facets) on b.
func queueFacets(b *pgx.Batch, sum store.DecisionSummary) {
	names, values := facetColumns(sum)
	b.Queue(insertFacetsSQL, int64(sum.LogIndex), sum.Time, names, values)
}

func facetColumns(sum store.DecisionSummary) ([]string, []string) {
	fs := sum.Facets()
	names, values := make([]string, len(fs)), make([]string, len(fs))
	for i, f := range fs {
		names[i], values[i] = f.Name, f.Value
	}
	return names, values
}

// ListDecisions returns the summaries of the decisions matching q, newest
// first (store.ListSQL).
func (s *Store) ListDecisions(ctx context.Context, q store.DecisionQuery) ([]store.DecisionSummary, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	query, args := store.ListSQL(q, store.SQLDialect{Arg: pgArg, Time: func(t time.Time) any { return t }, Fence: " OFFSET 0"})
	return list(ctx, s, "list decisions", func(r pgx.Row) (store.DecisionSummary, error) {
		var (
			id, principal, outcome string
			idx                    int64
			created                time.Time
			summary                *string
			private                []byte
		)
		if err := r.Scan(&id, &idx, &principal, &outcome, &created, &summary, &private); err != nil {
			return store.DecisionSummary{}, wrap(err)
		}
		var sum []byte
		if summary != nil {
			sum = []byte(*summary)
		}
		return store.ScanSummary(id, uint64(idx), principal, outcome, created.UTC(), sum, private)
	}, query, args...)
}

// summarizeBatch is how many records summarize converts per transaction.
const summarizeBatch = 500

// summarize fills in the summary and facets of the records stored before
// schema version 10 (summary NULL), from their private records, a batch
// per transaction. Replicas opening together skip each other's rows.
func (s *Store) summarize(ctx context.Context) error {
	for {
		n := 0
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, log_index, principal_id, outcome, private, created FROM decisions
				WHERE summary IS NULL LIMIT $1 FOR UPDATE SKIP LOCKED`, summarizeBatch)
			if err != nil {
				return err
			}
			recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.DecisionRecord, error) {
				var (
					rec     store.DecisionRecord
					idx     int64
					outcome string
				)
				err := r.Scan(&rec.ID, &idx, &rec.Principal, &outcome, &rec.Private, &rec.Created)
				rec.LogIndex, rec.Outcome = uint64(idx), model.Outcome(outcome)
				return rec, err
			})
			if err != nil {
				return err
			}
			n = len(recs)
			b := &pgx.Batch{}
			for _, rec := range recs {
				sum := store.SummaryOf(rec)
				js, err := store.EncodeSummary(sum)
				if err != nil {
					return err
				}
				b.Queue(`UPDATE decisions SET summary = $1 WHERE id = $2`, js, rec.ID)
				queueFacets(b, sum)
			}
			return tx.SendBatch(ctx, b).Close()
		})
		if err != nil {
			return fmt.Errorf("summarize decisions: %w", wrap(err))
		}
		if n < summarizeBatch {
			return nil
		}
	}
}

// pgArg is the placeholder of the n-th argument of a query ($n).
func pgArg(n int) string { return "$" + strconv.Itoa(n) }
