// Package sqlite is the embedded store: one SQLite database file (pure Go,
// modernc.org/sqlite, no cgo) in WAL mode, under the data directory.
//
// Writes go through one connection, so SQLite never answers "database is
// locked" between Accord's own writers; reads use a pool of their own and
// proceed while a write is in progress (WAL). A busy timeout covers other
// processes (a backup, the sqlite3 shell).
//
// Every write transaction begins IMMEDIATE: it holds SQLite's write lock
// from its first statement, reads included, to its commit. That is what
// makes Store.Reserve serializable (it reads the counters and adds to them
// in one such transaction, reading through the transaction, never the
// read pool) and what makes a record and a void of the same log index
// exclude each other (each checks for the other inside its own write
// transaction). Both hold across processes sharing the file too.
//
//	s, err := sqlite.Open(ctx, filepath.Join(dataDir, "accord.db"))
//	if err != nil { ... }
//	defer s.Close()
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"net/url"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite implementation of store.Store.
type Store struct {
	w *sql.DB // one connection: every write
	r *sql.DB // a pool: every read

	// Statements on the hot path of a decision, prepared once (parsing SQL
	// costs more than running these queries).
	sum                    [2]*sql.Stmt // a window sum: [0] of one key, [1] of every key
	sumW                   [2]*sql.Stmt // the same, on the write connection, for Reserve's transaction
	sums, sumsW            *sql.Stmt    // many window sums at once (sumsSQL), on each
	plan                   store.SumPlan
	tokenByHash, principal *sql.Stmt
	dataset                *sql.Stmt
	approvalsOf            *sql.Stmt // a requester's approvals on one dataset, read by every binding decision on it
	insertDecision         *sql.Stmt

	// rowsStmts holds the multi-row statements of execRows, by head and
	// row count.
	rowsStmts map[rowsKey]*sql.Stmt

	// group batches concurrent reservations (Reserve), records batches
	// concurrent RecordDecision calls: one commit each.
	group   *store.ReserveGroup
	records *store.Batcher[struct{}, recordItem]

	// stopCheckpoints ends checkpointLoop; checkpointsDone is closed
	// when it has.
	stopCheckpoints context.CancelFunc
	checkpointsDone chan struct{}
}

// sumSQL sums one counter over a window: ?1 scope, ?2 key, ?3 subject
// state, ?4 prefix, ?5 and ?6 the first and last day. [0] is one key (a
// range of the primary key), [1] every key of the scope.
var sumSQL = [2]string{
	`SELECT COALESCE(SUM(subjects), 0), COALESCE(SUM(devices), 0) FROM counters
	WHERE scope = ?1 AND key = ?2 AND subject_state = ?3 AND prefix = ?4 AND day BETWEEN ?5 AND ?6`,
	`SELECT COALESCE(SUM(subjects), 0), COALESCE(SUM(devices), 0) FROM counters
	WHERE scope = ?1 AND ?2 = '' AND subject_state = ?3 AND prefix = ?4 AND day BETWEEN ?5 AND ?6`,
}

// sumsSQL reads many window sums at once: ?1 is a JSON array of
// [scope, key, subject state, prefix, first day, last day] arrays; each
// row is an index into it and its sums. Every element is one range of
// the primary key.
const sumsSQL = `SELECT t.key, COALESCE(SUM(c.subjects), 0), COALESCE(SUM(c.devices), 0)
	FROM json_each(?1) AS t
	LEFT JOIN counters AS c ON c.scope = t.value ->> 0 AND c.key = t.value ->> 1 AND c.subject_state = t.value ->> 2
		AND c.prefix = t.value ->> 3 AND c.day BETWEEN t.value ->> 4 AND t.value ->> 5
	GROUP BY t.key`

// prepare prepares the hot statements.
func (s *Store) prepare(ctx context.Context) error {
	var err error
	p := func(db *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, q)
		return st
	}
	for i, q := range sumSQL {
		s.sum[i] = p(s.r, q)
		s.sumW[i] = p(s.w, q)
	}
	s.sums = p(s.r, sumsSQL)
	s.sumsW = p(s.w, sumsSQL)
	s.tokenByHash = p(s.r, `SELECT id, hash, principal_id, role, created, expires, revoked FROM tokens WHERE hash = ?`)
	s.principal = p(s.r, `SELECT id, name, kind, role, jurisdiction, may_act_for, attributes, created FROM principals WHERE id = ?`)
	s.dataset = p(s.r, `SELECT id, labels, created, updated FROM datasets WHERE id = ?`)
	s.approvalsOf = p(s.r, `SELECT id, requester, holder, dataset, status, created, version, doc FROM approvals WHERE requester = ? AND dataset = ? ORDER BY created, id`)
	// A decision is inserted only if its log index is not voided: no row
	// inserted means voided.
	s.insertDecision = p(s.w, `INSERT INTO decisions(id, log_index, principal_id, outcome, private, salt, created, summary)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE NOT EXISTS (SELECT 1 FROM voids WHERE log_index = ?2)`)
	s.rowsStmts = map[rowsKey]*sql.Stmt{}
	for _, m := range []struct {
		head, tail string
		cols       int
	}{{insertFacetsSQL, "", 4}, {upsertCountersSQL, upsertCountersTail, 7}} {
		for n := 1; n <= rowsPerStatement; n *= 2 {
			s.rowsStmts[rowsKey{m.head, n}] = p(s.w, rowsSQL(m.head, m.tail, m.cols, n))
		}
	}
	if err != nil {
		return fmt.Errorf("prepare statements: %w", wrap(err))
	}
	return nil
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path, applies the
// migrations it lacks, and refuses a schema newer than it knows with a
// *store.SchemaError.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "mmap_size(268435456)") // read pages without a system call each
	// Savepoint and statement journals in memory, not in a temporary
	// file: they live only while their transaction does, and writing them
	// to a file was 17 % of a loaded server's CPU (bench/README.md). The
	// database and its WAL are untouched: durability is the same.
	q.Add("_pragma", "temp_store(MEMORY)")
	// No checkpoint in the commit that fills the WAL: that commit would
	// copy the WAL into the database and fsync both while every writer
	// waits (the single writer's worst latency). checkpointLoop does it
	// beside the writer instead.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	s := &Store{w: w, r: r}
	s.group = store.NewReserveGroup(s)
	s.records = store.NewBatcher(s.recordBatch)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	if err := s.summarize(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	cctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopCheckpoints, s.checkpointsDone = stop, make(chan struct{})
	go s.checkpointLoop(cctx, checkpointEvery)
	return s, nil
}

// checkpointEvery is how often checkpointLoop copies the WAL into the
// database.
const checkpointEvery = 200 * time.Millisecond

// checkpointLoop runs a passive WAL checkpoint every interval, on a
// connection of the read pool, until ctx ends. A passive checkpoint
// neither waits for nor blocks the writer: commits go on while it copies
// and syncs, and the next commit after a complete one starts the WAL from
// its beginning, so the WAL stays about one interval of writes long.
func (s *Store) checkpointLoop(ctx context.Context, interval time.Duration) {
	defer close(s.checkpointsDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// An error (the disk is full, say) shows on the next write;
			// the WAL then grows until a checkpoint succeeds.
			s.r.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// SchemaVersion returns the newest migration this package knows.
func SchemaVersion() int {
	ms, err := store.Migrations(migrations, "migrations")
	if err != nil {
		return 0
	}
	return store.Newest(ms)
}

// appliedVersions reads the versions recorded in schema_migrations.
func appliedVersions(ctx context.Context, db *sql.DB) ([]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema versions: %w", wrap(err))
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema versions: %w", wrap(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema versions: %w", wrap(err))
	}
	return out, nil
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := store.Migrations(migrations, "migrations")
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", wrap(err))
	}
	applied, err := appliedVersions(ctx, s.w)
	if err != nil {
		return err
	}
	pending, err := store.Pending(ms, applied)
	if err != nil {
		return err
	}
	for _, m := range pending {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, wrap(err))
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.Name, wrap(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied) VALUES (?, ?, ?)`, m.Version, m.Name, time.Now().UnixNano()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.Name, wrap(err))
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, wrap(err))
		}
	}
	return nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	if s.stopCheckpoints != nil {
		s.stopCheckpoints()
		<-s.checkpointsDone
	}
	var errs []error
	for _, st := range append(append(s.sum[:], s.sumW[:]...), s.sums, s.sumsW, s.tokenByHash, s.principal, s.dataset, s.insertDecision, s.approvalsOf) {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, st := range s.rowsStmts {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(append(errs, s.w.Close(), s.r.Close())...)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite: %w", wrap(err))
	}
	return nil
}

// wrap maps SQLite errors onto the store's sentinels.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") || strings.Contains(err.Error(), "sql: statement is closed") {
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %v", store.ErrNotFound, err)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
		}
	}
	return err
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullNanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}

// labels is the JSON kept for a dataset: everything but id and times.
func labels(d store.Dataset) (string, error) {
	d.ID, d.Created, d.Updated = "", time.Time{}, time.Time{}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode dataset labels: %w", err)
	}
	return string(b), nil
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
	now := nanos(time.Now())
	if _, err := s.w.ExecContext(ctx, `INSERT INTO datasets(id, labels, created, updated) VALUES (?, ?, ?, ?)`, d.ID, l, now, now); err != nil {
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
	res, err := s.w.ExecContext(ctx, `UPDATE datasets SET labels = ?, updated = ? WHERE id = ?`, l, nanos(time.Now()), d.ID)
	if err != nil {
		return fmt.Errorf("update dataset %s: %w", d.ID, wrap(err))
	}
	return affected(res, "dataset "+d.ID)
}

func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, wrap(err))
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanDataset(r scanner) (store.Dataset, error) {
	var (
		d                store.Dataset
		l                string
		created, updated int64
	)
	if err := r.Scan(&d.ID, &l, &created, &updated); err != nil {
		return d, wrap(err)
	}
	id := d.ID
	if err := json.Unmarshal([]byte(l), &d); err != nil {
		return d, fmt.Errorf("decode labels of dataset %s: %w", id, err)
	}
	d.ID, d.Created, d.Updated = id, fromNanos(created), fromNanos(updated)
	return d, nil
}

// Dataset returns one dataset.
func (s *Store) Dataset(ctx context.Context, id string) (store.Dataset, error) {
	d, err := scanDataset(s.dataset.QueryRowContext(ctx, id))
	if err != nil {
		return d, fmt.Errorf("dataset %s: %w", id, err)
	}
	return d, nil
}

// ListDatasets returns every dataset, ordered by id.
func (s *Store) ListDatasets(ctx context.Context) ([]store.Dataset, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, labels, created, updated FROM datasets ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.Dataset{}
	for rows.Next() {
		d, err := scanDataset(rows)
		if err != nil {
			return nil, fmt.Errorf("list datasets: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list datasets: %w", wrap(err))
	}
	return out, nil
}

// DeleteDataset removes one dataset.
func (s *Store) DeleteDataset(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM datasets WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete dataset %s: %w", id, wrap(err))
	}
	return affected(res, "dataset "+id)
}

// PutOverride creates or replaces one registry override.
func (s *Store) PutOverride(ctx context.Context, o store.Override) error {
	return putOverride(ctx, s.w, o)
}

// execer is a connection pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// putOverride creates or replaces o through e.
func putOverride(ctx context.Context, e execer, o store.Override) error {
	if o.Kind == "" || o.ID == "" {
		return fmt.Errorf("%w: override kind and id must not be empty", store.ErrInvalid)
	}
	if !json.Valid(o.Body) {
		return fmt.Errorf("%w: override %s/%s: body is not JSON", store.ErrInvalid, o.Kind, o.ID)
	}
	_, err := e.ExecContext(ctx, `INSERT INTO registry_overrides(kind, id, body, updated) VALUES (?, ?, ?, ?)
		ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body, updated = excluded.updated`, o.Kind, o.ID, string(o.Body), nanos(time.Now()))
	if err != nil {
		return fmt.Errorf("put override %s/%s: %w", o.Kind, o.ID, wrap(err))
	}
	return nil
}

func scanOverride(r scanner) (store.Override, error) {
	var (
		o    store.Override
		body string
		upd  int64
	)
	if err := r.Scan(&o.Kind, &o.ID, &body, &upd); err != nil {
		return o, wrap(err)
	}
	o.Body, o.Updated = []byte(body), fromNanos(upd)
	return o, nil
}

// Override returns one registry override.
func (s *Store) Override(ctx context.Context, kind, id string) (store.Override, error) {
	o, err := scanOverride(s.r.QueryRowContext(ctx, `SELECT kind, id, body, updated FROM registry_overrides WHERE kind = ? AND id = ?`, kind, id))
	if err != nil {
		return o, fmt.Errorf("override %s/%s: %w", kind, id, err)
	}
	return o, nil
}

// ListOverrides returns the overrides of kind ("" for all).
func (s *Store) ListOverrides(ctx context.Context, kind string) ([]store.Override, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, id, body, updated FROM registry_overrides WHERE ? = '' OR kind = ? ORDER BY kind, id`, kind, kind)
	if err != nil {
		return nil, fmt.Errorf("list overrides: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.Override{}
	for rows.Next() {
		o, err := scanOverride(rows)
		if err != nil {
			return nil, fmt.Errorf("list overrides: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list overrides: %w", wrap(err))
	}
	return out, nil
}

// DeleteOverride removes one registry override.
func (s *Store) DeleteOverride(ctx context.Context, kind, id string) error {
	return deleteOverride(ctx, s.w, kind, id)
}

// deleteOverride removes one override through e; store.ErrNotFound if
// there is none.
func deleteOverride(ctx context.Context, e execer, kind, id string) error {
	res, err := e.ExecContext(ctx, `DELETE FROM registry_overrides WHERE kind = ? AND id = ?`, kind, id)
	if err != nil {
		return fmt.Errorf("delete override %s/%s: %w", kind, id, wrap(err))
	}
	return affected(res, "override "+kind+"/"+id)
}

// PutPrincipal creates or replaces a principal.
func (s *Store) PutPrincipal(ctx context.Context, p store.Principal) error {
	if p.ID == "" || p.Kind == "" || p.Jurisdiction == "" {
		return fmt.Errorf("%w: principal id, kind and jurisdiction must not be empty", store.ErrInvalid)
	}
	acts, err := json.Marshal(nonNil(p.MayActFor))
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
	_, err = s.w.ExecContext(ctx, `INSERT INTO principals(id, name, kind, role, jurisdiction, may_act_for, attributes, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind, role = excluded.role,
		jurisdiction = excluded.jurisdiction, may_act_for = excluded.may_act_for, attributes = excluded.attributes`,
		p.ID, p.Name, p.Kind, p.Role, p.Jurisdiction, string(acts), string(attrs), nanos(created))
	if err != nil {
		return fmt.Errorf("put principal %s: %w", p.ID, wrap(err))
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func scanPrincipal(r scanner) (store.Principal, error) {
	var (
		p           store.Principal
		acts, attrs string
		created     int64
	)
	if err := r.Scan(&p.ID, &p.Name, &p.Kind, &p.Role, &p.Jurisdiction, &acts, &attrs, &created); err != nil {
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
	p.Created = fromNanos(created)
	return p, nil
}

// Principal returns one principal.
func (s *Store) Principal(ctx context.Context, id string) (store.Principal, error) {
	p, err := scanPrincipal(s.principal.QueryRowContext(ctx, id))
	if err != nil {
		return p, fmt.Errorf("principal %s: %w", id, err)
	}
	return p, nil
}

// ListPrincipals returns every principal, ordered by id.
func (s *Store) ListPrincipals(ctx context.Context) ([]store.Principal, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, kind, role, jurisdiction, may_act_for, attributes, created FROM principals ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list principals: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.Principal{}
	for rows.Next() {
		p, err := scanPrincipal(rows)
		if err != nil {
			return nil, fmt.Errorf("list principals: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list principals: %w", wrap(err))
	}
	return out, nil
}

// CreateToken stores t.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if t.ID == "" || len(t.Hash) == 0 || t.PrincipalID == "" || !store.ValidRole(t.Role) {
		return fmt.Errorf("%w: token needs an id, a hash, a principal and a valid role", store.ErrInvalid)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO tokens(id, hash, principal_id, role, created, expires, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Hash, t.PrincipalID, t.Role, nanos(t.Created), nullNanos(t.Expires), nullNanos(t.Revoked))
	if err != nil {
		return fmt.Errorf("create token %s for %s: %w", t.ID, t.PrincipalID, wrap(err))
	}
	return nil
}

func scanToken(r scanner) (store.Token, error) {
	var (
		t                store.Token
		created          int64
		expires, revoked sql.NullInt64
	)
	if err := r.Scan(&t.ID, &t.Hash, &t.PrincipalID, &t.Role, &created, &expires, &revoked); err != nil {
		return t, wrap(err)
	}
	t.Created, t.Expires, t.Revoked = fromNanos(created), fromNull(expires), fromNull(revoked)
	return t, nil
}

// TokenByHash returns the token with the given secret hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(s.tokenByHash.QueryRowContext(ctx, hash))
	if err != nil {
		return t, fmt.Errorf("token: %w", err)
	}
	return t, nil
}

// RevokeToken revokes token id from at on (keeping an earlier revocation).
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE tokens SET revoked = COALESCE(revoked, ?) WHERE id = ?`, nanos(at), id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, wrap(err))
	}
	return affected(res, "token "+id)
}

// ListTokens returns the tokens of one principal ("" for all).
func (s *Store) ListTokens(ctx context.Context, principalID string) ([]store.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, hash, principal_id, role, created, expires, revoked FROM tokens WHERE ? = '' OR principal_id = ? ORDER BY id`, principalID, principalID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", wrap(err))
	}
	return out, nil
}

// Decision returns the private record of decision id.
func (s *Store) Decision(ctx context.Context, id string) (store.DecisionRecord, error) {
	var (
		r       store.DecisionRecord
		idx     int64
		outcome string
		created int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT id, log_index, principal_id, outcome, private, salt, created FROM decisions
		WHERE id = ? AND NOT EXISTS (SELECT 1 FROM voids WHERE voids.log_index = decisions.log_index)`, id).
		Scan(&r.ID, &idx, &r.Principal, &outcome, &r.Private, &r.Salt, &created)
	if err != nil {
		return r, fmt.Errorf("decision %s: %w", id, wrap(err))
	}
	r.LogIndex, r.Outcome, r.Created = uint64(idx), model.Outcome(outcome), fromNanos(created)
	return r, nil
}

// RecordVoid notes a voided log entry. Recording the same index again
// is not an error and keeps the first record, except that it fills in a
// void index left unset by VoidUnrecorded. A decision recorded at the
// index is store.ErrConflict, and nothing is written.
func (s *Store) RecordVoid(ctx context.Context, v store.Void) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record void of index %d: %w", v.LogIndex, wrap(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	// The void entry is on the log: it wins over a record made by a commit
	// whose answer was lost (Decision then answers not found).
	_, err = tx.ExecContext(ctx, `INSERT INTO voids(log_index, void_index, decision_id, created) VALUES (?, ?, ?, ?)
		ON CONFLICT(log_index) DO UPDATE SET void_index = COALESCE(voids.void_index, excluded.void_index)`,
		int64(v.LogIndex), int64(v.VoidIndex), v.DecisionID, nanos(v.Created))
	if err != nil {
		return fmt.Errorf("record void of index %d: %w", v.LogIndex, wrap(err))
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("record void of index %d: commit: %w", v.LogIndex, wrap(err))
	}
	return nil
}

// ListVoids returns every void, ordered by log index.
func (s *Store) ListVoids(ctx context.Context) ([]store.Void, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT log_index, void_index, decision_id, created FROM voids ORDER BY log_index`)
	if err != nil {
		return nil, fmt.Errorf("list voids: %w", wrap(err))
	}
	defer rows.Close()
	out := []store.Void{}
	for rows.Next() {
		v, err := scanVoid(rows)
		if err != nil {
			return nil, fmt.Errorf("list voids: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list voids: %w", wrap(err))
	}
	return out, nil
}

// RecordDecision writes rec and adds counts, in one transaction shared
// with the records that arrive meanwhile (group commit: SQLite has one
// writer, so one commit for many records is where the time goes). A
// record that fails (voided, a duplicate) fails alone, with nothing of it
// written.
func (s *Store) RecordDecision(ctx context.Context, rec store.DecisionRecord, counts []store.CounterDelta) error {
	if err := rec.Validate(); err != nil {
		return err
	}
	for _, c := range counts {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("decision %s: %w", rec.ID, err)
		}
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

// recordBatch writes a batch of records in one write transaction. The
// transaction (BEGIN IMMEDIATE) excludes VoidUnrecorded: whichever of the
// two commits first wins a log index.
//
// Each record's row is one INSERT: SQLite undoes a failed statement
// alone, so a record that fails (a duplicate id or index) or is not
// inserted (voided) leaves nothing behind, and only the records that were
// inserted get their facet rows and counts. Those are written for the
// whole batch at once: the facets in multi-row INSERTs, the counts rolled
// up together into one upsert per counter row. A failure there fails the
// batch (it rolls back whole), as a failed commit does.
func (s *Store) recordBatch(ctx context.Context, _ struct{}, items []recordItem) []error {
	errs := make([]error, len(items))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.FailAll(errs, fmt.Errorf("record decisions: %w", wrap(err)))
	}
	defer tx.Rollback() // after Commit: a no-op
	insert := tx.StmtContext(ctx, s.insertDecision)
	var (
		facets []any
		counts []store.CounterDelta
	)
	for i, it := range items {
		sum, err := insertRecord(ctx, insert, it.rec)
		if err != nil {
			errs[i] = err
			continue
		}
		facets = appendFacets(facets, sum)
		counts = append(counts, it.counts...)
	}
	if err := s.execRows(ctx, tx, insertFacetsSQL, 4, facets); err != nil {
		return store.FailAll(errs, fmt.Errorf("record decisions: facets: %w", err))
	}
	if err := s.addCounts(ctx, tx, counts); err != nil {
		return store.FailAll(errs, fmt.Errorf("record decisions: %w", err))
	}
	if err := tx.Commit(); err != nil {
		return store.FailAll(errs, fmt.Errorf("record decisions: commit: %w", wrap(err)))
	}
	return errs
}

// insertRecord inserts rec's row with insert and returns its summary. No
// row inserted (the index is voided) is store.ErrVoided.
func insertRecord(ctx context.Context, insert *sql.Stmt, rec store.DecisionRecord) (store.DecisionSummary, error) {
	sum := store.SummaryOf(rec)
	summary, err := store.EncodeSummary(sum)
	if err != nil {
		return sum, fmt.Errorf("record decision %s: %w", rec.ID, err)
	}
	res, err := insert.ExecContext(ctx,
		rec.ID, int64(rec.LogIndex), rec.Principal, string(rec.Outcome), nonNilBytes(rec.Private), nonNilBytes(rec.Salt), nanos(rec.Created), summary)
	if err != nil {
		return sum, fmt.Errorf("record decision %s: %w", rec.ID, wrap(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = fmt.Errorf("log index %d: %w", rec.LogIndex, store.ErrVoided)
		}
		return sum, fmt.Errorf("record decision %s: %w", rec.ID, wrap(err))
	}
	return sum, nil
}

// insertFacetsSQL is the head of a multi-row insert of facet rows (see
// execRows).
const insertFacetsSQL = `INSERT OR IGNORE INTO decision_facets(log_index, facet, value, created) VALUES `

// upsertCountersSQL and upsertCountersTail make a multi-row upsert of
// counter rows (see execRows). store.RollUp gives each row once.
const (
	upsertCountersSQL  = `INSERT INTO counters(scope, key, subject_state, prefix, day, subjects, devices) VALUES `
	upsertCountersTail = ` ON CONFLICT(scope, key, subject_state, prefix, day) DO UPDATE SET
		subjects = subjects + excluded.subjects, devices = devices + excluded.devices`
)

// rowsPerStatement bounds the rows of one multi-row statement, well below
// SQLite's limit of 32,766 parameters. It is a power of two: see execRows.
const rowsPerStatement = 256

// execRows runs head + "(?, …), (?, …)" + its tail over args, cols values a
// row, in tx. Rows go in statements of a power-of-two size (37 rows: 32,
// then 4, then 1), so that a few statements, prepared once at Open
// (parsing SQL costs more than running it), serve every batch. head must
// be one prepare knows.
func (s *Store) execRows(ctx context.Context, tx *sql.Tx, head string, cols int, args []any) error {
	for len(args) > 0 {
		n := min(len(args)/cols, rowsPerStatement)
		n = 1 << (bits.Len(uint(n)) - 1)    // the largest power of two ≤ n
		st := s.rowsStmts[rowsKey{head, n}] // prepared for every n (prepare)
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args[:n*cols]...); err != nil {
			return wrap(err)
		}
		args = args[n*cols:]
	}
	return nil
}

// rowsKey names a prepared multi-row statement.
type rowsKey struct {
	head string
	rows int
}

// rowsSQL is head + n rows of cols parameters + tail.
func rowsSQL(head, tail string, cols, n int) string {
	var b strings.Builder
	b.WriteString(head)
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(tail)
	return b.String()
}

// addCounts upserts the rows counts roll up to (store.RollUp) in tx.
func (s *Store) addCounts(ctx context.Context, tx *sql.Tx, counts []store.CounterDelta) error {
	rows := store.RollUp(counts)
	args := make([]any, 0, 7*len(rows))
	for _, c := range rows {
		args = append(args, string(c.Scope), c.Key, c.SubjectState, c.Prefix, c.Day, c.Subjects, c.Devices)
	}
	if err := s.execRows(ctx, tx, upsertCountersSQL, 7, args); err != nil {
		return fmt.Errorf("counters: %w", err)
	}
	return nil
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// History returns the counters of q at q.At, each sum read from the read
// pool when a pack asks for it, with ctx.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) (*model.History, error) {
	return s.reader(ctx, nil, q).History(), nil
}

// reader returns a reader of q's counters on the read pool, or in tx when
// it is not nil (Reserve reads what its own write transaction holds).
func (s *Store) reader(ctx context.Context, tx *sql.Tx, q store.HistoryQuery) *store.CounterReader {
	var stmts [2]*sql.Stmt
	return store.NewCounterReader(q, func(scope model.CounterScope, key, subject, prefix string, from, to int64) (model.Count, error) {
		v := 0
		if key == "" {
			v = 1
		}
		st := stmts[v]
		if st == nil {
			st = s.sum[v]
			if tx != nil {
				st = tx.StmtContext(ctx, s.sumW[v])
			}
			stmts[v] = st
		}
		var c model.Count
		if err := st.QueryRowContext(ctx, string(scope), key, subject, prefix, from, to).Scan(&c.Subjects, &c.Devices); err != nil {
			return c, fmt.Errorf("read counters: %w", wrap(err))
		}
		return c, nil
	}).WithPlan(&s.plan, func(reqs []store.SumRequest) ([]model.Count, error) {
		arg := make([][6]any, len(reqs))
		for i, q := range reqs {
			arg[i] = [6]any{string(q.Scope), q.Key, q.SubjectState, q.Prefix, q.From, q.To}
		}
		js, err := json.Marshal(arg)
		if err != nil {
			return nil, fmt.Errorf("read counters: %w", err)
		}
		st := s.sums
		if tx != nil {
			st = tx.StmtContext(ctx, s.sumsW)
		}
		rows, err := st.QueryContext(ctx, string(js))
		if err != nil {
			return nil, fmt.Errorf("read counters: %w", wrap(err))
		}
		defer rows.Close()
		out := make([]model.Count, len(reqs))
		for rows.Next() {
			var (
				i int
				c model.Count
			)
			if err := rows.Scan(&i, &c.Subjects, &c.Devices); err != nil {
				return nil, fmt.Errorf("read counters: %w", wrap(err))
			}
			if i < 0 || i >= len(out) {
				return nil, fmt.Errorf("read counters: sum %d of %d", i, len(out))
			}
			out[i] = c
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read counters: %w", wrap(err))
		}
		return out, nil
	})
}

// PruneHistory deletes the counters of days before before's UTC day.
func (s *Store) PruneHistory(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM counters WHERE day < ?`, store.DayNumber(before))
	if err != nil {
		return 0, fmt.Errorf("prune history: %w", wrap(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune history: %w", wrap(err))
	}
	return n, nil
}
