package store

import (
	"context"
	"fmt"
	"time"
)

// IdempotencyRetention is how long a key and the first response it
// answered are kept: a retry with the same key within that time gets the
// same answer; after it the key is forgotten and may be used afresh.
const IdempotencyRetention = 24 * time.Hour

// IdempotencyLease is how long a claim on a key whose request has not
// finished holds: a request with the same key in that time is told the
// first is in progress; after it the first is presumed dead (its server
// stopped) and the next request may claim the key.
const IdempotencyLease = 2 * time.Minute

// MaxIdempotencyKey bounds the length of a key.
const MaxIdempotencyKey = 255

// Idempotency keeps Idempotency-Key claims and the first response each
// answered, per principal, so that a retried request takes effect once.
// A key is bound to the principal that sent it: another principal's key of
// the same text is another key.
type Idempotency interface {
	// ClaimIdempotencyKey claims c.Principal's key c.Key for a request whose
	// fingerprint is c.Fingerprint, atomically in the database (insert if
	// absent): it returns the claim (Status 0) and true when this call
	// holds the key, which is when the key is unknown, expired
	// (IdempotencyRetention after its claim) or claimed by a request that
	// did not finish within IdempotencyLease. Otherwise it returns the
	// record that holds the key (in progress, Status 0, or completed) and
	// false. The claim time is c.At, truncated to the microsecond.
	ClaimIdempotencyKey(ctx context.Context, c IdempotencyClaim) (IdempotencyRecord, bool, error)
	// CompleteIdempotencyKey stores the response of the claim r (found by
	// r.Principal, r.Key and r.Created); ErrNotFound if that claim no
	// longer holds the key (it was released, expired or taken over).
	CompleteIdempotencyKey(ctx context.Context, r IdempotencyRecord) error
	// ReleaseIdempotencyKey deletes the claim made at claimed, if it is
	// still in progress, so that a retry is processed afresh. Releasing a
	// claim that no longer holds is not an error.
	ReleaseIdempotencyKey(ctx context.Context, principal, key string, claimed time.Time) error
	// PruneIdempotencyKeys deletes the keys claimed before before and
	// returns how many it deleted.
	PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)
}

// IdempotencyClaim asks for a key.
type IdempotencyClaim struct {
	// Principal is the id of the caller.
	Principal string
	// Key is the Idempotency-Key the caller sent (1 to MaxIdempotencyKey
	// bytes).
	Key string
	// Fingerprint is the SHA-256 of the request (method, path, body).
	Fingerprint []byte
	// At is the server's clock.
	At time.Time
}

// Validate reports the first rule c breaks.
func (c IdempotencyClaim) Validate() error {
	switch {
	case c.Principal == "":
		return fmt.Errorf("%w: idempotency key: principal is empty", ErrInvalid)
	case c.Key == "" || len(c.Key) > MaxIdempotencyKey:
		return fmt.Errorf("%w: idempotency key: length %d is not 1 to %d", ErrInvalid, len(c.Key), MaxIdempotencyKey)
	case len(c.Fingerprint) != 32:
		return fmt.Errorf("%w: idempotency key: fingerprint is %d bytes, not 32", ErrInvalid, len(c.Fingerprint))
	case c.At.IsZero():
		return fmt.Errorf("%w: idempotency key: time is zero", ErrInvalid)
	}
	return nil
}

// IdempotencyRecord is a claimed key and, once completed, the response it
// answered.
type IdempotencyRecord struct {
	Principal   string
	Key         string
	Fingerprint []byte
	// Created is when the key was claimed; it identifies the claim.
	Created time.Time
	// Status is the HTTP status of the response; 0 while in progress.
	Status int
	// Header is the response's header fields that are replayed, as JSON
	// (an object of string lists).
	Header []byte
	// Body is the response body.
	Body []byte
}
