package mla

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/locale"
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
		return nil, locale.Errorf("%v: case id %q", ErrInvalid, id)
	}
	data, err := os.ReadFile(d.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, locale.Errorf("read case %s: %v", id, err)
	}
	c, err := decodeCase(data)
	if err != nil {
		return nil, locale.Errorf("%s: %v", d.path(id), err)
	}
	return c, nil
}

// Put implements Cases.
func (d DirCases) Put(_ context.Context, c *Case) error {
	if !idPattern.MatchString(c.ID) {
		return locale.Errorf("%v: case id %q", ErrInvalid, c.ID)
	}
	if err := os.MkdirAll(d.Dir, 0o750); err != nil {
		return locale.Errorf("case store: %v", err)
	}
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	stored, err := os.ReadFile(d.path(c.ID))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return locale.Errorf("read case %s: %v", c.ID, err)
	}
	if err := checkVersion(stored, c); err != nil {
		return err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return locale.Errorf("encode case %s: %v", c.ID, err)
	}
	tmp, err := os.CreateTemp(d.Dir, ".case-*")
	if err != nil {
		return locale.Errorf("write case %s: %v", c.ID, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return locale.Errorf("write case %s: %v", c.ID, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return locale.Errorf("write case %s: %v", c.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return locale.Errorf("write case %s: %v", c.ID, err)
	}
	if err := os.Rename(tmp.Name(), d.path(c.ID)); err != nil {
		return locale.Errorf("write case %s: %v", c.ID, err)
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
		return nil, locale.Errorf("list cases: %v", err)
	}
	var out []*Case
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(d.Dir, name))
		if err != nil {
			return nil, locale.Errorf("list cases: %v", err)
		}
		c, err := decodeCase(data)
		if err != nil {
			return nil, locale.Errorf("%s: %v", filepath.Join(d.Dir, name), err)
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
			return nil, locale.Errorf("case store lock: %v", err)
		}
		if time.Now().After(deadline) {
			return nil, locale.Errorf("case store lock %s held for more than 5s; if no accord command is running, remove it", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
