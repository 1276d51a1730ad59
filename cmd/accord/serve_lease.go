package main

import (
	"context"
	"log/slog"

	"github.com/accord-dev/accord/internal/store"
	"github.com/accord-dev/accord/internal/store/postgres"
)

// Lease names of serve's periodic work. Reconciliation of a shared log is
// leased per log origin (several logs may share one database); pruning
// history counters is per database.
const (
	leaseReconcile = "reconcile "
	leasePrune     = "prune-counters"
)

// leaseGate reports, before each run of a periodic job, whether this
// process is the one to run it.
type leaseGate func(ctx context.Context) bool

// alwaysHeld is the gate of a job no other process runs: the data
// directory's lock already makes this server the only one.
func alwaysHeld(context.Context) bool { return true }

// startLease returns the gate of the lease called name: on PostgreSQL a
// session advisory lock that one replica at a time holds and that moves
// when its holder dies (postgres.Lease), logged when taken or lost; with
// SQLite (one server) always held.
func startLease(ctx context.Context, st store.Store, name string, logger *slog.Logger) leaseGate {
	pst, ok := st.(*postgres.Store)
	if !ok {
		return alwaysHeld
	}
	l := pst.Lease(name, 0)
	go l.Run(ctx, func(held bool, err error) {
		attrs := []any{slog.String("lease", name)}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		if held {
			logger.Info("lease taken: this replica runs the job", attrs...)
		} else {
			logger.Info("lease lost: another replica runs the job", attrs...)
		}
	})
	return func(ctx context.Context) bool {
		held, _ := l.Held(ctx)
		return held
	}
}
