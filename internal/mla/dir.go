package mla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// DirCases is a Cases kept as one JSON file per case in a directory: what
// the command line uses until the database store holds cases. Writes are
// atomic (temporary file, then rename) and serialised by a lock file, so
// two commands running at once cannot both move the same case.
type DirCases struct {
	// Dir is the directory; it is created on the first Put.
	Dir string
}

func (d DirCases) path(id string) string {
	return filepath.Join(d.Dir, url.PathEscape(id)+".json")
}

// Get implements Cases.
func (d DirCases) Get(_ context.Context, id string) (*Case, error) {
	if !idPattern.MatchString(id) {
		return nil, fmt.Errorf("%w: case id %q", ErrInvalid, id)
	}
	data, err := os.ReadFile(d.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read case %s: %w", id, err)
	}
	c, err := decodeCase(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path(id), err)
	}
	return c, nil
}

// Put implements Cases.
func (d DirCases) Put(_ context.Context, c *Case) error {
	if !idPattern.MatchString(c.ID) {
		return fmt.Errorf("%w: case id %q", ErrInvalid, c.ID)
	}
	if err := os.MkdirAll(d.Dir, 0o750); err != nil {
		return fmt.Errorf("case store: %w", err)
	}
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	stored, err := os.ReadFile(d.path(c.ID))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read case %s: %w", c.ID, err)
	}
	if err := checkVersion(stored, c); err != nil {
		return err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode case %s: %w", c.ID, err)
	}
	tmp, err := os.CreateTemp(d.Dir, ".case-*")
	if err != nil {
		return fmt.Errorf("write case %s: %w", c.ID, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write case %s: %w", c.ID, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write case %s: %w", c.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write case %s: %w", c.ID, err)
	}
	if err := os.Rename(tmp.Name(), d.path(c.ID)); err != nil {
		return fmt.Errorf("write case %s: %w", c.ID, err)
	}
	return nil
}

// List implements Cases.
func (d DirCases) List(ctx context.Context) ([]*Case, error) {
	entries, err := os.ReadDir(d.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	var out []*Case
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(d.Dir, name))
		if err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
		c, err := decodeCase(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(d.Dir, name), err)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// lock takes the directory's lock file, waiting up to five seconds.
func (d DirCases) lock() (func(), error) {
	name := filepath.Join(d.Dir, ".lock")
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("case store lock: %w", err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("case store lock %s held for more than 5s; if no accord command is running, remove it", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
