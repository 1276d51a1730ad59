package model

import (
	"errors"
	"maps"
	"testing"
)

// TestCheckSubjects checks how per-category counts complete and constrain
// the plain counts of data.subjects.
func TestCheckSubjects(t *testing.T) {
	type byCat = map[string]map[string]int64
	for _, tc := range []struct {
		name     string
		data     Data
		want     map[string]int64 // Subjects after the check
		wantPath string           // InputError path, when refused
	}{
		{"no breakdown leaves subjects alone",
			Data{Categories: []string{"personal"}, Subjects: map[string]int64{"FR": 3}},
			map[string]int64{"FR": 3}, ""},
		{"derived as the sum over categories",
			Data{Categories: []string{"personal.health", "personal.identifier.government"},
				SubjectsByCategory: byCat{"personal.health": {"US": 900}, "personal.identifier.government": {"US": 150000, "FR": 2}}},
			map[string]int64{"US": 150900, "FR": 2}, ""},
		{"plain count kept when at least the largest category",
			Data{Categories: []string{"personal.health", "personal.identifier.government"}, Subjects: map[string]int64{"US": 150000},
				SubjectsByCategory: byCat{"personal.health": {"US": 900}, "personal.identifier.government": {"US": 150000}}},
			map[string]int64{"US": 150000}, ""},
		{"only the missing states are derived",
			Data{Categories: []string{"personal.health"}, Subjects: map[string]int64{"US": 1000},
				SubjectsByCategory: byCat{"personal.health": {"US": 900, "CA": 7}}},
			map[string]int64{"US": 1000, "CA": 7}, ""},
		{"plain count below a category",
			Data{Categories: []string{"personal.health"}, Subjects: map[string]int64{"US": 899},
				SubjectsByCategory: byCat{"personal.health": {"US": 900}}},
			map[string]int64{"US": 899}, "data.subjects.US"},
		{"category outside data.categories",
			Data{Categories: []string{"personal.health"},
				SubjectsByCategory: byCat{"personal.financial": {"US": 1}}},
			nil, `data.subjects_by_category["personal.financial"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.data.CheckSubjects()
			if tc.wantPath != "" {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Path != tc.wantPath {
					t.Fatalf("CheckSubjects() = %v, want an InputError at %s", err, tc.wantPath)
				}
			} else if err != nil {
				t.Fatalf("CheckSubjects() = %v", err)
			}
			if !maps.Equal(tc.data.Subjects, tc.want) {
				t.Errorf("subjects = %v, want %v", tc.data.Subjects, tc.want)
			}
		})
	}
}

// TestSubjectsUnder checks the people of a request counted under category
// prefixes, the numbers the packs' thresholds read.
func TestSubjectsUnder(t *testing.T) {
	under := func(prefix string) func(string) bool {
		return func(c string) bool { return CategoryUnder(c, prefix) }
	}
	combined := Data{
		Categories: []string{"personal.health", "personal.identifier.government", "personal.contact"},
		Subjects:   map[string]int64{"US": 150000, "FR": 10},
		SubjectsByCategory: map[string]map[string]int64{
			"personal.health":                {"US": 900},
			"personal.identifier.government": {"US": 150000},
		},
	}
	plain := Data{Categories: []string{"personal.health", "personal.identifier.government"}, Subjects: map[string]int64{"US": 150000}}
	for _, tc := range []struct {
		name   string
		d      Data
		state  string
		prefix string
		want   int64
	}{
		{"health counts its own number", combined, "US", "personal.health", 900},
		{"identifiers count theirs", combined, "US", "personal.identifier", 150000},
		{"a category without its own count holds the plain count", combined, "US", "personal.contact", 150000},
		{"a state the breakdown leaves out holds the plain count", combined, "FR", "personal.health", 10},
		{"several categories add, up to the plain count", combined, "US", "personal", 150000},
		{"every state", combined, AllSubjectStates, "personal.health", 910},
		{"no matching category counts nobody", combined, "US", "personal.financial", 0},
		{"plain form: the same people in every category", plain, "US", "personal.health", 150000},
		{"plain form: no matching category", plain, "US", "personal.financial", 0},
		{"duplicate category counted once", Data{Categories: []string{"personal.health", "personal.health"}, Subjects: map[string]int64{"US": 5000},
			SubjectsByCategory: map[string]map[string]int64{"personal.health": {"US": 900}}}, "US", "personal.health", 900},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.SubjectsUnder(tc.state, under(tc.prefix)); got != tc.want {
				t.Errorf("SubjectsUnder(%s, %s) = %d, want %d", tc.state, tc.prefix, got, tc.want)
			}
		})
	}
	if got := combined.SubjectsIn("US", "personal.health"); got != 900 {
		t.Errorf("SubjectsIn(US, personal.health) = %d, want 900", got)
	}
	if got := combined.SubjectsIn("US", "personal.contact"); got != 150000 {
		t.Errorf("SubjectsIn(US, personal.contact) = %d, want 150000", got)
	}
}
