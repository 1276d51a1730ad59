package jsonstrict

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"action", "requester", "data", "destination", "purpose", "basis", "time"}
	for _, tc := range []struct{ name, want string }{
		{"destnation", "destination"}, // a letter dropped
		{"purpsoe", "purpose"},        // two letters swapped
		{"requestor", "requester"},    // a letter changed
		{"Data", "data"},              // case
		{"dta", "data"},
		{"colour", ""}, // nothing near: no suggestion
		{"x", ""},
	} {
		if got := Closest(tc.name, known); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
