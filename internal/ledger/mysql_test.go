package ledger

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/ledger/mysqltest"
	"github.com/transparency-dev/tessera/api"
)

// mysqlOptions are the fastest options the MySQL driver accepts.
func mysqlOptions(keyFile string) Options {
	return Options{Origin: "accord.test/fr", CheckpointInterval: time.Second, BatchMaxAge: 5 * time.Millisecond, KeyFile: keyFile}
}

func openMySQLTest(t *testing.T, u string, opts Options) *Log {
	t.Helper()
	l, err := OpenMySQL(context.Background(), u, opts)
	if err != nil {
		t.Fatalf("OpenMySQL: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// TestMySQLReplicasShareOneSequence opens one MySQL log from two "replicas"
// (two Logs, as two processes would) appending at once: every index is
// given once, the indexes are dense, receipts from either replica verify,
// and the log read over HTTP from either replica's Handler passes the
// whole-log audit with every entry checked.
func TestMySQLReplicasShareOneSequence(t *testing.T) {
	u := mysqltest.URL(t)
	key := filepath.Join(t.TempDir(), "keys", KeyFileName)
	a := openMySQLTest(t, u, mysqlOptions(key))
	b := openMySQLTest(t, u, mysqlOptions(key))
	if a.Dir() != "" || !strings.HasPrefix(a.Location(), MySQLScheme) {
		t.Fatalf("Dir %q Location %q", a.Dir(), a.Location())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const n = 300 // per replica: more than two entry bundles in all
	var mu sync.Mutex
	seen := map[uint64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for r, l := range []*Log{a, b} {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j, err := l.Append(ctx, mustDecisionEntry(t, r*n+i))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seen[j]++
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	for j := range uint64(2 * n) {
		if seen[j] != 1 {
			t.Fatalf("index %d given %d times (want exactly once; %d indexes seen)", j, seen[j], len(seen))
		}
	}
	for _, j := range []uint64{0, 255, 256, 2*n - 1} {
		for _, l := range []*Log{a, b} {
			r, err := l.Receipt(ctx, j)
			if err != nil {
				t.Fatalf("Receipt(%d): %v", j, err)
			}
			if err := VerifyReceipt(r, l.Verifier(), "accord.test/fr"); err != nil {
				t.Fatalf("VerifyReceipt(%d): %v", j, err)
			}
		}
	}
	size, err := b.PublishedSize(ctx)
	if err != nil || size < 2*n {
		t.Fatalf("PublishedSize = %d, %v; want ≥ %d", size, err, 2*n)
	}
	count := 0
	if err := a.Entries(ctx, 0, size, func(uint64, Entry) error { count++; return nil }); err != nil || count != int(size) {
		t.Fatalf("Entries: %d entries, %v", count, err)
	}
	for _, l := range []*Log{a, b} {
		srv := httptest.NewServer(http.StripPrefix("/log", l.Handler()))
		src, err := OpenSource(srv.URL+"/log/", srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(ctx, src, l.Verifier(), "", VerifyOptions{CheckEntries: true}); err != nil {
			t.Fatalf("Verify over HTTP: %v", err)
		}
		srv.Close()
	}
	if err := a.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
}

// TestMySQLHandlerWidthsAndHeaders checks the read API served from the
// database: a partial tile or bundle has exactly the width its path names
// (the driver stores only the widest), full ones are immutable, the
// checkpoint is no-cache, and resources not yet there are 404.
func TestMySQLHandlerWidthsAndHeaders(t *testing.T) {
	u := mysqltest.URL(t)
	l := openMySQLTest(t, u, mysqlOptions(filepath.Join(t.TempDir(), KeyFileName)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 260 {
		if _, err := l.Append(ctx, mustDecisionEntry(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Receipt(ctx, 259); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/log", l.Handler()))
	defer srv.Close()
	get := func(p string) (int, string, []byte) {
		resp, err := srv.Client().Get(srv.URL + "/log/" + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Cache-Control"), body
	}
	for _, c := range []struct {
		path    string
		status  int
		cache   string
		entries int // bundle entries, or tile hashes; -1: not checked
		bundle  bool
	}{
		{"checkpoint", 200, cacheCheckpoint, -1, false},
		{"tile/entries/000", 200, cacheFull, 256, true},
		{"tile/entries/001.p/3", 200, cachePartial, 3, true},
		{"tile/entries/001.p/4", 200, cachePartial, 4, true},
		{"tile/entries/001.p/200", 404, "no-store", -1, true},
		{"tile/entries/001", 404, "no-store", -1, true},
		{"tile/0/000", 200, cacheFull, 256, false},
		{"tile/0/001.p/2", 200, cachePartial, 2, false},
		{"tile/0/002", 404, "no-store", -1, false},
		{"tile/0/../../etc", 404, "no-store", -1, false},
	} {
		status, cache, body := get(c.path)
		if status != c.status {
			t.Errorf("%s: status %d, want %d", c.path, status, c.status)
			continue
		}
		if status == 200 && cache != c.cache {
			t.Errorf("%s: Cache-Control %q, want %q", c.path, cache, c.cache)
		}
		if c.entries < 0 || status != 200 {
			continue
		}
		got := len(body) / 32
		if c.bundle {
			var eb api.EntryBundle
			if err := eb.UnmarshalText(body); err != nil {
				t.Fatalf("%s: %v", c.path, err)
			}
			got = len(eb.Entries)
		}
		if got != c.entries {
			t.Errorf("%s: %d entries, want %d", c.path, got, c.entries)
		}
	}
	resp, err := srv.Client().Post(srv.URL+"/log/checkpoint", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
}

// TestMySQLOpenRefusals: a replica with another key, an origin the key does
// not sign for, a checkpoint interval below the driver's minimum, no key
// file, and a database that is not there are refused with a clear error.
func TestMySQLOpenRefusals(t *testing.T) {
	u := mysqltest.URL(t)
	dir := t.TempDir()
	first := filepath.Join(dir, "a", KeyFileName)
	l := openMySQLTest(t, u, mysqlOptions(first))
	ctx := context.Background()
	if _, err := l.Append(ctx, mustDecisionEntry(t, 0)); err != nil {
		t.Fatal(err)
	}

	other := filepath.Join(dir, "b", KeyFileName)
	if _, err := OpenMySQL(ctx, u, mysqlOptions(other)); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("another key: got %v, want ErrKeyMismatch", err)
	}
	o := mysqlOptions(first)
	o.Origin = "accord.test/de"
	if _, err := OpenMySQL(ctx, u, o); !errors.Is(err, ErrOriginMismatch) {
		t.Errorf("other origin: got %v, want ErrOriginMismatch", err)
	}
	o = mysqlOptions(first)
	o.CheckpointInterval = 500 * time.Millisecond
	if _, err := OpenMySQL(ctx, u, o); err == nil || !strings.Contains(err.Error(), "minimum") {
		t.Errorf("short interval: got %v", err)
	}
	if _, err := OpenMySQL(ctx, u, mysqlOptions("")); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("no key file: got %v", err)
	}
	bad := strings.Replace(u, "accord_test_", "accord_missing_", 1)
	if _, err := OpenMySQL(ctx, bad, mysqlOptions(first)); err == nil {
		t.Error("a missing database was opened")
	}
	if _, err := OpenMySQL(ctx, "mysql://not a dsn", mysqlOptions(first)); err == nil {
		t.Error("a bad URL was opened")
	}
	if _, err := OpenMySQL(ctx, "postgres://x", mysqlOptions(first)); err == nil {
		t.Error("a postgres URL was opened")
	}
}

func TestRedactMySQLURL(t *testing.T) {
	for in, want := range map[string]string{
		"mysql://root@tcp(127.0.0.1:3306)/test":                  "mysql://root@tcp(127.0.0.1:3306)/test",
		"mysql://accord:s3cret@tcp(db:3306)/log?tls=true":        "mysql://accord:xxx@tcp(db:3306)/log?…",
		"mysql://accord:s3cret@tcp(db:3306)/log?x=1&password=no": "mysql://accord:xxx@tcp(db:3306)/log?…",
	} {
		if got := RedactMySQLURL(in); got != want {
			t.Errorf("RedactMySQLURL(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(RedactMySQLURL(in), "s3cret") {
			t.Errorf("%q: password printed", in)
		}
	}
}

// TestMigrateToMySQL moves a POSIX log into the database: the migrated log
// has the same checkpoint and entries, OpenMySQL with the POSIX log's key
// appends after them, and the whole log verifies; a second migration into
// the grown log, and the migration of another log, are refused.
func TestMigrateToMySQL(t *testing.T) {
	u := mysqltest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "log")
	p, err := Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		if _, err := p.Append(ctx, mustDecisionEntry(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Receipt(ctx, n-1); err != nil {
		t.Fatal(err)
	}
	vkey := p.VerifierKey()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := OpenSource(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := MigrateToMySQL(ctx, src, vkey, u, 4)
	if err != nil {
		t.Fatalf("MigrateToMySQL: %v", err)
	}
	if cp.Size != n {
		t.Fatalf("migrated %d entries, want %d", cp.Size, n)
	}
	// Again, unchanged: a no-op.
	if _, err := MigrateToMySQL(ctx, src, vkey, u, 4); err != nil {
		t.Fatalf("MigrateToMySQL again: %v", err)
	}

	l := openMySQLTest(t, u, mysqlOptions(DefaultKeyFile(dir)))
	if size, err := l.PublishedSize(ctx); err != nil || size != n {
		t.Fatalf("published size after migration %d, %v; want %d", size, err, n)
	}
	var last uint64
	for i := range 20 {
		if last, err = l.Append(ctx, mustDecisionEntry(t, n+i)); err != nil {
			t.Fatal(err)
		}
	}
	if last != n+19 {
		t.Fatalf("first appends after migration end at %d, want %d", last, n+19)
	}
	for _, j := range []uint64{0, 255, 299, last} {
		r, err := l.Receipt(ctx, j)
		if err != nil {
			t.Fatalf("Receipt(%d): %v", j, err)
		}
		if err := VerifyReceipt(r, l.Verifier(), ""); err != nil {
			t.Fatalf("VerifyReceipt(%d): %v", j, err)
		}
	}
	srv := httptest.NewServer(http.StripPrefix("/log", l.Handler()))
	defer srv.Close()
	hs, err := OpenSource(srv.URL+"/log/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	// Consistent with the POSIX log's last checkpoint, every entry checked.
	got, err := Verify(ctx, hs, l.Verifier(), "", VerifyOptions{CheckEntries: true, Since: cp.Raw})
	if err != nil {
		t.Fatalf("Verify after migration: %v", err)
	}
	if got.Size < n+20 {
		t.Fatalf("verified %d entries, want ≥ %d", got.Size, n+20)
	}

	if _, err := MigrateToMySQL(ctx, src, vkey, u, 4); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("migration into a grown log: got %v", err)
	}
	other, _ := openTest(t, testOptions())
	if _, err := other.Append(ctx, mustDecisionEntry(t, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Receipt(ctx, 0); err != nil {
		t.Fatal(err)
	}
	osrc, err := OpenSource(other.Dir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MigrateToMySQL(ctx, osrc, other.VerifierKey(), u, 4); err == nil {
		t.Fatal("another log was migrated into the database")
	}
}

// TestMySQLHealth: an append that fails for a storage reason makes Err
// report ErrUnavailable (and OnHealth fire once); once the database answers
// the probe (a locking read of the tree state, nothing written), Err
// clears without traffic and OnHealth reports the recovery.
func TestMySQLHealth(t *testing.T) {
	u := mysqltest.URL(t)
	var failing atomic.Bool
	var mu sync.Mutex
	var events []error
	opts := mysqlOptions(filepath.Join(t.TempDir(), KeyFileName))
	opts.fault = func(op string) error {
		if failing.Load() {
			return errors.New("injected: connection refused")
		}
		return nil
	}
	opts.OnHealth = func(err error) {
		mu.Lock()
		events = append(events, err)
		mu.Unlock()
	}
	l := openMySQLTest(t, u, opts)
	ctx := context.Background()
	if _, err := l.Append(ctx, mustDecisionEntry(t, 0)); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	if _, err := l.Append(ctx, mustDecisionEntry(t, 1)); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append while failing: %v, want ErrUnavailable", err)
	}
	if err := l.Err(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Err while failing: %v", err)
	}
	time.Sleep(probeEvery + 50*time.Millisecond)
	if err := l.Err(); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "probe mysql://root@") {
		t.Fatalf("Err after a failed probe: %v, want the probe's error naming the database", err)
	}
	failing.Store(false)
	time.Sleep(probeEvery + 50*time.Millisecond)
	if err := l.Err(); err != nil {
		t.Fatalf("Err after the database answers again: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0] == nil || events[1] != nil {
		t.Fatalf("OnHealth events %v, want [failure, nil]", events)
	}
}

// FuzzCutBundle: cutting an entry bundle read from the database never
// panics, and what it returns is a prefix of the bundle holding exactly
// the entries asked for.
func FuzzCutBundle(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 2, 'b', 'c'}, uint8(1))
	f.Add([]byte{0, 1, 'a', 0, 2, 'b', 'c'}, uint8(2))
	f.Add([]byte{0, 5, 'a'}, uint8(1))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, p uint8) {
		got, err := cutBundle(b, p)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(b, got) {
			t.Fatalf("cutBundle returned %x, not a prefix of %x", got, b)
		}
		var eb api.EntryBundle
		if err := eb.UnmarshalText(got); err != nil {
			t.Fatalf("cut bundle does not parse: %v", err)
		}
		want := int(p)
		if want == 0 {
			want = 256
		}
		if len(eb.Entries) != want {
			t.Fatalf("cut bundle holds %d entries, want %d", len(eb.Entries), want)
		}
	})
}
