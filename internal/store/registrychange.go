package store

import "fmt"

// OverrideKinds are the registry kinds an override, and so a registry
// change, may have.
var OverrideKinds = []string{"jurisdiction", "bloc", "agreement", "authority"}

// TouchesOverride reports whether applying c puts or deletes an override
// (a registry kind) or not (a pack); any other kind is ErrInvalid.
func (c RegistryChange) TouchesOverride() (bool, error) {
	if c.Kind == "pack" {
		return false, nil
	}
	for _, k := range OverrideKinds {
		if c.Kind == k {
			return true, nil
		}
	}
	return false, fmt.Errorf("%w: registry change %s/%s: kind %q is not jurisdiction, bloc, agreement, authority or pack", ErrInvalid, c.Kind, c.ID, c.Kind)
}
