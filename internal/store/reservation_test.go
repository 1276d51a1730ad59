package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

func TestValidateReservation(t *testing.T) {
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	ok := store.CounterDelta{Key: "US", SubjectState: "FR", Category: "personal.health", Day: day, Subjects: 1}
	other := ok
	other.Key = "CN"
	neg := ok
	neg.Devices = -1
	cases := []struct {
		name   string
		state  string
		counts []store.CounterDelta
		valid  bool
	}{
		{"none", "US", nil, true},
		{"keyed by the state", "US", []store.CounterDelta{ok, ok}, true},
		{"another state", "US", []store.CounterDelta{ok, other}, false},
		{"negative devices", "US", []store.CounterDelta{neg}, false},
		{"no state held", "", []store.CounterDelta{ok}, false},
		{"no state, no counts", "", nil, true},
	}
	for _, c := range cases {
		err := store.ValidateReservation(store.HistoryQuery{RequestingState: c.state}, c.counts)
		if (err == nil) != c.valid || (err != nil && !errors.Is(err, store.ErrInvalid)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestTouchesOverride(t *testing.T) {
	for kind, want := range map[string]bool{"jurisdiction": true, "bloc": true, "agreement": true, "authority": true, "pack": false} {
		got, err := store.RegistryChange{Kind: kind}.TouchesOverride()
		if err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", kind, got, err, want)
		}
	}
	for _, kind := range []string{"", "token", "Authority", "packs"} {
		if _, err := (store.RegistryChange{Kind: kind}).TouchesOverride(); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("kind %q: %v, want ErrInvalid", kind, err)
		}
	}
}
