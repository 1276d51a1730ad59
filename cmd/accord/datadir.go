package main

// The data directory (--data) holds one Accord world: the log (DIR/log,
// DIR/keys) and, unless --db names PostgreSQL, the database (DIR/accord.db).
// Three promises keep it whole:
//
//   - One writer at a time. Every command that writes under --data (serve,
//     demo, the mla transitions, token create/revoke on SQLite) holds
//     an exclusive flock(2) on DIR/LOCK for as long as it runs; the file
//     holds the holder's PID. A second writer exits at once naming that PID.
//     Readers (log verify, report, token list, mla show, ...) take no lock.
//   - No new world by typo. Every command but serve, demo and mla open
//     refuses a directory that holds neither accord.db nor log/.
//   - Both halves or neither. A database whose records point into a log
//     that is missing or shorter, or a log of entries beside no database
//     (PostgreSQL: an empty one), is refused at start, naming the half
//     that is missing. A database older than its log is not: reconciling
//     the log's tail voids what it lacks.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// The names of the files that make up a data directory.
const (
	lockFileName = "LOCK"
	dbFileName   = "accord.db"
	logDirName   = "log"
)

// errDataInUse is returned by lockData when another process holds the lock.
var errDataInUse = locale.Errorf("data directory in use")

// dataLock is the write lock of a data directory, held by this process
// until release (or until it exits: the kernel drops a flock with the last
// descriptor).
type dataLock struct{ f *os.File }

// lockData takes the exclusive write lock of dir, creating dir if needed,
// and writes this process's PID into DIR/LOCK. It does not wait: when
// another process holds the lock it fails at once with errDataInUse,
// naming that process.
func lockData(dir string) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, locale.Errorf("create data directory: %v", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, locale.Errorf("lock data directory: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			if raw, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(string(bytes.TrimSpace(raw))); perr == nil && pid > 0 {
					return nil, locale.Errorf("%v: %s is held by process %s (it holds %s): stop it, or use a different --data", errDataInUse, dir, strconv.Itoa(pid), path)
				}
			}
			return nil, locale.Errorf("%v: %s is held by another process (it holds %s): stop it, or use a different --data", errDataInUse, dir, path)
		}
		return nil, locale.Errorf("lock data directory %s: %v", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		if err != nil {
			f.Close()
			return nil, locale.Errorf("write %s: %v", path, err)
		}
	}
	return &dataLock{f: f}, nil
}

// release drops the lock. The file stays: removing it would let a third
// process lock a new file while a second still waits on the old one.
func (l *dataLock) release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Close()
	l.f = nil
}

// lockDataErr is lockData for a command: a directory in use is a plain
// error (exit 1), with the message saying what to do.
func lockDataErr(dir string) (*dataLock, error) {
	l, err := lockData(dir)
	if err != nil {
		return nil, &exitCodeError{code: exitError, err: err}
	}
	return l, nil
}

// dataHalves says which halves of a world a data directory holds on disk.
type dataHalves struct {
	db  bool // DIR/accord.db exists
	log bool // DIR/log exists
}

// statHalves looks for DIR/accord.db and DIR/log.
func statHalves(dir string) (dataHalves, error) {
	var h dataHalves
	for _, x := range []struct {
		name string
		set  *bool
	}{{dbFileName, &h.db}, {logDirName, &h.log}} {
		_, err := os.Stat(filepath.Join(dir, x.name))
		switch {
		case err == nil:
			*x.set = true
		case !errors.Is(err, fs.ErrNotExist):
			return h, locale.Errorf("data directory %s: %v", dir, err)
		}
	}
	return h, nil
}

// requireData refuses a --data directory that holds no Accord data (no
// accord.db and no log/): most likely a typo, which would otherwise start
// a new, empty world. Every command but serve, demo and mla open calls it.
func requireData(dir string) error {
	h, err := statHalves(dir)
	if err != nil {
		return err
	}
	if !h.db && !h.log {
		return badInput(locale.Errorf("--data %s holds no Accord data (no %s, no %s/): check the path (a new data directory is created by accord serve, or accord demo)", dir, dbFileName, logDirName))
	}
	return nil
}

// halvesError is the refusal for a world missing one half. db and log say
// which halves exist; logSize is the log's size when known (0 otherwise).
func halvesError(dir string, db, log bool, logSize uint64) error {
	switch {
	case db && !log:
		return badInput(locale.Errorf("%[1]s holds the database (%[2]s) but no log (%[3]s/): the log is the other half of the same world; restore %[3]s/ and keys/ from the backup the database came from, or use the --data they are in; if no server ever ran here, start accord serve once to create the log (nothing was changed)",
			dir, dbFileName, logDirName))
	case log && !db && logSize > 0:
		return badInput(locale.Errorf("%[1]s holds a log of %[2]d entries (%[3]s/) but no database (%[4]s): restore the database from the backup the log came from; if accord demo or accord mla wrote this log without a server, give the server another --data (nothing was changed)",
			dir, logSize, logDirName, dbFileName))
	case log && !db:
		return badInput(locale.Errorf("%s holds a log (%s/) but no database (%s): restore the database from the backup the log came from; if accord demo or accord mla wrote this log without a server, give the server another --data (nothing was changed)",
			dir, logDirName, dbFileName))
	}
	return nil
}

// logHighWater is what a store can say about the log it was written with:
// the size the log must have at least for every index the store records
// (decisions, voids, statements) to be in it, and whether the store holds
// nothing at all. The SQLite and PostgreSQL stores implement it.
type logHighWater interface {
	LogHighWater(ctx context.Context) (uint64, error)
	Empty(ctx context.Context) (bool, error)
}

// preflightWorld runs before serve opens anything: it reads the size of the
// log under dir (0 when there is none) and, for SQLite, refuses a log of
// entries without its database file before an empty one is created.
func preflightWorld(dir string, sqlite bool) (uint64, error) {
	size, err := logSizeOnDisk(filepath.Join(dir, logDirName))
	if err != nil {
		return 0, err
	}
	if sqlite && size > 0 {
		h, err := statHalves(dir)
		if err != nil {
			return 0, err
		}
		if !h.db {
			return 0, halvesError(dir, false, true, size)
		}
	}
	return size, nil
}

// checkWorld refuses to serve from a database and a log that do not belong
// together: a database that records log indexes the log does not hold (the
// log is missing or older), or (PostgreSQL) an empty database beside a log
// of entries. logSize is what preflightWorld read.
func checkWorld(ctx context.Context, dir string, st store.Store, kind string, logSize uint64) error {
	hw, ok := st.(logHighWater)
	if !ok {
		return nil
	}
	if kind == "postgres" && logSize > 0 {
		empty, err := hw.Empty(ctx)
		if err != nil {
			return locale.Errorf("check the database against the log: %v", err)
		}
		if empty {
			return badInput(locale.Errorf("the log %[1]s holds %[2]d entries but the PostgreSQL database (--db) is empty: it is not this log's database; give the --db it was written with, or restore that database from the backup the log came from (nothing was changed)",
				filepath.Join(dir, logDirName), logSize))
		}
	}
	need, err := hw.LogHighWater(ctx)
	if err != nil {
		return locale.Errorf("check the database against the log: %v", err)
	}
	if need <= logSize {
		return nil
	}
	last := indexText(need - 1)
	switch {
	case kind == "postgres" && logSize == 0:
		return badInput(locale.Errorf("the PostgreSQL database (--db) records log entries up to index %[1]s but there is no log under %[2]s: the database was restored without its log; restore %[3]s/ and keys/ from the same backup, or use the --data they are in (nothing was changed)",
			last, dir, logDirName))
	case logSize == 0:
		return badInput(locale.Errorf("%[1]s records log entries up to index %[2]s but there is no log under %[3]s: the database was restored without its log; restore %[4]s/ and keys/ from the same backup, or use the --data they are in (nothing was changed)",
			filepath.Join(dir, dbFileName), last, dir, logDirName))
	case kind == "postgres":
		return badInput(locale.Errorf("the PostgreSQL database (--db) records log entries up to index %[1]s but the log under %[2]s holds only %[3]d: the log is older than the database (restored from an older backup?); restore the log that goes with it (nothing was changed)",
			last, dir, logSize))
	}
	return badInput(locale.Errorf("%[1]s records log entries up to index %[2]s but the log under %[3]s holds only %[4]d: the log is older than the database (restored from an older backup?); restore the log that goes with it (nothing was changed)",
		filepath.Join(dir, dbFileName), last, dir, logSize))
}

// logSizeOnDisk reads how many entries the log in logDir holds: the larger
// of its published checkpoint's size and Tessera's integrated tree size
// (which runs ahead of the checkpoint after a crash); 0 when there is no
// log. Signatures are checked when the log is opened; this is only a count.
func logSizeOnDisk(logDir string) (uint64, error) {
	var size uint64
	cp := filepath.Join(logDir, "checkpoint")
	raw, err := os.ReadFile(cp)
	switch {
	case err == nil:
		lines := strings.SplitN(string(raw), "\n", 3)
		if len(lines) < 3 {
			return 0, locale.Errorf("%s: not a checkpoint", cp)
		}
		if size, err = strconv.ParseUint(lines[1], 10, 64); err != nil {
			return 0, locale.Errorf("%s: size %q: %v", cp, lines[1], err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return 0, locale.Errorf("read the log's checkpoint: %v", err)
	}
	ts := filepath.Join(logDir, ".state", "treeState")
	raw, err = os.ReadFile(ts)
	switch {
	case err == nil:
		var state struct {
			Size uint64 `json:"size"`
		}
		if err := json.Unmarshal(raw, &state); err != nil {
			return 0, locale.Errorf("%s: %v", ts, err)
		}
		size = max(size, state.Size)
	case !errors.Is(err, fs.ErrNotExist):
		return 0, locale.Errorf("read the log's tree state: %v", err)
	}
	return size, nil
}

// entries says "1 entry" or "N entries".
func entries(n uint64) string {
	if n == 1 {
		return "1 entry"
	}
	return strconv.FormatUint(n, 10) + " entries"
}
