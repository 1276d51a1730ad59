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
// Versions are positive and unique. They may have gaps: each area of work
// is given its own number, so a branch may hold 0010 before 0007 exists.
// A driver applies every migration whose version the database has not
// recorded (Pending), not just those above the highest recorded.
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
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migration %s: version %d is taken by %s (no duplicates)", out[i].Name, out[i].Version, out[i-1].Name)
		}
	}
	return out, nil
}

// Newest returns the highest version of ms (0 for none).
func Newest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Pending returns the migrations of ms whose version is not in applied, in
// version order, or a *SchemaError when applied holds a version newer than
// any of ms (the database was written by a newer accord).
func Pending(ms []Migration, applied []int) ([]Migration, error) {
	done := map[int]bool{}
	newest := 0
	for _, v := range applied {
		done[v] = true
		newest = max(newest, v)
	}
	if newest > Newest(ms) {
		return nil, &SchemaError{Database: newest, Known: Newest(ms)}
	}
	var out []Migration
	for _, m := range ms {
		if !done[m.Version] {
			out = append(out, m)
		}
	}
	return out, nil
}
