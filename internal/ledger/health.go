package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/tessera"
)

// ErrUnavailable wraps an append that failed for a reason of the log's
// storage (a full disk, an unwritable directory, an I/O error) or because
// the log is overloaded (Tessera's pushback). Nothing was appended; the
// caller may retry later. An API answers 503 with Retry-After.
var ErrUnavailable = errors.New("the log cannot be written")

// probeEvery bounds how often Err probes storage while the log is failing.
const probeEvery = time.Second

// health tracks whether the log can be written: the last storage failure
// of an append, cleared by the next append or probe that succeeds.
type health struct {
	failing  atomic.Bool // err != nil, read without the lock on every append
	mu       sync.Mutex
	err      error     // nil: healthy
	probedAt time.Time // last probe while failing
	notify   func(error)
	fault    func(op string) error
}

// failed records a storage failure; notify runs once per incident.
func (h *health) failed(err error) {
	h.mu.Lock()
	first := h.err == nil
	h.err = err
	h.failing.Store(true)
	h.probedAt = time.Now() // the failure itself is the freshest probe
	h.mu.Unlock()
	if first && h.notify != nil {
		h.notify(err)
	}
}

// ok records a successful write; notify(nil) runs once on recovery.
func (h *health) ok() {
	if !h.failing.Load() {
		return // the common case: no lock on the append path
	}
	h.mu.Lock()
	was := h.err != nil
	h.err = nil
	h.failing.Store(false)
	h.mu.Unlock()
	if was && h.notify != nil {
		h.notify(nil)
	}
}

// Err reports whether the log can be written: nil while appends succeed,
// else the error of the last append that failed for a storage reason
// (wrapping ErrUnavailable). While failing, it probes the storage at most
// once a second (a small file written, synced and removed in the log's
// directory; for a log in MySQL, a read of its tree state in a
// transaction rolled back) and clears the failure when the probe succeeds, so that a
// readiness check recovers without traffic. It is cheap enough for
// /readyz.
func (l *Log) Err() error {
	h := &l.health
	h.mu.Lock()
	err := h.err
	probe := err != nil && time.Since(h.probedAt) >= probeEvery
	if probe {
		h.probedAt = time.Now()
	}
	h.mu.Unlock()
	if !probe {
		return err
	}
	if perr := l.probe(); perr != nil {
		h.failed(fmt.Errorf("%w: probe %s: %w", ErrUnavailable, l.name, perr))
		return h.current()
	}
	h.ok()
	return nil
}

func (h *health) current() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// probe writes, syncs and removes a small file in each directory the log
// writes to: its root (checkpoint), .state (tree state) and tile (tiles and
// entry bundles, once there are any).
func (l *Log) probe() error {
	if l.health.fault != nil {
		if err := l.health.fault("probe"); err != nil {
			return err
		}
	}
	if l.db != nil {
		return l.probeDB()
	}
	for _, d := range []string{l.dir, filepath.Join(l.dir, ".state"), filepath.Join(l.dir, "tile")} {
		if d == filepath.Join(l.dir, "tile") {
			if _, err := os.Lstat(d); errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		f, err := os.CreateTemp(d, ".probe-*")
		if err != nil {
			return err
		}
		name := f.Name()
		_, werr := f.Write([]byte{0})
		serr := f.Sync()
		cerr := f.Close()
		rerr := os.Remove(name)
		if err := errors.Join(werr, serr, cerr, rerr); err != nil {
			return err
		}
	}
	return nil
}

// probeDB checks that a MySQL log's database answers and that its tree
// state can be read (in a transaction that is rolled back:
// nothing is written).
func (l *Log) probeDB() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var size uint64
	return tx.QueryRowContext(ctx, "SELECT `size` FROM `TreeState` WHERE `id` = 0").Scan(&size)
}

// storageFailure classifies an error of Tessera's add: true when it is
// the storage's (or pushback), so the append is unavailable rather than
// wrong.
func storageFailure(err error) bool {
	return err != nil && !errors.Is(err, ErrClosed)
}

// isPushback reports Tessera's overload signal, which is not a failure of
// the storage.
func isPushback(err error) bool { return errors.Is(err, tessera.ErrPushback) }
