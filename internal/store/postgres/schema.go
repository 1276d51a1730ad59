package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ensureSchema makes sure the session has a schema to create tables in.
// PostgreSQL skips the schemas of search_path that do not exist; when none
// does (search_path=accord on a database without that schema), every
// CREATE TABLE fails with "no schema has been selected to create in". Then
// ensureSchema creates the first schema of the search path. If the user
// may not, the error says which statement a database owner must run.
func ensureSchema(ctx context.Context, conn *pgx.Conn) error {
	var current *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
		return fmt.Errorf("read current schema: %w", wrap(err))
	}
	if current != nil {
		return nil
	}
	var path, user string
	if err := conn.QueryRow(ctx, `SELECT current_setting('search_path'), current_user`).Scan(&path, &user); err != nil {
		return fmt.Errorf("read search_path: %w", wrap(err))
	}
	schemas, err := parseSearchPath(path)
	if err != nil {
		return fmt.Errorf("search_path %q: %w", path, err)
	}
	if len(schemas) == 0 {
		return fmt.Errorf("search_path is empty: no schema to create Accord's tables in; add search_path=accord (or public) to the connection string")
	}
	name := schemas[0]
	if name == "$user" {
		name = user
	}
	ident := quoteIdent(name)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{name}.Sanitize()); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
			return fmt.Errorf("schema %s of search_path does not exist and user %s may not create it; as a database owner run: CREATE SCHEMA %s AUTHORIZATION %s; (or remove search_path from the connection string)",
				ident, quoteIdent(user), ident, quoteIdent(user))
		}
		return fmt.Errorf("create schema %s of search_path: %w", ident, wrap(err))
	}
	return nil
}

// quoteIdent returns name as SQL: bare when PostgreSQL would read it back
// unchanged (lower-case letters, digits, _ and $, not starting with a digit
// or $), quoted otherwise.
func quoteIdent(name string) string {
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			return pgx.Identifier{name}.Sanitize()
		}
	}
	if name == "" {
		return `""`
	}
	return name
}

// parseSearchPath splits a search_path setting as PostgreSQL shows it
// ("$user", public or "My Schema",accord) into schema names, unquoted.
// "$user" stays as is; the caller resolves it. A malformed setting (an
// unterminated quote, an empty element) is an error naming its byte
// offset.
func parseSearchPath(s string) ([]string, error) {
	var out []string
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	skipSpace()
	if i == len(s) {
		return nil, nil
	}
	for {
		skipSpace()
		start := i
		var name string
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated quoted name at byte %d", start)
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			name = b.String()
		} else {
			for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
				if s[i] == '"' {
					return nil, fmt.Errorf("quote inside an unquoted name at byte %d", i)
				}
				i++
			}
			// PostgreSQL folds unquoted names to lower case.
			name = strings.ToLower(s[start:i])
		}
		if name == "" {
			return nil, fmt.Errorf("empty schema name at byte %d", start)
		}
		out = append(out, name)
		skipSpace()
		if i == len(s) {
			return out, nil
		}
		if s[i] != ',' {
			return nil, fmt.Errorf("expected a comma at byte %d", i)
		}
		i++
	}
}
