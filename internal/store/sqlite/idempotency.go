package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

// ClaimIdempotencyKey claims a key with one insert-if-absent (an upsert
// that replaces only an expired key or a lapsed claim); the row count says
// whether this call holds the key.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, c store.IdempotencyClaim) (store.IdempotencyRecord, bool, error) {
	if err := c.Validate(); err != nil {
		return store.IdempotencyRecord{}, false, err
	}
	at := c.At.UTC().Truncate(time.Microsecond)
	expired := nanos(at.Add(-store.IdempotencyRetention))
	lapsed := nanos(at.Add(-store.IdempotencyLease))
	for range 3 {
		res, err := s.w.ExecContext(ctx, `INSERT INTO idempotency_keys(principal, key, fingerprint, status, header, body, created)
			VALUES (?1, ?2, ?3, 0, x'', x'', ?4)
			ON CONFLICT(principal, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = 0, header = x'', body = x'', created = excluded.created
			WHERE idempotency_keys.created <= ?5 OR (idempotency_keys.status = 0 AND idempotency_keys.created <= ?6)`,
			c.Principal, c.Key, c.Fingerprint, nanos(at), expired, lapsed)
		if err != nil {
			return store.IdempotencyRecord{}, false, fmt.Errorf("claim idempotency key: %w", wrap(err))
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return store.IdempotencyRecord{Principal: c.Principal, Key: c.Key, Fingerprint: c.Fingerprint, Created: at}, true, nil
		}
		r := store.IdempotencyRecord{Principal: c.Principal, Key: c.Key}
		var created int64
		err = s.w.QueryRowContext(ctx, `SELECT fingerprint, status, header, body, created FROM idempotency_keys WHERE principal = ? AND key = ?`,
			c.Principal, c.Key).Scan(&r.Fingerprint, &r.Status, &r.Header, &r.Body, &created)
		if errors.Is(err, sql.ErrNoRows) {
			continue // released or pruned in between: claim again
		}
		if err != nil {
			return store.IdempotencyRecord{}, false, fmt.Errorf("claim idempotency key: %w", wrap(err))
		}
		r.Created = fromNanos(created)
		return r, false, nil
	}
	return store.IdempotencyRecord{}, false, fmt.Errorf("claim idempotency key: %w: the key was released three times while claiming it", store.ErrUnavailable)
}

// CompleteIdempotencyKey stores the response of a claim still held.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, r store.IdempotencyRecord) error {
	if r.Status <= 0 {
		return fmt.Errorf("%w: complete idempotency key: status %d", store.ErrInvalid, r.Status)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, header = ?, body = ?
		WHERE principal = ? AND key = ? AND created = ? AND status = 0`,
		r.Status, nonNilBytes(r.Header), nonNilBytes(r.Body), r.Principal, r.Key, nanos(r.Created.UTC().Truncate(time.Microsecond)))
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", wrap(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("complete idempotency key: %w: the claim no longer holds", store.ErrNotFound)
	}
	return nil
}

// ReleaseIdempotencyKey deletes a claim still in progress.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, principal, key string, claimed time.Time) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND created = ? AND status = 0`,
		principal, key, nanos(claimed.UTC().Truncate(time.Microsecond)))
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", wrap(err))
	}
	return nil
}

// PruneIdempotencyKeys deletes the keys claimed before before.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created < ?`, nanos(before))
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", wrap(err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}
