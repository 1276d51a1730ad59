package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/accord-dev/accord/internal/decide"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// reconcileGrace is how old an unrecorded decision entry must be before a
// periodic pass voids it: a decision appended a moment ago may still be
// being recorded.
const reconcileGrace = time.Minute

// reconcileAtStart runs one reconciliation pass before serve answers: no
// decision of this process is in flight, and the data directory's lock
// keeps other writers out, so every unrecorded decision entry is voided.
func reconcileAtStart(ctx context.Context, st store.Store, lg *ledger.Log, logger *slog.Logger) error {
	r := &decide.Reconciler{Log: lg, Store: st}
	rep, err := r.Reconcile(ctx)
	if err != nil {
		return locale.Errorf("reconcile the log with the database at start: %v", err)
	}
	logReconcile(logger, rep)
	return nil
}

// reconcileLoop runs a pass soon after start (first), then every interval
// until ctx ends, leaving decisions younger than reconcileGrace and made
// since started to their own commit. The first pass catches what a crash
// left sequenced but not yet integrated when the start's pass ran. A pass
// runs only while gate says this process holds the job's lease; with a
// log shared by replicas started is zero, so that grace alone protects
// the decisions other replicas have in flight.
func reconcileLoop(ctx context.Context, st store.Store, lg *ledger.Log, gate leaseGate, started time.Time, first, interval time.Duration, logger *slog.Logger) {
	if interval <= 0 {
		return
	}
	r := &decide.Reconciler{Log: lg, Store: st, Grace: reconcileGrace, Before: started}
	wait := first
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = interval
		if !gate(ctx) {
			continue
		}
		rep, err := r.Reconcile(ctx)
		if err != nil {
			if ctx.Err() == nil {
				logger.Error("reconcile the log with the database", slog.String("error", err.Error()))
			}
			continue
		}
		logReconcile(logger, rep)
	}
}

func logReconcile(logger *slog.Logger, rep decide.ReconcileReport) {
	if len(rep.Voided) == 0 && rep.VoidsLogged == 0 && len(rep.VoidedChanges) == 0 {
		return
	}
	logger.Warn("voided log entries that were never recorded",
		slog.Int("voided", len(rep.Voided)), slog.Any("indexes", rep.Voided), slog.Any("changes", rep.VoidedChanges),
		slog.Int("voids_logged", rep.VoidsLogged), slog.Uint64("from", rep.From), slog.Uint64("to", rep.To))
}
