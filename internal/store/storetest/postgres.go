package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresServer returns the connection string of the PostgreSQL server
// named by ACCORD_TEST_POSTGRES. Without it the test is skipped with a
// message saying how to enable it, or fails when CI=true: CI must run the
// PostgreSQL tests.
func PostgresServer(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("ACCORD_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ACCORD_TEST_POSTGRES is unset; CI must run the PostgreSQL tests")
		}
		t.Skip("PostgreSQL tests need ACCORD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable " +
			"and a running server (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)")
	}
	return dsn
}

// PostgresDSN returns a connection string to a fresh schema of the server
// PostgresServer names, dropped when t ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := PostgresServer(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to ACCORD_TEST_POSTGRES: %v (start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)", err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "accord_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("ACCORD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
