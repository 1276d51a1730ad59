package mla

import (
	"context"
	"encoding/json"
	"sort"
	"sync"

	"github.com/accord-dev/accord/internal/locale"
)

// MemoryCases is a Cases held in memory, for tests and single-process use.
// The zero value is ready to use.
type MemoryCases struct {
	mu    sync.Mutex
	cases map[string][]byte // JSON, so that callers never share memory
}

// Get implements Cases.
func (m *MemoryCases) Get(_ context.Context, id string) (*Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.cases[id]
	if !ok {
		return nil, ErrNotFound
	}
	return decodeCase(data)
}

// Put implements Cases.
func (m *MemoryCases) Put(_ context.Context, c *Case) error {
	data, err := json.Marshal(c)
	if err != nil {
		return locale.Errorf("encode case %s: %v", c.ID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := checkVersion(m.cases[c.ID], c); err != nil {
		return err
	}
	if m.cases == nil {
		m.cases = map[string][]byte{}
	}
	m.cases[c.ID] = data
	return nil
}

// List implements Cases.
func (m *MemoryCases) List(_ context.Context) ([]*Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Case, 0, len(m.cases))
	for _, data := range m.cases {
		c, err := decodeCase(data)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// checkVersion applies the Put rule: stored (nil if none) must be at
// c.Version-1.
func checkVersion(stored []byte, c *Case) error {
	if stored == nil {
		if c.Version != 1 {
			return ErrConflict
		}
		return nil
	}
	if c.Version == 1 {
		return ErrExists
	}
	var prev struct {
		Version uint64 `json:"version"`
	}
	if err := json.Unmarshal(stored, &prev); err != nil {
		return locale.Errorf("stored case %s: %v", c.ID, err)
	}
	if prev.Version+1 != c.Version {
		return ErrConflict
	}
	return nil
}

func decodeCase(data []byte) (*Case, error) {
	var c Case
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, locale.Errorf("decode case: %v", err)
	}
	return &c, nil
}
