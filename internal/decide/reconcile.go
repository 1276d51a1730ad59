package decide

import (
	"context"
	"fmt"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/store"
)

// ReconcileLog is the transparency log as the Reconciler reads and
// appends to it; *ledger.Log implements it.
type ReconcileLog interface {
	Log
	// PublishedSize returns the number of entries the latest published
	// checkpoint covers.
	PublishedSize(ctx context.Context) (uint64, error)
	// Entries calls fn with each published entry in [from, to), in order.
	Entries(ctx context.Context, from, to uint64, fn func(index uint64, e ledger.Entry) error) error
}

// ReconcileStore is what the Reconciler needs of the store.
type ReconcileStore interface {
	store.Reconciliation
	// RecordVoid notes a void entry found on the log (idempotent).
	RecordVoid(ctx context.Context, v store.Void) error
	// ListRegistryChanges returns the registry and pack changes stored
	// from a log index on.
	ListRegistryChanges(ctx context.Context, from uint64, limit int) ([]store.RegistryChange, error)
}

// Reconciler makes sure that every decision entry of the log is either
// recorded in the store or voided, on the log and in the store, and that
// every registry-change and pack-change entry either was stored (took
// effect) or is voided. A process
// that crashed between appending a decision and storing it, or whose store
// or void append failed, leaves a decision entry that nothing stored; the
// Reconciler voids it, so that reports, receipts and the API never count
// it as a decision.
//
// A pass reads the published entries from the store's watermark
// (ReconciledThrough) to the log's published size, voids each decision
// entry that has no record and no void and is older than Grace, appends the
// void entries the store holds but the log lacks, and moves the watermark
// up to the first entry it had to leave for later. Record and void exclude
// each other in the store, so a decision still being recorded either wins
// (and is not voided) or fails with ErrVoided.
//
// Run a pass at start (Grace 0 is right when no other process writes to
// the log: the data directory's lock says so) and then periodically.
type Reconciler struct {
	Log   ReconcileLog
	Store ReconcileStore
	// Grace leaves decision entries younger than this to the decision that
	// is recording them.
	Grace time.Duration
	// Before, when set, is when this process started: a decision entry
	// made before it (to the second) has no decision in flight here, so it
	// is voided whatever its age. Entries a crash left sequenced but not
	// yet integrated are published only after the start's pass.
	Before time.Time
	// Now replaces time.Now, for tests.
	Now func() time.Time
}

// ReconcileReport says what a pass did.
type ReconcileReport struct {
	// From and To bound the entries read: [From, To).
	From, To uint64
	// Decisions counts the decision entries read.
	Decisions int
	// Voided lists the decision indexes this pass voided.
	Voided []uint64
	// VoidedChanges lists the registry-change and pack-change indexes this
	// pass voided: logged, but never stored, so never in effect.
	VoidedChanges []uint64
	// VoidsLogged counts void entries appended for voids the store held
	// but the log lacked.
	VoidsLogged int
	// Deferred counts decision entries left for a later pass (younger than
	// Grace).
	Deferred int
}

// Reconcile runs one pass. It is safe to run while decisions are being
// made; two passes must not run at once.
func (r *Reconciler) Reconcile(ctx context.Context) (ReconcileReport, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	var rep ReconcileReport
	pending, err := r.Store.UnloggedVoids(ctx)
	if err != nil {
		return rep, fmt.Errorf("reconcile: read voids not yet logged: %w", err)
	}
	for _, v := range pending {
		if err := r.logVoid(ctx, v.LogIndex, now()); err != nil {
			return rep, err
		}
		rep.VoidsLogged++
	}

	from, err := r.Store.ReconciledThrough(ctx)
	if err != nil {
		return rep, fmt.Errorf("reconcile: read watermark: %w", err)
	}
	to, err := r.Log.PublishedSize(ctx)
	if err != nil {
		return rep, fmt.Errorf("reconcile: read the log's size: %w", err)
	}
	rep.From, rep.To = from, to
	if from >= to {
		return rep, nil
	}
	recorded, err := r.Store.RecordedIndexes(ctx, from, to)
	if err != nil {
		return rep, fmt.Errorf("reconcile: read recorded decisions: %w", err)
	}
	isRecorded := make(map[uint64]bool, len(recorded))
	for _, i := range recorded {
		isRecorded[i] = true
	}
	type decisionAt struct {
		index uint64
		time  time.Time
	}
	var unrecorded, changes []decisionAt
	voidedOnLog := map[uint64]bool{}
	err = r.Log.Entries(ctx, from, to, func(i uint64, e ledger.Entry) error {
		switch e.Kind {
		case ledger.KindDecision:
			rep.Decisions++
			if !isRecorded[i] {
				unrecorded = append(unrecorded, decisionAt{i, e.Time})
			}
		case ledger.KindRegistryChange, ledger.KindPackChange:
			changes = append(changes, decisionAt{i, e.Time})
		case ledger.KindVoid:
			if e.Refers == nil {
				return nil
			}
			voidedOnLog[*e.Refers] = true
			if err := r.Store.RecordVoid(ctx, store.Void{LogIndex: *e.Refers, VoidIndex: i, Created: e.Time}); err != nil {
				return fmt.Errorf("note void entry %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("reconcile: read the log: %w", err)
	}
	mark := to
	for _, d := range unrecorded {
		if voidedOnLog[d.index] {
			continue
		}
		if now().Sub(d.time) < r.Grace && !d.time.Before(r.Before.Truncate(time.Second)) {
			rep.Deferred++
			mark = min(mark, d.index)
			continue
		}
		// Voided in the store already: its void entry is on the log past
		// the published size, or is appended by the first step of a pass.
		already, err := r.Store.Voided(ctx, d.index)
		if err != nil {
			return rep, fmt.Errorf("reconcile: read void of decision %d: %w", d.index, err)
		}
		if already {
			continue
		}
		voided, err := r.Store.VoidUnrecorded(ctx, d.index, now())
		if err != nil {
			return rep, fmt.Errorf("reconcile: void decision %d: %w", d.index, err)
		}
		if !voided {
			continue // recorded meanwhile
		}
		if err := r.logVoid(ctx, d.index, now()); err != nil {
			return rep, err
		}
		rep.Voided = append(rep.Voided, d.index)
	}
	if len(changes) > 0 {
		stored, err := r.Store.ListRegistryChanges(ctx, from, 0)
		if err != nil {
			return rep, fmt.Errorf("reconcile: read registry changes: %w", err)
		}
		isStored := map[uint64]bool{}
		for _, c := range stored {
			isStored[c.LogIndex] = true
		}
		for _, c := range changes {
			if isStored[c.index] || voidedOnLog[c.index] {
				continue
			}
			if now().Sub(c.time) < r.Grace && !c.time.Before(r.Before.Truncate(time.Second)) {
				rep.Deferred++
				mark = min(mark, c.index)
				continue
			}
			if already, err := r.Store.Voided(ctx, c.index); err != nil {
				return rep, fmt.Errorf("reconcile: read void of change %d: %w", c.index, err)
			} else if already {
				continue
			}
			// No decision is ever recorded at a change's index: this
			// voids it, its void index set once the void entry lands.
			if _, err := r.Store.VoidUnrecorded(ctx, c.index, now()); err != nil {
				return rep, fmt.Errorf("reconcile: void change %d: %w", c.index, err)
			}
			if err := r.logVoid(ctx, c.index, now()); err != nil {
				return rep, err
			}
			rep.VoidedChanges = append(rep.VoidedChanges, c.index)
		}
	}
	if err := r.Store.SetReconciledThrough(ctx, mark); err != nil {
		return rep, fmt.Errorf("reconcile: store watermark: %w", err)
	}
	return rep, nil
}

// logVoid appends the void entry for a voided decision and notes where it
// landed.
func (r *Reconciler) logVoid(ctx context.Context, index uint64, at time.Time) error {
	vi, err := r.Log.Append(ctx, ledger.VoidEntry(index, at.UTC().Truncate(time.Second)))
	if err != nil {
		return fmt.Errorf("reconcile: append void entry for decision %d: %w", index, err)
	}
	if err := r.Store.SetVoidIndex(ctx, index, vi); err != nil {
		return fmt.Errorf("reconcile: note void entry %d for decision %d: %w", vi, index, err)
	}
	return nil
}
