// Package mysqltest gives tests a fresh MySQL or MariaDB database for a
// log kept by Tessera's MySQL driver. Tests that use it skip, saying how to
// enable them, when ACCORD_TEST_MYSQL is unset, and fail in CI (CI=true).
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Server returns ACCORD_TEST_MYSQL, a go-sql-driver DSN such as
// root@tcp(127.0.0.1:3306)/test, or skips t (fails it in CI).
func Server(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("ACCORD_TEST_MYSQL")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ACCORD_TEST_MYSQL is unset; CI must run the MySQL log tests")
		}
		t.Skip("MySQL log tests need ACCORD_TEST_MYSQL='root@tcp(127.0.0.1:3306)/test' and a running server " +
			"(start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd)")
	}
	return dsn
}

// URL creates a database named accord_test_<random> on the server Server
// names, drops it when t ends, and returns its mysql:// log URL.
func URL(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(Server(t))
	if err != nil {
		t.Fatalf("ACCORD_TEST_MYSQL: %v", err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("ACCORD_TEST_MYSQL: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "accord_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatalf("create database (is the server up? start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd): %v", err)
	}
	t.Cleanup(func() {
		db.ExecContext(context.Background(), "DROP DATABASE "+name)
		db.Close()
	})
	cfg.DBName = name
	return "mysql://" + cfg.FormatDSN()
}
