package store

import "fmt"

// ValidateReservation checks the counts a Reserve judge returned for q:
// each must pass CounterDelta.Validate and be keyed by q.RequestingState,
// the only key the reservation holds. With an empty q.RequestingState no
// key is held for writing, so any count is refused. Drivers call it before
// writing anything.
func ValidateReservation(q HistoryQuery, counts []CounterDelta) error {
	for i, c := range counts {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("reserve: count %d: %w", i, err)
		}
		if c.RequestingState != q.RequestingState {
			return fmt.Errorf("%w: reserve: count %d: requesting_state %q is not the reserved %q", ErrInvalid, i, c.RequestingState, q.RequestingState)
		}
	}
	return nil
}

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
