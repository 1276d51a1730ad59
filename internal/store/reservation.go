package store

import "fmt"

// ValidateReservation checks the counts a Reserve judge returned for q:
// each must pass CounterDelta.Validate and be keyed by one of q's keys,
// the only keys the reservation holds. A scope in which q holds no key
// takes no count. Drivers call it before writing anything.
func ValidateReservation(q HistoryQuery, counts []CounterDelta) error {
	for i, c := range counts {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("reserve: count %d: %w", i, err)
		}
		if k := q.Key(c.scope()); k == "" || c.Key != k {
			return fmt.Errorf("%w: reserve: count %d: scope %s key %q is not the reserved %q", ErrInvalid, i, c.scope(), c.Key, k)
		}
	}
	return nil
}
