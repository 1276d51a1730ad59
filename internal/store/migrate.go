package store

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one versioned schema change: the SQL of a file named
// NNNN_description.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// SchemaError says the database holds a schema newer than this binary
// knows. The binary must not write into it: upgrade Accord, or restore a
// backup taken before the newer one ran.
type SchemaError struct {
	Database int // version found in the database
	Known    int // newest version this binary knows
}

// Error names both versions and what to do.
func (e *SchemaError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this accord knows (%d): upgrade accord, or restore a backup made before the upgrade", e.Database, e.Known)
}

// Migrations reads the *.sql files of dir in fsys, ordered by version.
// Versions start at 1 and have no gaps.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d (versions start at 1, no gaps or duplicates)", m.Name, i+1)
		}
	}
	return out, nil
}
