package main

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

func TestAlpha2(t *testing.T) {
	if len(alpha2) != 249 {
		t.Errorf("len(alpha2) = %d, want the 249 officially assigned ISO 3166-1 alpha-2 codes", len(alpha2))
	}
	code := regexp.MustCompile(`^[A-Z]{2}$`)
	seen := map[string]bool{}
	for _, c := range alpha2 {
		if !code.MatchString(c) {
			t.Errorf("%q is not two upper-case letters", c)
		}
		if seen[c] {
			t.Errorf("%s listed twice", c)
		}
		seen[c] = true
	}
	if !slices.IsSorted(alpha2) {
		t.Error("alpha2 is not sorted")
	}
	// Reserved or withdrawn codes that are not assigned.
	for _, c := range []string{"EU", "UK", "XK", "AN", "CS", "YU", "ZZ"} {
		if seen[c] {
			t.Errorf("%s is not an officially assigned code", c)
		}
	}
}

// TestGeneratedFileUpToDate fails when data/jurisdictions.yaml differs from
// what the generator writes now: run go generate ./internal/registry.
func TestGeneratedFileUpToDate(t *testing.T) {
	const file = "../../data/jurisdictions.yaml"
	have, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^version: "([^"]+)"$`).FindSubmatch(have)
	if m == nil {
		t.Fatalf("%s has no version line", file)
	}
	want, err := render(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != string(want) {
		t.Errorf("%s is stale; run go generate ./internal/registry", file)
	}
}
