package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/sqlite"
	"github.com/accord-dev/accord/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "accord.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDataset(ctx, store.Dataset{ID: "d", Location: "FR"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.Dataset(ctx, "d"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accord.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations(version, name, applied) VALUES (99, '0099_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = sqlite.Open(ctx, path)
	var se *store.SchemaError
	if !errors.As(err, &se) || se.Database != 99 || se.Known != sqlite.SchemaVersion() {
		t.Fatalf("got %v, want a SchemaError naming 99 and %d", err, sqlite.SchemaVersion())
	}
}

func BenchmarkStore(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "accord.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.Bench(b, s)
}

// TestUpgradeFromVersion1 opens a database left at schema version 1 and
// checks that the newer migrations apply and old rows read back.
func TestUpgradeFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accord.db")
	db := atVersion(t, path, 1)
	if _, err := db.Exec(`INSERT INTO principals(id, kind, jurisdiction, created) VALUES ('acme', 'company', 'FR', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	p, err := s.Principal(context.Background(), "acme")
	if err != nil || p.Jurisdiction != "FR" || p.Attributes.Owners != nil {
		t.Fatalf("principal after upgrade: %+v, %v", p, err)
	}
	if sqlite.SchemaVersion() < 2 {
		t.Errorf("SchemaVersion() = %d", sqlite.SchemaVersion())
	}
}

// BenchmarkHistoryGrowth reads one state's history among up to 1M rows of
// other states (storetest.BenchHistoryGrowth), filled with one recursive
// CTE per step.
func BenchmarkHistoryGrowth(b *testing.B) {
	path := filepath.Join(b.TempDir(), "accord.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.BenchHistoryGrowth(b, s, func(ctx context.Context, from, to int) error {
		_, err := db.ExecContext(ctx, `INSERT INTO counters(scope, key, subject_state, prefix, day, subjects, devices)
			WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2)
			SELECT 'state', printf('O%06d', i / 3650), printf('S%d', (i / 365) % 10), 'personal.health', ?3 - i % 365, 1, 0 FROM n`,
			from, to, store.DayNumber(storetest.DayZero()))
		return err
	})
}

// TestUpgradeFromVersion3 opens a database left at schema version 3 with
// voids in it: migration 4 makes void_index nullable and keeps every old
// void as it was (its void index set, so none is "unlogged").
func TestUpgradeFromVersion3(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accord.db")
	db := atVersion(t, path, 3)
	if _, err := db.Exec(`INSERT INTO voids(log_index, void_index, decision_id, created) VALUES (4, 5, 'dec-4', 1000), (9, 12, 'dec-9', 2000)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	vs, err := s.ListVoids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].LogIndex != 4 || vs[0].VoidIndex != 5 || vs[0].DecisionID != "dec-4" || vs[0].Created.UnixNano() != 1000 ||
		vs[1].LogIndex != 9 || vs[1].VoidIndex != 12 || vs[1].DecisionID != "dec-9" || vs[1].Created.UnixNano() != 2000 {
		t.Fatalf("voids after upgrade = %+v", vs)
	}
	if u, err := s.UnloggedVoids(ctx); err != nil || len(u) != 0 {
		t.Fatalf("UnloggedVoids after upgrade = %+v, %v; want none", u, err)
	}
	if ok, err := s.VoidUnrecorded(ctx, 20, time.Now()); err != nil || !ok {
		t.Fatalf("VoidUnrecorded after upgrade: %v, %v", ok, err)
	}
	if u, err := s.UnloggedVoids(ctx); err != nil || len(u) != 1 || u[0].LogIndex != 20 {
		t.Fatalf("UnloggedVoids = %+v, %v; want the new void", u, err)
	}
}

// TestReserveAcrossProcesses runs the parallel-threshold test through two
// stores opened on one file (two write connections, as two processes
// sharing the data directory would have): BEGIN IMMEDIATE keeps the cap.
func TestReserveAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accord.db")
	var stores []store.Store
	for range 2 {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	storetest.ReserveParallel(t, stores, []string{"US", "CN"}, 64)
	storetest.ReserveParallelShared(t, stores, model.ScopeExporter, 64)
	storetest.ReserveParallelShared(t, stores, model.ScopePair, 64)
}

// BenchmarkHistorySameState reads a decision's counters while its own
// acting state holds up to 100k counts over many subject states and
// categories (storetest.BenchHistorySameState).
func BenchmarkHistorySameState(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "accord.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchHistorySameState(b, s)
}

// TestUpgradeMovesHistory opens a database left at schema version 8 with
// counters in the old history table: migration 9 moves them to the acting
// state's counters, rolled up (storetest.CheckUpgradedCounters).
func TestUpgradeMovesHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accord.db")
	db := atVersion(t, path, 8)
	for _, r := range storetest.OldHistoryRows {
		if _, err := db.Exec(`INSERT INTO history(requesting_state, counterparty, subject_state, category, day, subjects, devices) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.State, r.Counterparty, r.Subject, r.Category, store.DayNumber(storetest.DayZero()), r.Subjects, r.Devices); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	storetest.CheckUpgradedCounters(t, s)
}

// BenchmarkListDecisions reads a filtered page among 10k and 1M decisions
// (storetest.BenchListDecisions), filled with recursive CTEs.
func BenchmarkListDecisions(b *testing.B) {
	path := filepath.Join(b.TempDir(), "accord.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rows := `(WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2) SELECT i FROM n)`
	created := fmt.Sprintf("(%d + i * 1000000000)", storetest.ListingBase().UnixNano())
	storetest.BenchListDecisions(b, s, func(ctx context.Context, from, to int) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for _, q := range storetest.ListingFillSQL(rows, created) {
			if _, err := tx.ExecContext(ctx, q, from, to); err != nil {
				return fmt.Errorf("%w\n%s", err, q)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		_, err = db.ExecContext(ctx, `ANALYZE`)
		return err
	})
}

// TestUpgradeSummarizes opens a database left at schema version 6 with
// decisions in it: migration 10 and the first open give each its summary
// and facets from its private record, so that it is listed and filtered
// like a new one; a private record that does not decode is still listed.
func TestUpgradeSummarizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accord.db")
	db := atVersion(t, path, 6)
	for i, p := range storetest.OldPrivateDecisions {
		if _, err := db.Exec(`INSERT INTO decisions(id, log_index, principal_id, outcome, private, salt, created) VALUES (?, ?, 'bka', 'pending', ?, x'01', ?)`,
			fmt.Sprintf("old-%d", i), i, []byte(p), storetest.OldDecisionsAt.Add(time.Duration(i)*time.Minute).UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	storetest.CheckUpgradedSummaries(t, s)
}

// TestCheckpointsBesideTheWriter: commits do not checkpoint (the WAL is
// copied into the database beside the writer, not in a commit that every
// writer waits for), yet the database file itself catches up within a few
// checkpoint intervals: a copy of it alone, without its WAL, holds the
// records.
func TestCheckpointsBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "accord.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 300
	for i := range n {
		rec := store.DecisionRecord{ID: fmt.Sprintf("c-%d", i), LogIndex: uint64(i + 1), Principal: "acme", Outcome: model.Allow,
			Private: []byte(`{}`), Salt: []byte{1}, Created: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}
		if err := s.RecordDecision(ctx, rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cp := filepath.Join(t.TempDir(), "copy.db")
		if err := os.WriteFile(cp, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", "file:"+cp+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var got int
		if err := db.QueryRow(`SELECT count(*) FROM decisions`).Scan(&got); err != nil {
			return -1
		}
		return got
	}
	deadline := time.Now().Add(10 * time.Second)
	for got := count(); got != n; got = count() {
		if time.Now().After(deadline) {
			t.Fatalf("the database file without its WAL holds %d of %d records after 10 s: no checkpoint ran", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// atVersion creates the database file path as a server of schema version
// n left it: the first n migrations applied and recorded. The caller
// closes the database before opening the file with sqlite.Open.
func atVersion(t *testing.T, path string, n int) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	ms, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms[:n] {
		b, err := os.ReadFile("migrations/" + m.Name())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, i+1, m.Name()); err != nil {
			t.Fatal(err)
		}
	}
	return db
}
