package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/registry"
	"github.com/accord-dev/accord/internal/store"
)

// overridesFile is the file, in its own directory under --data, where serve
// writes the registry overrides stored through the API, so that the
// registry loads them like any operator override directory.
const overridesFile = "api-overrides.yaml"

// overrideLists maps a stored override kind to its list in a registry file,
// and to the member naming the entry.
var overrideLists = map[string][2]string{
	"jurisdiction": {"jurisdictions", "code"},
	"bloc":         {"blocs", "id"},
	"agreement":    {"agreements", "id"},
	"authority":    {"authorities", "id"},
}

// overridesDocument renders stored overrides as one registry override file
// (JSON, which YAML reads). Each entry gets its id from the path it was
// stored under when its body does not say it.
func overridesDocument(list []store.Override) ([]byte, error) {
	doc := map[string]any{"version": "api-" + time.Now().UTC().Format("2006-01-02T15:04:05Z")}
	for _, o := range list {
		where, ok := overrideLists[o.Kind]
		if !ok {
			return nil, locale.Errorf("stored override %s/%s: unknown kind", o.Kind, o.ID)
		}
		var entry map[string]any
		if err := json.Unmarshal(o.Body, &entry); err != nil {
			return nil, locale.Errorf("stored override %s/%s: %v", o.Kind, o.ID, err)
		}
		if _, ok := entry[where[1]]; !ok {
			entry[where[1]] = o.ID
		}
		items, _ := doc[where[0]].([]any)
		doc[where[0]] = append(items, entry)
	}
	return json.MarshalIndent(doc, "", "  ")
}

// writeOverrides writes the overrides to dir/api-overrides.yaml (removing
// it when there are none) and returns dir.
func writeOverrides(dir string, list []store.Override) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, overridesFile)
	if len(list) == 0 {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return locale.Errorf("remove %s: %v", path, err)
		}
		return nil
	}
	b, err := overridesDocument(list)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return locale.Errorf("write %s: %v", path, err)
	}
	return nil
}

// storedOverridesDir writes the overrides stored through the API under
// DIR/registry-api and returns that directory, for registry.Load.
func storedOverridesDir(ctx context.Context, st store.Store) (string, error) {
	list, err := st.ListOverrides(ctx, "")
	if err != nil {
		return "", locale.Errorf("read stored registry overrides: %v", err)
	}
	dir := filepath.Join(dataDir, "registry-api")
	if err := writeOverrides(dir, list); err != nil {
		return "", err
	}
	return dir, nil
}

// overrideChecker returns the check the API runs before storing an
// override: the registry must load with every stored override plus the
// new one (dangling references, conflicts and bad fields are refused with
// file and line).
func overrideChecker(dirs []string) func(context.Context, []store.Override) error {
	return func(ctx context.Context, all []store.Override) error {
		tmp, err := os.MkdirTemp("", "accord-registry-check-")
		if err != nil {
			return locale.Errorf("check registry override: %v", err)
		}
		defer os.RemoveAll(tmp)
		if err := writeOverrides(tmp, all); err != nil {
			return err
		}
		_, err = registry.Load(append(append([]string{}, dirs...), tmp)...)
		return err
	}
}
