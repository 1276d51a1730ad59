package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

func claim(principal, key, body string, at time.Time) store.IdempotencyClaim {
	fp := sha256.Sum256([]byte(body))
	return store.IdempotencyClaim{Principal: principal, Key: key, Fingerprint: fp[:], At: at}
}

// testIdempotency: a key is claimed once, bound to its principal, keeps
// the first response, can be released, lapses after the lease when never
// completed, expires after the retention, and is pruned.
func testIdempotency(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := day0.Add(123456789 * time.Nanosecond) // below a microsecond is dropped
	first, ok, err := s.ClaimIdempotencyKey(ctx, claim("acme", "k1", "body-a", at))
	must(t, "claim", err)
	if !ok || first.Status != 0 || !first.Created.Equal(at.Truncate(time.Microsecond)) {
		t.Fatalf("first claim = %+v, %v; want held, in progress, created %v", first, ok, at.Truncate(time.Microsecond))
	}
	again, ok, err := s.ClaimIdempotencyKey(ctx, claim("acme", "k1", "body-b", at.Add(time.Second)))
	must(t, "claim again", err)
	if ok || again.Status != 0 || !bytes.Equal(again.Fingerprint, first.Fingerprint) || !again.Created.Equal(first.Created) {
		t.Fatalf("second claim = %+v, %v; want the first, in progress, not held", again, ok)
	}
	if _, ok, err := s.ClaimIdempotencyKey(ctx, claim("globex", "k1", "body-b", at)); err != nil || !ok {
		t.Fatalf("another principal's key of the same text: held %v, %v; want held (keys are per principal)", ok, err)
	}

	done := first
	done.Status, done.Header, done.Body = 201, []byte(`{"Location":["/v1/decisions/d1"]}`), []byte(`{"id":"d1"}`)
	must(t, "complete", s.CompleteIdempotencyKey(ctx, done))
	mustIs(t, "complete twice", s.CompleteIdempotencyKey(ctx, done), store.ErrNotFound)
	must(t, "release after complete (no-op)", s.ReleaseIdempotencyKey(ctx, "acme", "k1", first.Created))
	got, ok, err := s.ClaimIdempotencyKey(ctx, claim("acme", "k1", "body-a", at.Add(time.Hour)))
	must(t, "claim completed", err)
	if ok || got.Status != 201 || string(got.Header) != string(done.Header) || string(got.Body) != string(done.Body) {
		t.Fatalf("claim of a completed key = %+v, %v; want its response", got, ok)
	}
	// Past the retention the key is forgotten and may be used afresh.
	late, ok, err := s.ClaimIdempotencyKey(ctx, claim("acme", "k1", "body-c", at.Add(store.IdempotencyRetention)))
	must(t, "claim expired", err)
	if !ok || late.Status != 0 {
		t.Fatalf("claim after the retention = %+v, %v; want held afresh", late, ok)
	}

	// A released claim may be claimed again at once.
	r, _, err := s.ClaimIdempotencyKey(ctx, claim("acme", "k2", "x", at))
	must(t, "claim k2", err)
	must(t, "release k2", s.ReleaseIdempotencyKey(ctx, "acme", "k2", r.Created))
	if _, ok, err := s.ClaimIdempotencyKey(ctx, claim("acme", "k2", "x", at.Add(time.Millisecond))); err != nil || !ok {
		t.Fatalf("claim after release: %v, %v; want held", ok, err)
	}

	// A claim never completed lapses after the lease; its late completion
	// then fails.
	dead, _, err := s.ClaimIdempotencyKey(ctx, claim("acme", "k3", "x", at))
	must(t, "claim k3", err)
	if _, ok, _ := s.ClaimIdempotencyKey(ctx, claim("acme", "k3", "x", at.Add(store.IdempotencyLease-time.Second))); ok {
		t.Fatal("a claim was taken over within its lease")
	}
	taken, ok, err := s.ClaimIdempotencyKey(ctx, claim("acme", "k3", "x", at.Add(store.IdempotencyLease)))
	if err != nil || !ok {
		t.Fatalf("claim after the lease: %v, %v; want held", ok, err)
	}
	dead.Status = 201
	mustIs(t, "complete a lapsed claim", s.CompleteIdempotencyKey(ctx, dead), store.ErrNotFound)
	must(t, "release a lapsed claim (no-op)", s.ReleaseIdempotencyKey(ctx, "acme", "k3", dead.Created))
	if r, ok, _ := s.ClaimIdempotencyKey(ctx, claim("acme", "k3", "x", at.Add(store.IdempotencyLease+time.Second))); ok || !r.Created.Equal(taken.Created) {
		t.Fatalf("the lapsed claim's release removed the new claim: %+v, %v", r, ok)
	}

	// Bad claims write nothing.
	for name, c := range map[string]store.IdempotencyClaim{
		"empty key":       claim("acme", "", "x", at),
		"long key":        claim("acme", strings.Repeat("k", store.MaxIdempotencyKey+1), "x", at),
		"empty principal": claim("", "k9", "x", at),
		"short hash":      {Principal: "acme", Key: "k9", Fingerprint: []byte{1}, At: at},
		"zero time":       claim("acme", "k9", "x", time.Time{}),
	} {
		_, _, err := s.ClaimIdempotencyKey(ctx, c)
		mustIs(t, name, err, store.ErrInvalid)
	}
	mustIs(t, "complete without status", s.CompleteIdempotencyKey(ctx, store.IdempotencyRecord{Principal: "acme", Key: "k2", Created: at}), store.ErrInvalid)

	n, err := s.PruneIdempotencyKeys(ctx, at.Add(time.Second))
	must(t, "prune", err)
	if n != 2 { // globex/k1 and acme/k2; acme/k1 was claimed afresh a day later, acme/k3 taken over after the lease
		t.Errorf("pruned %d keys, want 2", n)
	}
	if _, ok, _ := s.ClaimIdempotencyKey(ctx, claim("globex", "k1", "x", at.Add(2*time.Second))); !ok {
		t.Error("a pruned key was still held")
	}
}

// testIdempotencyConcurrent: of 16 claims of one key at once, exactly one
// holds it.
func testIdempotencyConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	var (
		wg   sync.WaitGroup
		held atomic.Int32
	)
	for i := range 16 {
		wg.Go(func() {
			_, ok, err := s.ClaimIdempotencyKey(ctx, claim("acme", "race", "x", day0.Add(time.Duration(i)*time.Millisecond)))
			if err != nil {
				t.Error(err)
			}
			if ok {
				held.Add(1)
			}
		})
	}
	wg.Wait()
	if held.Load() != 1 {
		t.Errorf("%d concurrent claims held the key, want exactly 1", held.Load())
	}
}
