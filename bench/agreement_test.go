package bench

import (
	"testing"

	"github.com/accord-dev/accord/internal/registry"
)

func loadRegistry(tb testing.TB) *registry.Registry {
	tb.Helper()
	reg, err := registry.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return reg
}

// checkSuite runs every case through every engine and fails on the first
// disagreement with the expected outcome or rule ids.
func checkSuite(tb testing.TB, s *Suite) {
	tb.Helper()
	if len(s.Cases) == 0 {
		tb.Fatalf("suite %s has no cases", s.Name)
	}
	for _, name := range EngineNames {
		e := s.Engines[name]
		for _, c := range s.Cases {
			in, err := e.Prepare(c)
			if err != nil {
				tb.Fatalf("%s/%s %q: prepare: %v", name, s.Name, c.Name, err)
			}
			r, err := e.Eval(in)
			if err != nil {
				tb.Fatalf("%s/%s %q: %v", name, s.Name, c.Name, err)
			}
			if d := c.Check(r); d != "" {
				tb.Errorf("%s/%s %q: %s", name, s.Name, c.Name, d)
			}
		}
	}
	if tb.Failed() {
		tb.FailNow()
	}
}

func TestAgreement(t *testing.T) {
	reg := loadRegistry(t)
	s, err := GDSI(reg)
	if err != nil {
		t.Fatal(err)
	}
	checkSuite(t, s)
}

// TestCheckDetectsDisagreement makes sure the agreement check can fail:
// with every case's expected outcome and rule ids changed, every engine
// must disagree on every case.
func TestCheckDetectsDisagreement(t *testing.T) {
	s, err := GDSI(loadRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range EngineNames {
		e := s.Engines[name]
		for _, c := range s.Cases {
			in, err := e.Prepare(c)
			if err != nil {
				t.Fatal(err)
			}
			r, err := e.Eval(in)
			if err != nil {
				t.Fatal(err)
			}
			wrong := *c
			wrong.Rules = append(append([]string{}, c.Rules...), "no-such-rule")
			if wrong.Check(r) == "" {
				t.Errorf("%s %q: an extra expected rule id went unnoticed", name, c.Name)
			}
			wrong = *c
			wrong.Outcome = "deny"
			if c.Outcome == "deny" {
				wrong.Outcome = "allow"
			}
			if wrong.Check(r) == "" {
				t.Errorf("%s %q: a wrong expected outcome went unnoticed", name, c.Name)
			}
		}
	}
	t.Logf("%d cases × %d engines", len(s.Cases), len(EngineNames))
}

func TestGeneratedAgreement(t *testing.T) {
	reg := loadRegistry(t)
	for _, n := range []int{10, 100, 1000} {
		s, err := Generated(n, reg)
		if err != nil {
			t.Fatal(err)
		}
		checkSuite(t, s)
	}
}

func TestUSDSPAgreement(t *testing.T) {
	s, err := USDSP(loadRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	checkSuite(t, s)
}
