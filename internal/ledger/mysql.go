package ledger

import (
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/transparency-dev/tessera"
	tmysql "github.com/transparency-dev/tessera/storage/mysql"
	"golang.org/x/mod/sumdb/note"
)

// MySQLScheme is the prefix of a log URL naming a MySQL or MariaDB
// database: mysql://USER[:PASSWORD]@tcp(HOST:PORT)/DBNAME[?PARAMS]. What
// follows the prefix is a go-sql-driver/mysql DSN, unchanged.
const MySQLScheme = "mysql://"

// MinMySQLCheckpointInterval is the shortest checkpoint interval Tessera's
// MySQL driver accepts.
const MinMySQLCheckpointInterval = time.Second

// mysqlSchema is Tessera's MySQL schema (storage/mysql/schema.sql of
// v1.0.4) plus Accord's AccordLogKey table. Every statement is idempotent.
//
//go:embed mysql_schema.sql
var mysqlSchema string

// ErrKeyMismatch is returned by OpenMySQL when the database's log is
// signed by another key than the one this replica was given.
var ErrKeyMismatch = errors.New("log signing key mismatch")

// IsMySQLURL reports whether a --log value names a MySQL database.
func IsMySQLURL(s string) bool { return strings.HasPrefix(s, MySQLScheme) }

// RedactMySQLURL returns the URL with its password replaced by "xxx", for
// messages and server logs.
func RedactMySQLURL(s string) string {
	dsn := strings.TrimPrefix(s, MySQLScheme)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return MySQLScheme + "(unparseable DSN)"
	}
	pw := ""
	if cfg.Passwd != "" {
		pw = ":xxx"
	}
	q := ""
	if i := strings.IndexByte(dsn, '?'); i >= 0 {
		q = "?…"
	}
	return fmt.Sprintf("%s%s%s@%s(%s)/%s%s", MySQLScheme, cfg.User, pw, cfg.Net, cfg.Addr, cfg.DBName, q)
}

// OpenMySQL opens the transparency log kept in a MySQL or MariaDB database
// by Tessera's MySQL driver, for one of any number of replicas that append
// to it together: the database sequences every entry exactly once, and
// whichever replica's turn it is publishes the checkpoint (at most one per
// CheckpointInterval across all of them). rawURL is a MySQLScheme URL.
//
// The tables are created on first use. The checkpoint signing key is
// Options.KeyFile, which must be given: every replica must be started with
// the same key file. When the file does not exist it is generated, as Open
// does; the first replica to open the database records its verifier key
// there, and a replica started with any other key is refused (nothing is
// changed), as is a database whose published checkpoint the key does not
// verify.
//
// The returned Log has the API of Open's; Dir is empty, and Handler serves
// the read API from the database.
func OpenMySQL(ctx context.Context, rawURL string, opts Options) (*Log, error) {
	name := RedactMySQLURL(rawURL)
	if !IsMySQLURL(rawURL) {
		return nil, fmt.Errorf("open log: %q is not a %s URL", name, MySQLScheme)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", name, err)
	}
	if o.CheckpointInterval < MinMySQLCheckpointInterval {
		return nil, fmt.Errorf("open log %s: checkpoint interval %v is shorter than the MySQL driver's %v minimum", name, o.CheckpointInterval, MinMySQLCheckpointInterval)
	}
	if o.KeyFile == "" {
		return nil, fmt.Errorf("open log %s: no signing key file given (every replica needs the same one)", name)
	}
	var witnesses *tessera.WitnessGroup
	if len(bytes.TrimSpace(o.WitnessPolicy)) > 0 {
		wg, err := ParseWitnessPolicy(o.WitnessPolicy)
		if err != nil {
			return nil, fmt.Errorf("open log %s: %w", name, err)
		}
		witnesses = &wg
	}
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(rawURL, MySQLScheme))
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", name, err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", name, err)
	}
	ok := false
	defer func() {
		if !ok {
			db.Close()
		}
	}()
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("open log %s: %w: %w", name, ErrUnavailable, err)
	}
	if err := applyMySQLSchema(ctx, db); err != nil {
		return nil, fmt.Errorf("open log %s: %w", name, err)
	}

	signer, vkey, err := mysqlKey(o.KeyFile, o.Origin)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", name, err)
	}
	origin := signer.Name()
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", name, err)
	}
	if err := registerMySQLKey(ctx, db, vkey, o.KeyFile); err != nil {
		return nil, fmt.Errorf("open log %s: %w", name, err)
	}
	var raw []byte
	switch err := db.QueryRowContext(ctx, "SELECT `note` FROM `Checkpoint` WHERE `id` = 0").Scan(&raw); {
	case err == nil:
		if _, err := ParseCheckpoint(raw, verifier, origin); err != nil {
			if got, oerr := checkpointOrigin(raw); oerr == nil && got != origin {
				return nil, fmt.Errorf("open log %s: %w: the published checkpoint is for %q, the key signs for %q (nothing was changed)", name, ErrOriginMismatch, got, origin)
			}
			return nil, fmt.Errorf("open log %s: published checkpoint: %w (nothing was changed)", name, err)
		}
	case errors.Is(err, sql.ErrNoRows):
	default:
		return nil, fmt.Errorf("open log %s: read checkpoint: %w", name, err)
	}

	aopts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithCheckpointInterval(o.CheckpointInterval).
		WithBatching(o.BatchMaxSize, o.BatchMaxAge)
	if witnesses != nil {
		aopts = aopts.WithWitnesses(*witnesses, &tessera.WitnessOptions{Timeout: o.WitnessTimeout})
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	driver, err := tmysql.New(bg, db)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open log %s: %w", name, err)
	}
	app, shutdown, reader, err := tessera.NewAppender(bg, driver, aopts)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open log %s: %w", name, err)
	}
	ok = true
	return &Log{
		health:   health{notify: o.OnHealth, fault: o.fault},
		name:     name,
		db:       db,
		origin:   origin,
		verifier: verifier,
		vkey:     vkey,
		maxEntry: o.MaxEntrySize,
		add:      (&gate{next: app.Add}).add,
		shutdown: shutdown,
		reader:   reader,
		awaiter:  tessera.NewPublicationAwaiter(bg, reader.ReadCheckpoint, receiptPoll),
		cancel:   cancel,
	}, nil
}

// applyMySQLSchema creates the log's tables when they do not exist.
func applyMySQLSchema(ctx context.Context, db *sql.DB) error {
	var stmt strings.Builder
	for _, line := range strings.Split(mysqlSchema, "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		stmt.WriteString(line)
		stmt.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if _, err := db.ExecContext(ctx, stmt.String()); err != nil {
				return fmt.Errorf("create the log's tables: %w", err)
			}
			stmt.Reset()
		}
	}
	return nil
}

// mysqlKey loads the signing key at path, or creates it (with origin, or
// DefaultOrigin of the host) when it does not exist.
func mysqlKey(path, origin string) (note.Signer, string, error) {
	switch _, err := os.Stat(path); {
	case err == nil:
		s, vkey, err := loadKey(path)
		if err != nil {
			return nil, "", err
		}
		if origin != "" && origin != s.Name() {
			return nil, "", fmt.Errorf("%w: the log's key %s signs for %q, the configuration says %q (nothing was changed)", ErrOriginMismatch, path, s.Name(), origin)
		}
		return s, vkey, nil
	case errors.Is(err, fs.ErrNotExist):
		if origin == "" {
			host, _ := os.Hostname()
			origin = DefaultOrigin(host, "")
		}
		if err := checkOrigin(origin); err != nil {
			return nil, "", err
		}
		return createKey(path, origin)
	default:
		return nil, "", fmt.Errorf("key %s: %w", path, err)
	}
}

// registerMySQLKey records vkey as the log's verifier key if none is
// recorded yet, and refuses any other.
func registerMySQLKey(ctx context.Context, db *sql.DB, vkey, keyFile string) error {
	if _, err := db.ExecContext(ctx, "INSERT IGNORE INTO `AccordLogKey` (`id`, `vkey`) VALUES (0, ?)", vkey); err != nil {
		return fmt.Errorf("record the log's key: %w", err)
	}
	var got []byte
	if err := db.QueryRowContext(ctx, "SELECT `vkey` FROM `AccordLogKey` WHERE `id` = 0").Scan(&got); err != nil {
		return fmt.Errorf("read the log's key: %w", err)
	}
	if string(got) != vkey {
		return fmt.Errorf("%w: the log in this database is signed by %s, but %s holds the key of %s: give every replica the same key file (nothing was changed)", ErrKeyMismatch, got, keyFile, vkey)
	}
	return nil
}
