// Package postgres is the store for Accord at scale: PostgreSQL through
// pgx (pgxpool), shared by several stateless `accord serve` processes.
//
//	s, err := postgres.Open(ctx, "postgres://accord@db:5432/accord")
//	if err != nil { ... }
//	defer s.Close()
//
// Connection-string parameters are pgx's; a search_path parameter puts
// Accord's tables in a schema of their own. When no schema of the search
// path exists, Open creates the first one (CREATE SCHEMA IF NOT EXISTS);
// a user that may not create it gets an error naming the statement a
// database owner runs instead (see ensureSchema). Two defaults differ
// from pgx's:
//
//   - A server on this machine (host localhost, a loopback address such as
//     127.0.0.1 or ::1, or a unix socket directory) is reached without TLS
//     when neither the connection string nor PGSSLMODE sets sslmode: TLS
//     to oneself protects nothing and costs 5-10% of a decision. Any
//     other host keeps pgx's default (prefer); set sslmode=verify-full for
//     a server across a network.
//   - The pool holds max(4, 4*GOMAXPROCS) connections unless
//     pool_max_conns sets it: enough to keep the CPUs busy while others
//     wait on the server, few enough not to queue on the server's locks.
//
// # Concurrency
//
// Several processes may share one database. Store.Reserve serializes the
// reservations of one requesting state with a transaction-scoped advisory
// lock (pg_advisory_xact_lock) keyed by the state, taken before the
// history is read and released at commit; a record and a void of the same
// log index exclude each other under a transaction-scoped advisory lock
// keyed by the index. No lock outlives its transaction.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key held while migrating, so that two
// processes starting together do not both apply a migration.
const migrationLock = 0x616363_6f7264 // "accord"

// defaultMaxConns is the connection pool size unless the connection string
// sets pool_max_conns: max(4, 4*GOMAXPROCS).
func defaultMaxConns() int32 { return int32(max(4, 4*runtime.GOMAXPROCS(0))) }

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool *pgxpool.Pool
	// group batches concurrent reservations (Reserve), records batches
	// concurrent RecordDecision calls: one transaction each.
	group   *store.ReserveGroup
	records *store.Batcher[struct{}, recordItem]
	// plan is the window sums recent decisions asked for, read in one
	// round trip by the next.
	plan store.SumPlan
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn, applies the migrations it lacks,
// and refuses a schema newer than it knows with a *store.SchemaError.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := config(dsn)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool}
	s.group = store.NewReserveGroup(s)
	s.records = store.NewBatcher(s.recordBatch)
	err = s.migrate(ctx)
	if err == nil {
		err = s.summarize(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return s, nil
}

// config parses dsn and applies the package's defaults (see the package
// documentation): no TLS to a local server unless sslmode is set, and a
// pool sized to the machine unless pool_max_conns is set.
func config(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse connection string: %w", err)
	}
	if local(cfg) && !setsSSLMode(dsn) {
		if cfg, err = pgxpool.ParseConfig(withSSLDisabled(dsn)); err != nil {
			return nil, fmt.Errorf("postgres: parse connection string: %w", err)
		}
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns()
	}
	return cfg, nil
}

// local reports whether every host cfg may connect to is on this machine.
func local(cfg *pgxpool.Config) bool {
	isLocal := func(host string) bool {
		if host == "localhost" || strings.HasPrefix(host, "/") {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	if !isLocal(cfg.ConnConfig.Host) {
		return false
	}
	for _, f := range cfg.ConnConfig.Fallbacks {
		if !isLocal(f.Host) {
			return false
		}
	}
	return true
}

// setsSSLMode reports whether dsn or the environment chooses an sslmode.
func setsSSLMode(dsn string) bool {
	if os.Getenv("PGSSLMODE") != "" {
		return true
	}
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Query().Has("sslmode")
	}
	return strings.Contains(dsn, "sslmode")
}

// withSSLDisabled returns dsn with sslmode=disable added, in its own form
// (URL or keyword/value).
func withSSLDisabled(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("sslmode", "disable")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " sslmode=disable"
}

// SchemaVersion returns the newest migration this package knows.
func SchemaVersion() int {
	ms, err := store.Migrations(migrations, "migrations")
	if err != nil {
		return 0
	}
	return store.Newest(ms)
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := store.Migrations(migrations, "migrations")
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", wrap(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("lock for migration: %w", wrap(err))
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if err := ensureSchema(ctx, conn.Conn()); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", wrap(err))
	}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read schema versions: %w", wrap(err))
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("read schema versions: %w", wrap(err))
	}
	pending, err := store.Pending(ms, applied)
	if err != nil {
		return err
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations(version, name, applied) VALUES ($1, $2, now())`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, wrap(err))
		}
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", wrap(err))
	}
	return nil
}

// wrap maps PostgreSQL errors onto the store's sentinels: a server error
// keeps its meaning, anything else (refused connection, reset, timeout
// reaching the server) is store.ErrUnavailable.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	for _, sentinel := range []error{store.ErrNotFound, store.ErrConflict, store.ErrInvalid, store.ErrVoided, store.ErrUnavailable, store.ErrPrecondition} {
		if errors.Is(err, sentinel) {
			return err // mapped already, by this package or a caller
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: %v", store.ErrConflict, err)
		case "23503":
			return fmt.Errorf("%w: %v", store.ErrNotFound, err)
		case "57P01", "57P02", "57P03", "53300":
			return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
		}
		return err
	}
	return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
}

func null(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func labels(d store.Dataset) (string, error) {
	d.ID, d.Created, d.Updated = "", time.Time{}, time.Time{}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode dataset labels: %w", err)
	}
	return string(b), nil
}

func affected(tag pgconn.CommandTag, what string) error {
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// CreateDataset adds d; store.ErrConflict if its id exists.
func (s *Store) CreateDataset(ctx context.Context, d store.Dataset) error {
	if d.ID == "" {
		return fmt.Errorf("%w: dataset id is empty", store.ErrInvalid)
	}
	l, err := labels(d)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO datasets(id, labels, created, updated) VALUES ($1, $2, now(), now())`, d.ID, l); err != nil {
		return fmt.Errorf("create dataset %s: %w", d.ID, wrap(err))
	}
	return nil
}

// UpdateDataset replaces the labels of dataset d.ID.
func (s *Store) UpdateDataset(ctx context.Context, d store.Dataset) error {
	l, err := labels(d)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE datasets SET labels = $1, updated = now() WHERE id = $2`, l, d.ID)
	if err != nil {
		return fmt.Errorf("update dataset %s: %w", d.ID, wrap(err))
	}
	return affected(tag, "dataset "+d.ID)
}

func scanDataset(r pgx.Row) (store.Dataset, error) {
	var (
		d                store.Dataset
		l                string
		created, updated time.Time
	)
	if err := r.Scan(&d.ID, &l, &created, &updated); err != nil {
		return d, wrap(err)
	}
	id := d.ID
	if err := json.Unmarshal([]byte(l), &d); err != nil {
		return d, fmt.Errorf("decode labels of dataset %s: %w", id, err)
	}
	d.ID, d.Created, d.Updated = id, created.UTC(), updated.UTC()
	return d, nil
}

// Dataset returns one dataset.
func (s *Store) Dataset(ctx context.Context, id string) (store.Dataset, error) {
	d, err := scanDataset(s.pool.QueryRow(ctx, `SELECT id, labels::text, created, updated FROM datasets WHERE id = $1`, id))
	if err != nil {
		return d, fmt.Errorf("dataset %s: %w", id, err)
	}
	return d, nil
}

// ListDatasets returns every dataset, ordered by id.
func (s *Store) ListDatasets(ctx context.Context) ([]store.Dataset, error) {
	return list(ctx, s, "list datasets", scanDataset, `SELECT id, labels::text, created, updated FROM datasets ORDER BY id`)
}

// list runs a query on the pool and scans every row with scan.
func list[T any](ctx context.Context, s *Store, what string, scan func(pgx.Row) (T, error), q string, args ...any) ([]T, error) {
	return listOn(ctx, s.pool, what, scan, q, args...)
}

// querier is the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// listOn runs a query on db and scans every row with scan.
func listOn[T any](ctx context.Context, db querier, what string, scan func(pgx.Row) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, wrap(err))
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, wrap(err))
	}
	return out, nil
}

// DeleteDataset removes one dataset.
func (s *Store) DeleteDataset(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM datasets WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete dataset %s: %w", id, wrap(err))
	}
	return affected(tag, "dataset "+id)
}

// PutOverride creates or replaces one registry override.
func (s *Store) PutOverride(ctx context.Context, o store.Override) error {
	return putOverride(ctx, s.pool, o)
}

// putOverride creates or replaces o through db.
func putOverride(ctx context.Context, db querier, o store.Override) error {
	if o.Kind == "" || o.ID == "" {
		return fmt.Errorf("%w: override kind and id must not be empty", store.ErrInvalid)
	}
	if !json.Valid(o.Body) {
		return fmt.Errorf("%w: override %s/%s: body is not JSON", store.ErrInvalid, o.Kind, o.ID)
	}
	_, err := db.Exec(ctx, `INSERT INTO registry_overrides(kind, id, body, updated) VALUES ($1, $2, $3, now())
		ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body, updated = excluded.updated`, o.Kind, o.ID, string(o.Body))
	if err != nil {
		return fmt.Errorf("put override %s/%s: %w", o.Kind, o.ID, wrap(err))
	}
	return nil
}

func scanOverride(r pgx.Row) (store.Override, error) {
	var (
		o    store.Override
		body string
	)
	if err := r.Scan(&o.Kind, &o.ID, &body, &o.Updated); err != nil {
		return o, wrap(err)
	}
	o.Body, o.Updated = []byte(body), o.Updated.UTC()
	return o, nil
}

// Override returns one registry override.
func (s *Store) Override(ctx context.Context, kind, id string) (store.Override, error) {
	o, err := scanOverride(s.pool.QueryRow(ctx, `SELECT kind, id, body, updated FROM registry_overrides WHERE kind = $1 AND id = $2`, kind, id))
	if err != nil {
		return o, fmt.Errorf("override %s/%s: %w", kind, id, err)
	}
	return o, nil
}

// ListOverrides returns the overrides of kind ("" for all).
func (s *Store) ListOverrides(ctx context.Context, kind string) ([]store.Override, error) {
	return list(ctx, s, "list overrides", scanOverride, `SELECT kind, id, body, updated FROM registry_overrides WHERE $1 = '' OR kind = $1 ORDER BY kind, id`, kind)
}

// DeleteOverride removes one registry override.
func (s *Store) DeleteOverride(ctx context.Context, kind, id string) error {
	return deleteOverride(ctx, s.pool, kind, id)
}

// deleteOverride removes one override through db; store.ErrNotFound if
// there is none.
func deleteOverride(ctx context.Context, db querier, kind, id string) error {
	tag, err := db.Exec(ctx, `DELETE FROM registry_overrides WHERE kind = $1 AND id = $2`, kind, id)
	if err != nil {
		return fmt.Errorf("delete override %s/%s: %w", kind, id, wrap(err))
	}
	return affected(tag, "override "+kind+"/"+id)
}

// PutPrincipal creates or replaces a principal.
func (s *Store) PutPrincipal(ctx context.Context, p store.Principal) error {
	if p.ID == "" || p.Kind == "" || p.Jurisdiction == "" {
		return fmt.Errorf("%w: principal id, kind and jurisdiction must not be empty", store.ErrInvalid)
	}
	acts := p.MayActFor
	if acts == nil {
		acts = []string{}
	}
	b, err := json.Marshal(acts)
	if err != nil {
		return fmt.Errorf("encode may_act_for: %w", err)
	}
	created := p.Created
	if created.IsZero() {
		created = time.Now()
	}
	attrs, err := json.Marshal(p.Attributes)
	if err != nil {
		return fmt.Errorf("encode attributes: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO principals(id, name, kind, role, jurisdiction, may_act_for, attributes, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind, role = excluded.role,
		jurisdiction = excluded.jurisdiction, may_act_for = excluded.may_act_for, attributes = excluded.attributes`,
		p.ID, p.Name, p.Kind, p.Role, p.Jurisdiction, string(b), string(attrs), created)
	if err != nil {
		return fmt.Errorf("put principal %s: %w", p.ID, wrap(err))
	}
	return nil
}

func scanPrincipal(r pgx.Row) (store.Principal, error) {
	var (
		p           store.Principal
		acts, attrs string
	)
	if err := r.Scan(&p.ID, &p.Name, &p.Kind, &p.Role, &p.Jurisdiction, &acts, &attrs, &p.Created); err != nil {
		return p, wrap(err)
	}
	if err := json.Unmarshal([]byte(attrs), &p.Attributes); err != nil {
		return p, fmt.Errorf("decode attributes of %s: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(acts), &p.MayActFor); err != nil {
		return p, fmt.Errorf("decode may_act_for of %s: %w", p.ID, err)
	}
	if len(p.MayActFor) == 0 {
		p.MayActFor = nil
	}
	p.Created = p.Created.UTC()
	return p, nil
}

// Principal returns one principal.
func (s *Store) Principal(ctx context.Context, id string) (store.Principal, error) {
	p, err := scanPrincipal(s.pool.QueryRow(ctx, `SELECT id, name, kind, role, jurisdiction, may_act_for, attributes, created FROM principals WHERE id = $1`, id))
	if err != nil {
		return p, fmt.Errorf("principal %s: %w", id, err)
	}
	return p, nil
}

// ListPrincipals returns every principal, ordered by id.
func (s *Store) ListPrincipals(ctx context.Context) ([]store.Principal, error) {
	return list(ctx, s, "list principals", scanPrincipal, `SELECT id, name, kind, role, jurisdiction, may_act_for, attributes, created FROM principals ORDER BY id`)
}

// CreateToken stores t.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if t.ID == "" || len(t.Hash) == 0 || t.PrincipalID == "" || !store.ValidRole(t.Role) {
		return fmt.Errorf("%w: token needs an id, a hash, a principal and a valid role", store.ErrInvalid)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens(id, hash, principal_id, role, created, expires, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Hash, t.PrincipalID, t.Role, t.Created, null(t.Expires), null(t.Revoked))
	if err != nil {
		return fmt.Errorf("create token %s for %s: %w", t.ID, t.PrincipalID, wrap(err))
	}
	return nil
}

func scanToken(r pgx.Row) (store.Token, error) {
	var (
		t                store.Token
		expires, revoked *time.Time
	)
	if err := r.Scan(&t.ID, &t.Hash, &t.PrincipalID, &t.Role, &t.Created, &expires, &revoked); err != nil {
		return t, wrap(err)
	}
	t.Created, t.Expires, t.Revoked = t.Created.UTC(), fromNull(expires), fromNull(revoked)
	return t, nil
}

// TokenByHash returns the token with the given secret hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT id, hash, principal_id, role, created, expires, revoked FROM tokens WHERE hash = $1`, hash))
	if err != nil {
		return t, fmt.Errorf("token: %w", err)
	}
	return t, nil
}

// RevokeToken revokes token id from at on (keeping an earlier revocation).
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked = COALESCE(revoked, $1) WHERE id = $2`, at, id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, wrap(err))
	}
	return affected(tag, "token "+id)
}

// ListTokens returns the tokens of one principal ("" for all).
func (s *Store) ListTokens(ctx context.Context, principalID string) ([]store.Token, error) {
	return list(ctx, s, "list tokens", scanToken, `SELECT id, hash, principal_id, role, created, expires, revoked FROM tokens WHERE $1 = '' OR principal_id = $1 ORDER BY id`, principalID)
}

// Decision returns the private record of decision id.
func (s *Store) Decision(ctx context.Context, id string) (store.DecisionRecord, error) {
	var (
		r       store.DecisionRecord
		idx     int64
		outcome string
	)
	err := s.pool.QueryRow(ctx, `SELECT id, log_index, principal_id, outcome, private, salt, created FROM decisions
		WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM voids WHERE voids.log_index = decisions.log_index)`, id).
		Scan(&r.ID, &idx, &r.Principal, &outcome, &r.Private, &r.Salt, &r.Created)
	if err != nil {
		return r, fmt.Errorf("decision %s: %w", id, wrap(err))
	}
	r.LogIndex, r.Outcome, r.Created = uint64(idx), model.Outcome(outcome), r.Created.UTC()
	return r, nil
}

// RecordVoid notes a voided log entry. Recording the same index again
// is not an error and keeps the first record, except that it fills in a
// void index left unset by VoidUnrecorded. A decision recorded at the
// index is store.ErrConflict, and nothing is written.
func (s *Store) RecordVoid(ctx context.Context, v store.Void) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The void entry is on the log: it wins over a record made by a
		// commit whose answer was lost (Decision then answers not found).
		if _, err := lockIndex(ctx, tx, v.LogIndex); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO voids(log_index, void_index, decision_id, created) VALUES ($1, $2, $3, $4)
			ON CONFLICT(log_index) DO UPDATE SET void_index = COALESCE(voids.void_index, excluded.void_index)`,
			int64(v.LogIndex), int64(v.VoidIndex), v.DecisionID, v.Created)
		return err
	})
	if err != nil {
		return fmt.Errorf("record void of index %d: %w", v.LogIndex, wrap(err))
	}
	return nil
}

// ListVoids returns every void, ordered by log index.
func (s *Store) ListVoids(ctx context.Context) ([]store.Void, error) {
	return list(ctx, s, "list voids", scanVoid, `SELECT log_index, void_index, decision_id, created FROM voids ORDER BY log_index`)
}

// RecordDecision writes rec and adds counts, in one transaction shared
// with the records that arrive meanwhile (group commit: one round trip and
// one commit for many records). Each record is inserted only if its log
// index is not voided, under the index's advisory lock that VoidUnrecorded
// takes too, so whichever of the two commits first wins the index; one
// that fails (voided, a duplicate) fails alone, with nothing of it written.
func (s *Store) RecordDecision(ctx context.Context, rec store.DecisionRecord, counts []store.CounterDelta) error {
	if err := rec.Validate(); err != nil {
		return err
	}
	for _, c := range counts {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("decision %s: %w", rec.ID, err)
		}
	}
	if rec.LogIndex > math.MaxInt64 {
		return fmt.Errorf("%w: decision %s: log index %d is out of range", store.ErrInvalid, rec.ID, rec.LogIndex)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("record decision %s: %w", rec.ID, err)
	}
	return s.records.Do(struct{}{}, recordItem{rec, counts})
}

// recordItem is one RecordDecision call waiting for its batch.
type recordItem struct {
	rec    store.DecisionRecord
	counts []store.CounterDelta
}

// recordBatch writes a batch of records in one transaction: the index
// locks in ascending order (no deadlock with another batch or a void),
// then every insert, in one round trip; then the counts of those written.
func (s *Store) recordBatch(ctx context.Context, _ struct{}, items []recordItem) []error {
	errs := make([]error, len(items))
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(items[a].rec.LogIndex, items[b].rec.LogIndex) })
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, i := range order {
			b.Queue(lockIndexSQL, logLockSpace, indexKey(items[i].rec.LogIndex))
		}
		sums := make([]store.DecisionSummary, len(items))
		for _, i := range order {
			rec := items[i].rec
			sums[i] = store.SummaryOf(rec)
			summary, err := store.EncodeSummary(sums[i])
			if err != nil {
				return err
			}
			b.Queue(`INSERT INTO decisions(id, log_index, principal_id, outcome, private, salt, created, summary)
				SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE NOT EXISTS (SELECT 1 FROM voids WHERE log_index = $2)
				ON CONFLICT DO NOTHING`,
				rec.ID, int64(rec.LogIndex), rec.Principal, string(rec.Outcome), nonNil(rec.Private), nonNil(rec.Salt), rec.Created, summary)
		}
		br := tx.SendBatch(ctx, b)
		for range order {
			if _, err := br.Exec(); err != nil { // the locks
				br.Close()
				return err
			}
		}
		written := make([]bool, len(items))
		for _, i := range order {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return err
			}
			written[i] = tag.RowsAffected() == 1
		}
		if err := br.Close(); err != nil {
			return err
		}
		var all []store.CounterDelta
		counts := &pgx.Batch{}
		for i, it := range items {
			if !written[i] {
				errs[i] = s.whyNotRecorded(ctx, tx, it.rec)
				continue
			}
			queueFacets(counts, sums[i])
			all = append(all, it.counts...)
		}
		queueCounts(counts, all) // rolled up together: one row order for every transaction
		if counts.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, counts).Close()
	})
	if err != nil {
		return store.FailAll(errs, fmt.Errorf("record decisions: %w", wrap(err)))
	}
	return errs
}

// whyNotRecorded says why rec was not inserted: its index is voided, or
// its id or index is recorded already.
func (s *Store) whyNotRecorded(ctx context.Context, tx pgx.Tx, rec store.DecisionRecord) error {
	var voided bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS(SELECT 1 FROM voids WHERE log_index = $1)`, int64(rec.LogIndex)).Scan(&voided); err != nil {
		return fmt.Errorf("record decision %s: %w", rec.ID, wrap(err))
	}
	if voided {
		return fmt.Errorf("record decision %s: log index %d: %w", rec.ID, rec.LogIndex, store.ErrVoided)
	}
	return fmt.Errorf("record decision %s: %w: decision id or log index %d", rec.ID, store.ErrConflict, rec.LogIndex)
}

// queueCounts queues the upserts of the rows counts roll up to, in
// store.RollUp order (so that concurrent transactions lock rows in one
// order).
func queueCounts(b *pgx.Batch, counts []store.CounterDelta) {
	for _, c := range store.RollUp(counts) {
		b.Queue(`INSERT INTO counters(scope, key, subject_state, prefix, day, subjects, devices) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT(scope, key, subject_state, prefix, day) DO UPDATE SET
			subjects = counters.subjects + excluded.subjects, devices = counters.devices + excluded.devices`,
			string(c.Scope), c.Key, c.SubjectState, c.Prefix, int32(c.Day), c.Subjects, c.Devices)
	}
}

// History returns the counters of q at q.At, each sum read from the pool
// when a pack asks for it, with ctx.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) (*model.History, error) {
	return reader(ctx, s.pool, q, &s.plan).History(), nil
}

// sumSQL sums one counter over a window: $1 scope, $2 key, $3 subject
// state, $4 prefix, $5 and $6 the first and last day. [0] is one key (a
// range of the primary key), [1] every key of the scope. One text each,
// so that a generic plan still seeks the primary key.
var sumSQL = [2]string{
	`SELECT COALESCE(SUM(subjects), 0)::bigint, COALESCE(SUM(devices), 0)::bigint FROM counters
	WHERE scope = $1 AND key = $2 AND subject_state = $3 AND prefix = $4 AND day BETWEEN $5 AND $6`,
	`SELECT COALESCE(SUM(subjects), 0)::bigint, COALESCE(SUM(devices), 0)::bigint FROM counters
	WHERE scope = $1 AND $2 = '' AND subject_state = $3 AND prefix = $4 AND day BETWEEN $5 AND $6`,
}

// sumsSQL reads many window sums at once from parallel arrays of scope,
// key, subject state, prefix, first and last day; each row is an index
// into them (from 1) and its sums. The LATERAL subquery makes each sum
// one primary-key range, whatever the planner knows of the table (a join
// could be planned as a scan of it).
const sumsSQL = `SELECT t.i, s.subjects, s.devices
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[]) WITH ORDINALITY AS t(scope, key, subject, prefix, first, last, i)
	CROSS JOIN LATERAL (SELECT COALESCE(SUM(c.subjects), 0)::bigint AS subjects, COALESCE(SUM(c.devices), 0)::bigint AS devices
		FROM counters AS c WHERE c.scope = t.scope AND c.key = t.key AND c.subject_state = t.subject AND c.prefix = t.prefix
		AND c.day BETWEEN t.first AND t.last) AS s`

// reader returns a reader of q's counters on db (the pool, or Reserve's
// transaction), reading the sums of plan in one round trip first.
func reader(ctx context.Context, db querier, q store.HistoryQuery, plan *store.SumPlan) *store.CounterReader {
	return store.NewCounterReader(q, func(scope model.CounterScope, key, subject, prefix string, from, to int64) (model.Count, error) {
		v := 0
		if key == "" {
			v = 1
		}
		var c model.Count
		if err := db.QueryRow(ctx, sumSQL[v], string(scope), key, subject, prefix, int32(from), int32(to)).Scan(&c.Subjects, &c.Devices); err != nil {
			return c, fmt.Errorf("read counters: %w", wrap(err))
		}
		return c, nil
	}).WithPlan(plan, func(reqs []store.SumRequest) ([]model.Count, error) {
		var (
			scopes, keys, subjects, prefixes = make([]string, len(reqs)), make([]string, len(reqs)), make([]string, len(reqs)), make([]string, len(reqs))
			firsts, lasts                    = make([]int32, len(reqs)), make([]int32, len(reqs))
		)
		for i, r := range reqs {
			scopes[i], keys[i], subjects[i], prefixes[i] = string(r.Scope), r.Key, r.SubjectState, r.Prefix
			firsts[i], lasts[i] = int32(r.From), int32(r.To)
		}
		rows, err := db.Query(ctx, sumsSQL, scopes, keys, subjects, prefixes, firsts, lasts)
		if err != nil {
			return nil, fmt.Errorf("read counters: %w", wrap(err))
		}
		defer rows.Close()
		out := make([]model.Count, len(reqs))
		for rows.Next() {
			var (
				i int64
				c model.Count
			)
			if err := rows.Scan(&i, &c.Subjects, &c.Devices); err != nil {
				return nil, fmt.Errorf("read counters: %w", wrap(err))
			}
			if i < 1 || i > int64(len(out)) {
				return nil, fmt.Errorf("read counters: sum %d of %d", i, len(out))
			}
			out[i-1] = c
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read counters: %w", wrap(err))
		}
		return out, nil
	})
}

// PruneHistory deletes the counters of days before before's UTC day.
func (s *Store) PruneHistory(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM counters WHERE day < $1`, int32(store.DayNumber(before)))
	if err != nil {
		return 0, fmt.Errorf("prune history: %w", wrap(err))
	}
	return tag.RowsAffected(), nil
}
