package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// testOptions are fast options for tests: checkpoints every 100 ms (the
// minimum Tessera allows) and small batches.
func testOptions() Options {
	return Options{Origin: "accord.test/fr", CheckpointInterval: 100 * time.Millisecond, BatchMaxAge: 5 * time.Millisecond}
}

// openTest opens a fresh log under a temporary data directory and closes it
// at the end of the test.
func openTest(t testing.TB, opts Options) (*Log, string) {
	t.Helper()
	data := t.TempDir()
	dir := filepath.Join(data, "log")
	l, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l, dir
}

// sampleRequest is a request with personal data and free text, so tests can
// check none of it reaches the public entry.
func sampleRequest(i int) *model.Request {
	return &model.Request{
		Action:     model.ActionAccess,
		Requester:  model.Principal{ID: "bka-officer-jane-doe", Kind: model.KindStateAuthority, Role: "law-enforcement", Jurisdiction: "DE"},
		OnBehalfOf: nil,
		Data: model.Data{
			Dataset:    "crm-eu-customers",
			Location:   "FR",
			Origin:     []string{"FR", "BE", "FR"},
			Categories: []string{"personal.contact", "personal.financial"},
			Subjects:   map[string]int64{"FR": 12, "BE": int64(i)},
			Records:    13,
			CII:        &model.CII{State: "FR", Sector: "energy"},
		},
		Destination: "DE",
		Purpose:     model.PurposeLawEnforcement,
		Selectors:   model.Selectors{Kind: model.SelectorSpecific, Count: 1},
		Basis:       model.Basis{Kind: "mla", Ref: "MLA-2026-0042 Jean Dupont", Agreement: "de-fr-mlat"},
		Time:        time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
}

func sampleDecision() *model.Decision {
	return &model.Decision{
		ID:      "dec-0001-secret",
		Outcome: model.Pending,
		Reasons: []model.Reason{
			{Rule: "gdsi-5-location-consent", Pack: "gdsi", Effect: "require", Message: "Data located in FR needs FR's authorization for Jean Dupont", Citation: "GDSI 5"},
			{Rule: "gdsi-6-mla", Pack: "gdsi", Effect: "obligate", Message: "free text", Citation: "GDSI 6"},
		},
		Requires: []model.Requirement{{AuthorizationFrom: "FR", Rule: "gdsi-5-location-consent", Pack: "gdsi"}},
		Packs:    []model.PackOutcome{{Pack: "gdsi", Version: "2026.11.0", Outcome: model.Pending}},
		Binding:  true,
		Time:     time.Date(2026, 11, 22, 10, 0, 1, 500, time.UTC),
	}
}

func mustDecisionEntry(t testing.TB, i int) Entry {
	t.Helper()
	e, _, err := DecisionEntry(sampleRequest(i), sampleDecision())
	if err != nil {
		t.Fatalf("DecisionEntry: %v", err)
	}
	return e
}

func TestAppendReceiptVerify(t *testing.T) {
	l, _ := openTest(t, testOptions())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	const n = 300 // more than one entry bundle
	idx := make([]uint64, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := l.Append(ctx, mustDecisionEntry(t, i))
			if err != nil {
				errs <- err
				return
			}
			idx[i] = j
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	seen := map[uint64]bool{}
	for _, j := range idx {
		if seen[j] {
			t.Fatalf("index %d assigned twice", j)
		}
		seen[j] = true
	}
	for _, j := range []uint64{0, 1, 255, 256, n - 1} {
		r, err := l.Receipt(ctx, j)
		if err != nil {
			t.Fatalf("Receipt(%d): %v", j, err)
		}
		if r.Index != j {
			t.Fatalf("receipt index %d, want %d", r.Index, j)
		}
		if err := VerifyReceipt(r, l.Verifier(), "accord.test/fr"); err != nil {
			t.Fatalf("VerifyReceipt(%d): %v", j, err)
		}
		if err := VerifyReceipt(r, l.Verifier(), ""); err != nil {
			t.Fatalf("VerifyReceipt(%d) with default origin: %v", j, err)
		}
		if _, err := r.ParsedEntry(); err != nil {
			t.Fatalf("receipt entry: %v", err)
		}
	}
	if _, err := l.Receipt(ctx, n+5); err == nil || !strings.Contains(err.Error(), "no such entry") {
		t.Fatalf("Receipt beyond the log: got %v, want no such entry", err)
	}
}

func TestAppendRejectsLargeAndInvalid(t *testing.T) {
	opts := testOptions()
	opts.MaxEntrySize = 600
	l, _ := openTest(t, opts)
	ctx := context.Background()
	e := mustDecisionEntry(t, 1)
	for i := range 40 {
		e.Categories = append(e.Categories, fmt.Sprintf("important.sector-%02d", i))
	}
	if _, err := l.Append(ctx, e); !errors.Is(err, ErrEntryTooLarge) {
		t.Fatalf("large entry: got %v, want ErrEntryTooLarge", err)
	}
	bad := mustDecisionEntry(t, 1)
	bad.Subject = "Jean Dupont"
	if _, err := l.Append(ctx, bad); err == nil || !strings.Contains(err.Error(), "entry field subject") {
		t.Fatalf("free text: got %v, want an error naming field subject", err)
	}
	if size, err := l.reader.IntegratedSize(ctx); err != nil || size != 0 {
		t.Fatalf("rejected entries changed the log: size %d, %v", size, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("reopen keeps key and origin", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		l, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(ctx, mustDecisionEntry(t, 1)); err != nil {
			t.Fatal(err)
		}
		vkey := l.VerifierKey()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(DefaultKeyFile(dir))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
		}
		o := testOptions()
		o.Origin = "" // empty: take the existing log's
		l2, err := Open(ctx, dir, o)
		if err != nil {
			t.Fatal(err)
		}
		defer l2.Close()
		if l2.VerifierKey() != vkey {
			t.Fatalf("reopened log has key %s, want %s", l2.VerifierKey(), vkey)
		}
	})
	t.Run("origin mismatch", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		l, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		before := snapshot(t, filepath.Dir(dir))
		o := testOptions()
		o.Origin = "accord.test/de"
		if _, err := Open(ctx, dir, o); !errors.Is(err, ErrOriginMismatch) {
			t.Fatalf("got %v, want ErrOriginMismatch", err)
		}
		if after := snapshot(t, filepath.Dir(dir)); after != before {
			t.Fatalf("a failed Open changed files:\nbefore %s\nafter  %s", before, after)
		}
	})
	t.Run("corrupt checkpoint", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		l, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		if err := os.WriteFile(filepath.Join(dir, "checkpoint"), []byte("garbage\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, filepath.Dir(dir))
		_, err = Open(ctx, dir, testOptions())
		if err == nil || !strings.Contains(err.Error(), "published checkpoint") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("got %v, want an error about the published checkpoint", err)
		}
		if after := snapshot(t, filepath.Dir(dir)); after != before {
			t.Fatalf("a failed Open changed files")
		}
	})
	t.Run("checkpoint signed by another key", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		l, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		cp := signCheckpoint(t, "accord.test/fr", 0, make([]byte, 32), otherSigner(t, "accord.test/fr"))
		if err := os.WriteFile(filepath.Join(dir, "checkpoint"), []byte(cp), 0o644); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, filepath.Dir(dir))
		if _, err := Open(ctx, dir, testOptions()); !errors.Is(err, ErrSignature) {
			t.Fatalf("got %v, want ErrSignature", err)
		}
		if after := snapshot(t, filepath.Dir(dir)); after != before {
			t.Fatalf("a failed Open changed files")
		}
	})
	t.Run("key of another origin than the log", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		l, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		// Swap in the key of another log (origin accord.test/de).
		other := filepath.Join(t.TempDir(), "log")
		o := testOptions()
		o.Origin = "accord.test/de"
		l2, err := Open(ctx, other, o)
		if err != nil {
			t.Fatal(err)
		}
		l2.Close()
		for _, name := range []string{KeyFileName, VerifierFileName} {
			data, err := os.ReadFile(filepath.Join(filepath.Dir(DefaultKeyFile(other)), name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(filepath.Dir(DefaultKeyFile(dir)), name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		o.Origin = ""
		if _, err := Open(ctx, dir, o); !errors.Is(err, ErrOriginMismatch) || !strings.Contains(err.Error(), `"accord.test/fr"`) {
			t.Fatalf("got %v, want ErrOriginMismatch naming the log's origin", err)
		}
	})
	t.Run("missing key for existing log", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		l, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		if err := os.Rename(DefaultKeyFile(dir), DefaultKeyFile(dir)+".bak"); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, dir, testOptions()); err == nil || !strings.Contains(err.Error(), "signing key") {
			t.Fatalf("got %v, want an error about the missing key", err)
		}
		if _, err := os.Stat(DefaultKeyFile(dir)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Open created a new key for an existing log")
		}
	})
	t.Run("key without its log", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		l, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, dir, testOptions()); err == nil || !strings.Contains(err.Error(), "exists but the log does not") {
			t.Fatalf("got %v, want a refusal to start a second log under the same key", err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Open created %s", dir)
		}
	})
	t.Run("key readable by others", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		l, err := Open(ctx, dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		if err := os.Chmod(DefaultKeyFile(dir), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, dir, testOptions()); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("got %v, want an error about the key's mode", err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		for _, o := range []Options{
			{CheckpointInterval: 10 * time.Millisecond},
			{MaxEntrySize: 1 << 20},
			{Origin: "has space"},
			{WitnessPolicy: []byte("witness w1 not-a-key https://w.example\nquorum w1\n")},
		} {
			dir := filepath.Join(t.TempDir(), "log")
			if l, err := Open(ctx, dir, o); err == nil {
				l.Close()
				t.Errorf("Open(%+v) succeeded, want an error", o)
			}
		}
	})
}

// snapshot lists every file under dir with its size and content hash prefix,
// to check that nothing changed.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() && !strings.HasSuffix(p, ".lock") {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s:%d:%x;", strings.TrimPrefix(p, dir), len(data), data[:min(len(data), 64)])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
