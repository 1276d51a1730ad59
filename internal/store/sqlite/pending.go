package sqlite

// Placeholders for the store contract of reservations, reconciliation and
// registry changes; replaced by the real implementation.

import (
	"context"
	"errors"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

var errPending = errors.New("not implemented yet")

func (s *Store) Reserve(ctx context.Context, q store.HistoryQuery, judge func(*model.History) ([]store.CounterDelta, error)) error {
	return errPending
}
func (s *Store) VoidUnrecorded(ctx context.Context, logIndex uint64, at time.Time) (bool, error) {
	return false, errPending
}
func (s *Store) SetVoidIndex(ctx context.Context, logIndex, voidIndex uint64) error {
	return errPending
}
func (s *Store) UnloggedVoids(ctx context.Context) ([]store.Void, error)   { return nil, errPending }
func (s *Store) Voided(ctx context.Context, logIndex uint64) (bool, error) { return false, errPending }
func (s *Store) RecordedIndexes(ctx context.Context, from, to uint64) ([]uint64, error) {
	return nil, errPending
}
func (s *Store) ReconciledThrough(ctx context.Context) (uint64, error)    { return 0, errPending }
func (s *Store) SetReconciledThrough(ctx context.Context, n uint64) error { return errPending }
func (s *Store) ApplyRegistryChange(ctx context.Context, c store.RegistryChange) error {
	return errPending
}
func (s *Store) ListRegistryChanges(ctx context.Context, from uint64, limit int) ([]store.RegistryChange, error) {
	return nil, errPending
}
