package decide

import (
	"context"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

// memVoids is the store's reconciliation side in memory.
type memVoids struct {
	recorded map[uint64]bool
	voids    map[uint64]uint64 // log index -> void entry index (0: unset)
	unlogged []uint64
	mark     uint64
	changes  []store.RegistryChange
}

func newMemVoids() *memVoids {
	return &memVoids{recorded: map[uint64]bool{}, voids: map[uint64]uint64{}}
}

func (m *memVoids) VoidUnrecorded(_ context.Context, i uint64, _ time.Time) (bool, error) {
	if m.recorded[i] {
		return false, nil
	}
	if _, ok := m.voids[i]; !ok {
		m.voids[i] = 0
	}
	return true, nil
}

func (m *memVoids) SetVoidIndex(_ context.Context, i, vi uint64) error {
	if _, ok := m.voids[i]; !ok {
		return store.ErrNotFound
	}
	m.voids[i] = vi
	return nil
}

func (m *memVoids) UnloggedVoids(context.Context) ([]store.Void, error) {
	var out []store.Void
	for _, i := range m.unlogged {
		out = append(out, store.Void{LogIndex: i})
	}
	m.unlogged = nil
	return out, nil
}

func (m *memVoids) Voided(_ context.Context, i uint64) (bool, error) {
	_, ok := m.voids[i]
	return ok, nil
}

func (m *memVoids) RecordedIndexes(_ context.Context, from, to uint64) ([]uint64, error) {
	var out []uint64
	for i := from; i < to; i++ {
		if m.recorded[i] {
			out = append(out, i)
		}
	}
	return out, nil
}

func (m *memVoids) ReconciledThrough(context.Context) (uint64, error) { return m.mark, nil }

func (m *memVoids) SetReconciledThrough(_ context.Context, n uint64) error {
	m.mark = max(m.mark, n)
	return nil
}

func (m *memVoids) RecordVoid(_ context.Context, v store.Void) error {
	m.voids[v.LogIndex] = v.VoidIndex
	return nil
}

func (m *memVoids) ListRegistryChanges(_ context.Context, from uint64, _ int) ([]store.RegistryChange, error) {
	var out []store.RegistryChange
	for _, c := range m.changes {
		if c.LogIndex >= from {
			out = append(out, c)
		}
	}
	return out, nil
}
