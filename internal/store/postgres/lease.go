package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// leaseLockSpace holds the session-level advisory locks of leases; the key
// is a hash of the lease's name and the schema's, so that servers on other
// schemas of the same database never share a lease.
const leaseLockSpace int32 = 0x61636304 // "acc" 4

// DefaultLeaseCheck is how often a Lease is tried by a replica that does
// not hold it, and checked by the one that does.
const DefaultLeaseCheck = 2 * time.Second

// Lease is one name, held by at most one of the processes sharing the
// database at a time: a session-level advisory lock
// (pg_try_advisory_lock) on a connection of its own. When the holder dies
// its connection closes and PostgreSQL releases the lock at once (for a
// SIGKILL: as soon as the kernel closes the socket; for a host that
// vanishes: when TCP keepalive gives up), and another process takes the
// lease at its next try, within Every.
//
// A holder cut off from the database learns that it lost the lease only at
// its next check: Held confirms the lock on the server before each use, so
// that the window in which two processes both believe they hold it is one
// check's round trip plus the length of one job. Jobs run under a lease
// must therefore be safe to run twice (Accord's are: reconciliation takes
// a per-index lock, pruning deletes what is expired either way); the lease
// makes them run once, not correct.
type Lease struct {
	name  string
	cfg   *pgx.ConnConfig
	every time.Duration

	mu   sync.Mutex // guards conn and key
	conn *pgx.Conn
	key  int32
	held bool
}

// Lease returns the lease called name on this store's database (not yet
// tried: call Run). every is how often it is tried and checked
// (DefaultLeaseCheck when 0).
func (s *Store) Lease(name string, every time.Duration) *Lease {
	if every <= 0 {
		every = DefaultLeaseCheck
	}
	cfg := s.pool.Config().ConnConfig.Copy()
	host, _ := os.Hostname()
	cfg.RuntimeParams["application_name"] = fmt.Sprintf("accord lease %s host=%s pid=%d", name, host, os.Getpid())
	return &Lease{name: name, cfg: cfg, every: every}
}

// Run tries the lease every Every until ctx ends, holding it once taken,
// and calls onChange(true) when it is taken and onChange(false) when it is
// lost (onChange may be nil). On return the lease is released.
func (l *Lease) Run(ctx context.Context, onChange func(held bool, err error)) {
	t := time.NewTicker(l.every)
	defer t.Stop()
	defer l.release()
	for {
		was := l.isHeld()
		now, err := l.Held(ctx)
		if now != was && onChange != nil && ctx.Err() == nil {
			onChange(now, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *Lease) isHeld() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// Held reports whether this process holds the lease, asking the database
// now: it takes the lease if it is free, and confirms the lock is still
// this session's if it was taken before. An error (the database cannot be
// reached) means not held.
func (l *Lease) Held(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, max(l.every, time.Second))
	defer cancel()
	if l.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, l.cfg)
		if err != nil {
			l.held = false
			return false, fmt.Errorf("lease %s: connect: %w", l.name, err)
		}
		var schema string
		if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			conn.Close(context.Background())
			l.held = false
			return false, fmt.Errorf("lease %s: %w", l.name, err)
		}
		h := fnv.New32a()
		h.Write([]byte(schema + "\x00" + l.name))
		l.conn, l.key = conn, int32(h.Sum32())
	}
	var ok bool
	var err error
	if l.held {
		err = l.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
			AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2 AND pid = pg_backend_pid() AND granted)`,
			leaseLockSpace, l.key).Scan(&ok)
	} else {
		err = l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, leaseLockSpace, l.key).Scan(&ok)
	}
	if err != nil {
		// The session may be gone, and the lock with it: start afresh.
		l.conn.Close(context.Background())
		l.conn, l.held = nil, false
		return false, fmt.Errorf("lease %s: %w", l.name, err)
	}
	l.held = ok
	return ok, nil
}

// release gives the lease up by closing its session.
func (l *Lease) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		l.conn.Close(context.Background())
	}
	l.conn, l.held = nil, false
}

// LeaseHolder returns the application_name of the session holding the
// lease called name on this store's schema ("accord lease NAME host=H
// pid=P") and its server process id, or "" when nobody holds it. It is
// for operators and tests.
func (s *Store) LeaseHolder(ctx context.Context, name string) (string, int, error) {
	var schema string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", 0, fmt.Errorf("lease %s holder: %w", name, err)
	}
	h := fnv.New32a()
	h.Write([]byte(schema + "\x00" + name))
	var app string
	var pid int
	err := s.pool.QueryRow(ctx, `SELECT a.application_name, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2 AND l.granted`,
		leaseLockSpace, int32(h.Sum32())).Scan(&app, &pid)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("lease %s holder: %w", name, err)
	}
	return app, pid, nil
}
