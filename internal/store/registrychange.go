package store

import "fmt"

// OverrideKinds are the registry kinds an override, and so a registry
// change, may have.
var OverrideKinds = []string{"jurisdiction", "bloc", "agreement", "authority"}

// RecordKinds are the kinds of change that are recorded without touching
// an override: a pack, the registry files a server loaded, an authority key
// in effect that no override set (from a file).
var RecordKinds = []string{"pack", "registry-files", "authority-key"}

// TouchesOverride reports whether applying c puts or deletes an override
// (a registry kind) or not (RecordKinds); any other kind is ErrInvalid.
func (c RegistryChange) TouchesOverride() (bool, error) {
	for _, k := range RecordKinds {
		if c.Kind == k {
			return false, nil
		}
	}
	for _, k := range OverrideKinds {
		if c.Kind == k {
			return true, nil
		}
	}
	return false, fmt.Errorf("%w: registry change %s/%s: kind %q is not jurisdiction, bloc, agreement, authority, pack, registry-files or authority-key", ErrInvalid, c.Kind, c.ID, c.Kind)
}
