package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/postgres"
	"github.com/accord-dev/accord/internal/store/storetest"
)

// dsnForTest returns the server to test against, from ACCORD_TEST_POSTGRES,
// skipping the test when it is unset outside CI and failing it in CI.
func dsnForTest(t testing.TB) string { return storetest.PostgresServer(t) }

// schemaDSN creates a fresh schema for one test, dropped at cleanup, and
// returns a connection string whose search_path is that schema.
func schemaDSN(t testing.TB) string { return storetest.PostgresDSN(t) }

func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	dsnForTest(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, schemaDSN(t)) })
}

func TestRefusesNewerSchema(t *testing.T) {
	dsn := schemaDSN(t)
	ctx := context.Background()
	s := open(t, dsn)
	s.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations(version, name, applied) VALUES (99, '0099_future.sql', now())`); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(ctx, dsn)
	var se *store.SchemaError
	if !errors.As(err, &se) || se.Database != 99 || se.Known != postgres.SchemaVersion() {
		t.Fatalf("got %v, want a SchemaError naming 99 and %d", err, postgres.SchemaVersion())
	}
}

func TestUnreachableIsUnavailable(t *testing.T) {
	dsnForTest(t)
	// Port 1 on loopback refuses connections.
	_, err := postgres.Open(context.Background(), "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, open(b, schemaDSN(b)))
}

// TestRecoversWhenTheServerReturns cuts every connection of a store (as a
// database restart does) and checks that the store answers again by itself,
// and that the failures in between are ErrUnavailable.
func TestRecoversWhenTheServerReturns(t *testing.T) {
	dsn := schemaDSN(t)
	u, _ := url.Parse(dsn)
	q := u.Query()
	app := "accord_recover_" + q.Get("search_path")
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	ctx := context.Background()
	s := open(t, u.String())
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsnForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil || killed == 0 {
		t.Fatalf("terminate backends: %d, %v", killed, err)
	}
	var last error
	for range 20 {
		_, last = s.ListDatasets(ctx)
		if last == nil {
			break
		}
		if !errors.Is(last, store.ErrUnavailable) {
			t.Fatalf("while reconnecting: %v, want ErrUnavailable", last)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last != nil {
		t.Fatalf("the store did not recover: %v", last)
	}
}

// TestReserveAcrossProcesses runs the parallel-threshold test through two
// separate stores (two pools, as two `accord serve` processes sharing the
// database have), 32 goroutines each: the cap holds across them.
func TestReserveAcrossProcesses(t *testing.T) {
	dsn := schemaDSN(t)
	a, b := open(t, dsn), open(t, dsn)
	storetest.ReserveParallel(t, []store.Store{a, b}, []string{"US"}, 64)
	storetest.ReserveParallel(t, []store.Store{a, b}, []string{"CN", "BR"}, 128)
	storetest.ReserveParallelShared(t, []store.Store{a, b}, model.ScopeExporter, 64)
	storetest.ReserveParallelShared(t, []store.Store{a, b}, model.ScopePair, 64)
}

// BenchmarkHistoryGrowth reads one state's history among up to 1M rows of
// other states (storetest.BenchHistoryGrowth), filled with one
// generate_series INSERT per step, then analyzed as autovacuum would.
func BenchmarkHistoryGrowth(b *testing.B) {
	dsn := schemaDSN(b)
	s := open(b, dsn)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	storetest.BenchHistoryGrowth(b, s, func(ctx context.Context, from, to int) error {
		_, err := conn.Exec(ctx, `INSERT INTO counters(scope, key, subject_state, prefix, day, subjects, devices)
			SELECT 'state', 'O' || lpad((i / 3650)::text, 6, '0'), 'S' || ((i / 365) % 10), 'personal.health', $3 - i % 365, 1, 0
			FROM generate_series($1::int, $2::int - 1) AS i`, from, to, int32(store.DayNumber(storetest.DayZero())))
		if err != nil {
			return err
		}
		_, err = conn.Exec(ctx, `ANALYZE counters`)
		return err
	})
}

// TestUpgradeFromVersion3 opens a schema left at version 3 with voids in
// it: migration 4 makes void_index nullable and keeps every old void as it
// was (its void index set, so none is "unlogged").
func TestUpgradeFromVersion3(t *testing.T) {
	dsn := schemaDSN(t)
	ctx := context.Background()
	conn := atVersion(t, dsn, 3)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if _, err := conn.Exec(ctx, `INSERT INTO voids(log_index, void_index, decision_id, created) VALUES (4, 5, 'dec-4', $1), (9, 12, 'dec-9', $1)`, at); err != nil {
		t.Fatal(err)
	}
	s := open(t, dsn)
	vs, err := s.ListVoids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].LogIndex != 4 || vs[0].VoidIndex != 5 || vs[0].DecisionID != "dec-4" || !vs[0].Created.Equal(at) ||
		vs[1].LogIndex != 9 || vs[1].VoidIndex != 12 || vs[1].DecisionID != "dec-9" {
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

// TestMLAAcrossReplicas: two stores on one schema (two servers' pools)
// move the same cases at once; each move is won by exactly one.
func TestMLAAcrossReplicas(t *testing.T) {
	dsn := schemaDSN(t)
	storetest.MLAAcrossStores(t, open(t, dsn), open(t, dsn))
}

// BenchmarkListDecisions reads a filtered page among 10k and 1M decisions
// (storetest.BenchListDecisions), filled with generate_series, then
// analyzed as autovacuum would.
func BenchmarkListDecisions(b *testing.B) {
	dsn := schemaDSN(b)
	s := open(b, dsn)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows := `generate_series($1::int, $2::int - 1) AS n(i)`
	created := fmt.Sprintf("to_timestamp(%d + i)", storetest.ListingBase().Unix())
	storetest.BenchListDecisions(b, s, func(ctx context.Context, from, to int) error {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		for _, q := range storetest.ListingFillSQL(rows, created) {
			if _, err := tx.Exec(ctx, q, from, to); err != nil {
				return fmt.Errorf("%w\n%s", err, q)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		_, err = conn.Exec(ctx, `ANALYZE decisions; ANALYZE decision_facets`)
		return err
	})
}

// TestUpgradeSummarizes opens a schema left at version 6 with decisions
// in it: migration 10 and the first open give each its summary and facets
// from its private record; one that does not decode is still listed.
func TestUpgradeSummarizes(t *testing.T) {
	dsn := schemaDSN(t)
	ctx := context.Background()
	conn := atVersion(t, dsn, 6)
	for i, p := range storetest.OldPrivateDecisions {
		if _, err := conn.Exec(ctx, `INSERT INTO decisions(id, log_index, principal_id, outcome, private, salt, created) VALUES ($1, $2, 'bka', 'pending', $3, '\x01', $4)`,
			fmt.Sprintf("old-%d", i), i, []byte(p), storetest.OldDecisionsAt.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	storetest.CheckUpgradedSummaries(t, open(t, dsn))
}

// BenchmarkHistorySameState reads a decision's counters while its own
// acting state holds up to 100k counts over many subject states and
// categories (storetest.BenchHistorySameState).
func BenchmarkHistorySameState(b *testing.B) {
	storetest.BenchHistorySameState(b, open(b, schemaDSN(b)))
}

// TestUpgradeMovesHistory opens a schema left at version 8 with counters
// in the old history table, spread over shards: migration 9 moves them to
// the acting state's counters, rolled up and the shards summed
// (storetest.CheckUpgradedCounters).
func TestUpgradeMovesHistory(t *testing.T) {
	dsn := schemaDSN(t)
	ctx := context.Background()
	conn := atVersion(t, dsn, 8)
	for i, r := range storetest.OldHistoryRows {
		// The first row's count split over two shards, as hot counters were.
		for shard, n := range map[int16]int64{0: r.Subjects - r.Subjects/2, 3: r.Subjects / 2} {
			if n == 0 && shard != 0 {
				continue
			}
			dev := r.Devices
			if shard != 0 {
				dev = 0
			}
			if _, err := conn.Exec(ctx, `INSERT INTO history(requesting_state, counterparty, subject_state, category, day, shard, subjects, devices) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				r.State, r.Counterparty, r.Subject, r.Category, int32(store.DayNumber(storetest.DayZero())), shard, n, dev); err != nil {
				t.Fatalf("row %d: %v", i, err)
			}
		}
	}
	storetest.CheckUpgradedCounters(t, open(t, dsn))
}

// atVersion connects to the schema of dsn and leaves it as a server of
// schema version n left it: the first n migrations applied and recorded.
// The connection closes when the test ends.
func atVersion(t *testing.T, dsn string, n int) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TIMESTAMPTZ NOT NULL)`); err != nil {
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
		if _, err := conn.Exec(ctx, string(b)); err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations VALUES ($1, $2, now())`, i+1, m.Name()); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}
