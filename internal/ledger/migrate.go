package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/transparency-dev/tessera"
	tmysql "github.com/transparency-dev/tessera/storage/mysql"
	"golang.org/x/mod/sumdb/note"
)

// MigrateToMySQL copies the log src (for Accord, a POSIX log directory
// opened with OpenSource) into the MySQL or MariaDB database rawURL names,
// so that OpenMySQL serves it from then on with the same key. vkey is the
// log's verifier key: src's checkpoint must verify with it. The database
// must hold no log, or the same log (a migration interrupted or already
// done is resumed or is a no-op); one holding another log, or a log signed
// by another key, is refused and nothing is changed.
//
// Tessera's MigrationTarget copies the entry bundles and rebuilds the tree
// in the database; its root must equal the checkpoint's, or the migration
// fails. The source checkpoint is then published in the database as it is:
// the same signed note, valid for the same tree. Stop the server that
// writes src first: entries appended after its checkpoint are not copied.
func MigrateToMySQL(ctx context.Context, src Source, vkey, rawURL string, workers uint) (*Checkpoint, error) {
	name := RedactMySQLURL(rawURL)
	verifier, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("migrate log: verifier key: %w", err)
	}
	cp, err := fetchCheckpoint(ctx, src, verifier, "")
	if err != nil {
		return nil, fmt.Errorf("migrate log: source: %w", err)
	}
	if cp.Size == 0 {
		return nil, errors.New("migrate log: the source log is empty: nothing to migrate (start the replicas on the database instead)")
	}
	if !IsMySQLURL(rawURL) {
		return nil, fmt.Errorf("migrate log: %q is not a %s URL", name, MySQLScheme)
	}
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(rawURL, MySQLScheme))
	if err != nil {
		return nil, fmt.Errorf("migrate log to %s: %w", name, err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("migrate log to %s: %w", name, err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("migrate log to %s: %w", name, err)
	}
	if err := applyMySQLSchema(ctx, db); err != nil {
		return nil, fmt.Errorf("migrate log to %s: %w", name, err)
	}
	// The target must be empty, or this log (same key, a prefix of it).
	var raw []byte
	switch err := db.QueryRowContext(ctx, "SELECT `note` FROM `Checkpoint` WHERE `id` = 0").Scan(&raw); {
	case err == nil:
		got, err := ParseCheckpoint(raw, verifier, cp.Origin)
		if err != nil {
			return nil, fmt.Errorf("migrate log to %s: the database already holds another log (%w; nothing was changed)", name, err)
		}
		if got.Size > cp.Size || (got.Size == cp.Size && !bytes.Equal(got.Hash, cp.Hash)) {
			return nil, fmt.Errorf("migrate log to %s: the database's log (%d entries) is not a prefix of the source's (%d): nothing was changed", name, got.Size, cp.Size)
		}
	case errors.Is(err, sql.ErrNoRows):
	default:
		return nil, fmt.Errorf("migrate log to %s: read checkpoint: %w", name, err)
	}
	var integrated uint64
	if err := db.QueryRowContext(ctx, "SELECT `size` FROM `TreeState` WHERE `id` = 0").Scan(&integrated); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("migrate log to %s: read tree state: %w", name, err)
	}
	if integrated > cp.Size {
		return nil, fmt.Errorf("migrate log to %s: the database's log holds %d entries, more than the source's %d: it has been written to since; nothing was changed", name, integrated, cp.Size)
	}
	if err := registerMySQLKey(ctx, db, strings.TrimSpace(vkey), "the source log's key"); err != nil {
		return nil, fmt.Errorf("migrate log to %s: %w", name, err)
	}
	driver, err := tmysql.New(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("migrate log to %s: %w", name, err)
	}
	mt, err := tessera.NewMigrationTarget(ctx, driver, tessera.NewMigrationOptions())
	if err != nil {
		return nil, fmt.Errorf("migrate log to %s: %w", name, err)
	}
	if err := mt.Migrate(ctx, max(workers, 1), cp.Size, cp.Hash, src.ReadEntryBundle); err != nil {
		return nil, fmt.Errorf("migrate log to %s: %w", name, err)
	}
	// Tessera v1.0.4's MySQL migration writer records a full bundle's
	// size as 0 (its partial width), which its reader then refuses; a
	// bundle of 0 entries is never written otherwise.
	if _, err := db.ExecContext(ctx, "UPDATE `TiledLeaves` SET `size` = 256 WHERE `size` = 0"); err != nil {
		return nil, fmt.Errorf("migrate log to %s: fix bundle sizes: %w", name, err)
	}
	if _, err := db.ExecContext(ctx, "REPLACE INTO `Checkpoint` (`id`, `note`, `published_at`) VALUES (0, ?, ?)", cp.Raw, time.Now().UnixMilli()); err != nil {
		return nil, fmt.Errorf("migrate log to %s: publish checkpoint: %w", name, err)
	}
	return cp, nil
}
