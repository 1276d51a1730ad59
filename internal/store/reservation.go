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
