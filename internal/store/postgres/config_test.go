package postgres

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestConfig checks the connection defaults: no TLS to a server on this
// machine unless sslmode asks for it, TLS kept for any other host, and a
// pool sized to the machine unless pool_max_conns sets it. It needs no
// server.
func TestConfig(t *testing.T) {
	t.Setenv("PGSSLMODE", "")
	pool := int32(max(4, 4*runtime.GOMAXPROCS(0)))
	cases := []struct {
		name, dsn string
		tls       bool
		conns     int32
	}{
		{"loopback v4, no sslmode", "postgres://u@127.0.0.1:5432/db", false, pool},
		{"localhost, no sslmode", "postgres://u@localhost/db", false, pool},
		{"loopback v6, no sslmode", "postgres://u@[::1]:5432/db", false, pool},
		{"unix socket, keyword form", "host=/var/run/postgresql user=u dbname=db", false, pool},
		{"loopback, keyword form", "host=127.0.0.1 user=u dbname=db", false, pool},
		{"loopback, sslmode=require kept", "postgres://u@127.0.0.1/db?sslmode=require", true, pool},
		{"loopback, keyword sslmode=require kept", "host=127.0.0.1 user=u sslmode=require", true, pool},
		{"remote host keeps pgx's default", "postgres://u@db.internal/db", true, pool},
		{"one remote host of two keeps it", "postgres://u@127.0.0.1,db.internal/db", true, pool},
		{"pool_max_conns kept", "postgres://u@127.0.0.1/db?pool_max_conns=7", false, 7},
		{"search_path kept", "postgres://u@127.0.0.1/db?search_path=accord&sslmode=disable", false, pool},
	}
	for _, c := range cases {
		cfg, err := config(c.dsn)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		tls := cfg.ConnConfig.TLSConfig != nil
		for _, f := range cfg.ConnConfig.Fallbacks {
			tls = tls || f.TLSConfig != nil
		}
		if tls != c.tls {
			t.Errorf("%s: TLS = %v, want %v", c.name, tls, c.tls)
		}
		if cfg.MaxConns != c.conns {
			t.Errorf("%s: pool = %d, want %d", c.name, cfg.MaxConns, c.conns)
		}
	}
	if cfg, err := config("postgres://u@127.0.0.1/db?search_path=accord"); err != nil || cfg.ConnConfig.RuntimeParams["search_path"] != "accord" {
		t.Errorf("search_path lost when sslmode was added: %v", err)
	}
	t.Setenv("PGSSLMODE", "require")
	if cfg, err := config("postgres://u@127.0.0.1/db"); err != nil || cfg.ConnConfig.TLSConfig == nil {
		t.Errorf("PGSSLMODE=require was overridden for a local host (err %v)", err)
	}
}

// TestRetryable: Reserve repeats exactly the transactions PostgreSQL asks
// to repeat.
func TestRetryable(t *testing.T) {
	for code, want := range map[string]bool{"40001": true, "40P01": true, "23505": false, "57P01": false} {
		if got := retryable(fmt.Errorf("reserve: %w", &pgconn.PgError{Code: code})); got != want {
			t.Errorf("retryable(%s) = %v, want %v", code, got, want)
		}
	}
	if retryable(errors.New("connection refused")) || retryable(nil) {
		t.Error("a non-PostgreSQL error is retryable")
	}
}
