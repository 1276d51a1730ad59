package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/store/storetest"
)

func TestParseSearchPath(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"accord", []string{"accord"}, ""},
		{`"$user", public`, []string{"$user", "public"}, ""},
		{"Accord ,x", []string{"accord", "x"}, ""},
		{`"My ""Schema""",accord`, []string{`My "Schema"`, "accord"}, ""},
		{"", nil, ""},
		{"  ", nil, ""},
		{`"open`, nil, "unterminated quoted name at byte 0"},
		{"a,,b", nil, "empty schema name at byte 2"},
		{"a b", nil, "expected a comma at byte 2"},
		{`a"b`, nil, "quote inside an unquoted name at byte 1"},
		{"a,", nil, "empty schema name at byte 2"},
	}
	for _, c := range cases {
		got, err := parseSearchPath(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("parseSearchPath(%q) error = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parseSearchPath(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func FuzzParseSearchPath(f *testing.F) {
	for _, s := range []string{"accord", `"$user", public`, `"a""b",c`, `"x`, "a,,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := parseSearchPath(s)
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" {
				t.Fatalf("parseSearchPath(%q) returned an empty name", s)
			}
		}
	})
}

// withSearchPath returns the test server's connection string with
// search_path (and user, when not empty) replaced.
func withSearchPath(t *testing.T, user, path string) string {
	u, err := url.Parse(storetest.PostgresServer(t))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		u.User = url.User(user)
	}
	q := u.Query()
	q.Set("search_path", path)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomName(prefix string) string {
	var b [5]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// TestSearchPathSchemaCreated: a connection string whose search_path names
// a schema that does not exist (issue 16: "no schema has been selected")
// opens, with the schema created and the tables in it.
func TestSearchPathSchemaCreated(t *testing.T) {
	admin := storetest.PostgresServer(t)
	ctx := context.Background()
	schema := randomName("accord_sp_")
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	for range 2 { // the second open finds the schema and its tables
		s, err := Open(ctx, withSearchPath(t, "", schema))
		if err != nil {
			t.Fatalf("open with search_path=%s: %v", schema, err)
		}
		s.Close()
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'schema_migrations'`, schema).Scan(&n); err != nil || n != 1 {
		t.Fatalf("schema_migrations in %s: %d, %v", schema, n, err)
	}
}

// TestSearchPathSchemaNotCreatable: a user that may not create the schema
// gets an error naming the statement to run, and nothing is created.
func TestSearchPathSchemaNotCreatable(t *testing.T) {
	admin := storetest.PostgresServer(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	role, schema := randomName("accord_role_"), randomName("accord_sp_")
	if _, err := conn.Exec(ctx, "CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })
	// A new role has no CREATE on the database unless granted it.
	_, err = Open(ctx, withSearchPath(t, role, schema))
	if err == nil {
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		t.Fatal("a user without CREATE on the database created the schema")
	}
	want := "as a database owner run: CREATE SCHEMA " + schema + " AUTHORIZATION " + role + ";"
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil || n != 0 {
		t.Fatalf("schema %s exists after a refused open (%d, %v)", schema, n, err)
	}
	// Once the owner has run it, the same user opens.
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema+" AUTHORIZATION "+role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	s, err := Open(ctx, withSearchPath(t, role, schema))
	if err != nil {
		t.Fatalf("open after CREATE SCHEMA: %v", err)
	}
	s.Close()
}
