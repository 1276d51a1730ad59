package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
)

func newLogMigrateCmd() *cobra.Command {
	var to string
	var workers uint
	cmd := &cobra.Command{
		Use:   "migrate --to mysql://…",
		Short: "Move the log under --data into MySQL/MariaDB, for replicas (docs/scale.md)",
		Long: `Copy the POSIX log DIR/log into a MySQL or MariaDB database, where
` + "`accord serve --log mysql://…`" + ` replicas share it. Tessera's tile format is the same:
the entries are copied, the tree is rebuilt in the database and must reach
the root of the log's checkpoint, and that checkpoint is published there as
it is. Give every replica DIR/keys/log.key with --log-key.

Stop the server on --data first (the command takes the data directory's
lock). The database must hold no log, or this one; anything else is refused
and nothing is changed. Once migrated, DIR/log is renamed DIR/log.migrated:
it is a backup, and no server on --data writes to it again.`,
		Example: `  accord log migrate --data /var/lib/accord --to 'mysql://accord:PASS@tcp(db:3306)/accord_log'`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !ledger.IsMySQLURL(to) {
				return badInput(locale.Errorf("--to: %q is not a %s URL", redactURL(to), ledger.MySQLScheme))
			}
			if err := requireData(dataDir); err != nil {
				return err
			}
			lock, err := lockDataErr(dataDir)
			if err != nil {
				return err
			}
			defer lock.release()
			vkey, err := ledger.ReadVerifierKey(filepath.Join(dataDir, "keys"))
			if err != nil {
				return badInput(err)
			}
			src, err := ledger.OpenSource(filepath.Join(dataDir, logDirName), nil)
			if err != nil {
				return badInput(err)
			}
			cp, err := ledger.MigrateToMySQL(cmd.Context(), src, vkey, to, workers)
			if err != nil {
				if errors.Is(err, ledger.ErrKeyMismatch) {
					return badInput(err)
				}
				return err
			}
			logDir := filepath.Join(dataDir, logDirName)
			if err := os.Rename(logDir, logDir+".migrated"); err != nil {
				return locale.Errorf("the log was migrated, but renaming %s failed (rename it before starting serve with --log): %v", logDir, err)
			}
			p, target := userPrinter(), ledger.RedactMySQLURL(to)
			fmt.Fprintln(cmd.OutOrStdout(), p.Sprintf("migrated %[1]d entries of %[2]s to %[3]s; checkpoint published there; the old log is now %[4]s.migrated", cp.Size, cp.Origin, target, logDirName))
			fmt.Fprintln(cmd.OutOrStdout(), p.Sprintf("start each replica with: accord serve --log '%s' --log-key %s", target, filepath.Join(dataDir, "keys", ledger.KeyFileName)))
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "target database: mysql://USER[:PASS]@tcp(HOST:PORT)/DB (required)")
	cmd.Flags().UintVar(&workers, "workers", 4, "entry bundles copied at once")
	return cmd
}
